// The test page: LeNet-5, imported from its .cnn file through cnnc/vite, predicts a fixed
// batch with its seeded initial weights, then trains some steps on a Fashion-MNIST batch,
// on each GPU backend the browser offers (webgl; webgpu where there is an adapter). The
// result goes to `window.cnncResult` for the test and to the page for the screenshot.

import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-webgpu";
import { buildModel, inputShape, outputShape } from "./lenet5.cnn";

const STEPS = 10;
const BATCH = 64;
const PROBE = 8;

interface BackendRun {
  requested: string;
  backend: string;
  predictions?: number[][];
  losses?: number[];
  msPerStep?: number;
  error?: string;
}

const log = document.getElementById("log")!;
const say = (line: string): void => {
  log.textContent = log.textContent === "starting…" ? line : `${log.textContent}\n${line}`;
};

async function floats(file: string): Promise<Float32Array> {
  return new Float32Array(await (await fetch(file)).arrayBuffer());
}

async function run(requested: string, x: Float32Array, y: Float32Array): Promise<BackendRun> {
  if (requested === "webgpu" && (!("gpu" in navigator) || (await (navigator as unknown as { gpu: { requestAdapter(): Promise<unknown> } }).gpu.requestAdapter()) === null)) {
    return { requested, backend: "none", error: "the browser offers no WebGPU adapter" };
  }
  if (!(await tf.setBackend(requested))) return { requested, backend: tf.getBackend(), error: `tfjs could not start ${requested}` };
  await tf.ready();
  const [height, width, channels] = inputShape;
  const count = y.length / outputShape[0]!;
  const images = tf.tensor4d(x, [count, height!, width!, channels!]);
  const labels = tf.tensor2d(y, [count, outputShape[0]!]);
  const model = buildModel();
  const probe = images.slice(0, PROBE);
  const predictions = (model.predict(probe) as tf.Tensor).arraySync() as number[][];
  model.compile({ optimizer: tf.train.adam(0.001), loss: "categoricalCrossentropy" });
  const losses: number[] = [];
  const start = performance.now();
  for (let step = 0; step < STEPS; step++) {
    const from = (step * BATCH) % (count - BATCH);
    const [xb, yb] = [images.slice(from, BATCH), labels.slice(from, BATCH)];
    losses.push((await model.trainOnBatch(xb, yb)) as number);
    tf.dispose([xb, yb]);
  }
  const msPerStep = (performance.now() - start) / STEPS;
  tf.dispose([images, labels, probe]);
  model.dispose();
  say(`${tf.getBackend()}: loss ${losses[0]!.toFixed(3)} → ${losses.at(-1)!.toFixed(3)} in ${STEPS} steps of ${BATCH}, ${msPerStep.toFixed(0)} ms a step`);
  return { requested, backend: tf.getBackend(), predictions, losses, msPerStep };
}

async function main(): Promise<void> {
  const [x, y] = await Promise.all([floats("x.bin"), floats("y.bin")]);
  const runs: BackendRun[] = [];
  for (const backend of ["webgl", "webgpu"]) {
    try {
      runs.push(await run(backend, x, y));
    } catch (error) {
      runs.push({ requested: backend, backend: tf.getBackend(), error: String(error) });
    }
    if (runs.at(-1)!.error !== undefined) say(`${backend}: ${runs.at(-1)!.error}`);
  }
  (window as unknown as { cnncResult: unknown }).cnncResult = { runs, userAgent: navigator.userAgent };
}

main().catch((error) => {
  say(`failed: ${error}`);
  (window as unknown as { cnncResult: unknown }).cnncResult = { error: String(error) };
});
