// The test page: LeNet-5, imported from its .cnn file through cnnc/vite, predicts a fixed
// batch with its seeded initial weights, then trains some steps on a Fashion-MNIST batch,
// on each GPU backend the browser offers (webgl; webgpu where there is an adapter). The
// result goes to `window.cnncResult` for the test and to the page for the screenshot.

import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-webgpu";
import { check, summarize } from "cnnc";
import { buildModel, inputShape, outputShape } from "./lenet5.cnn";

// Training steps per backend: on SwiftShader (Chromium without a GPU) a webgpu step took
// about four times as long as a webgl one here.
const STEPS: Record<string, number> = { webgl: 10, webgpu: 4 };
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
  const predicted = model.predict(probe) as tf.Tensor;
  // Asynchronous read-back: webgpu cannot read synchronously.
  const predictions = (await predicted.array()) as number[][];
  predicted.dispose();
  model.compile({ optimizer: tf.train.adam(0.001), loss: "categoricalCrossentropy" });
  const losses: number[] = [];
  const start = performance.now();
  const steps = STEPS[requested] ?? 4;
  for (let step = 0; step < steps; step++) {
    const from = (step * BATCH) % (count - BATCH);
    const [xb, yb] = [images.slice(from, BATCH), labels.slice(from, BATCH)];
    losses.push((await model.trainOnBatch(xb, yb)) as number);
    tf.dispose([xb, yb]);
  }
  const msPerStep = (performance.now() - start) / steps;
  tf.dispose([images, labels, probe]);
  model.dispose();
  say(`${tf.getBackend()}: loss ${losses[0]!.toFixed(3)} → ${losses.at(-1)!.toFixed(3)} in ${steps} steps of ${BATCH}, ${msPerStep.toFixed(0)} ms a step`);
  return { requested, backend: tf.getBackend(), predictions, losses, msPerStep };
}

/** The library's browser entry: the checker with its built-in standard library, and nothing read from disk. */
function library(): { ok: boolean; total: number; missing: string[] } {
  const text = 'import { basic } from "std/resnet"\nmodel Probe {\n  input image: [8, 8, 3]\n  basic(4)\n}\n';
  const ok = check(text, { path: "/probe.cnn" }).ok;
  const missing = check('import { twice } from "./blocks"\n', { path: "/probe.cnn" }).diagnostics.map((d) => d.code);
  say(`cnnc in the page: the probe checks ${ok ? "clean" : "with errors"}`);
  return { ok, total: summarize(text, { path: "/probe.cnn" }).params.total, missing };
}

async function main(): Promise<void> {
  const checked = library();
  const [x, y] = await Promise.all([floats("x.bin"), floats("y.bin")]);
  const runs: BackendRun[] = [];
  // `?backends=webgpu,webgl` picks others, or another order, when trying the page by hand.
  for (const backend of new URLSearchParams(location.search).get("backends")?.split(",") ?? ["webgl", "webgpu"]) {
    try {
      runs.push(await run(backend, x, y));
    } catch (error) {
      runs.push({ requested: backend, backend: tf.getBackend(), error: String(error) });
    }
    if (runs.at(-1)!.error !== undefined) say(`${backend}: ${runs.at(-1)!.error}`);
  }
  (window as unknown as { cnncResult: unknown }).cnncResult = { runs, library: checked, userAgent: navigator.userAgent };
}

main().catch((error) => {
  say(`failed: ${error}`);
  (window as unknown as { cnncResult: unknown }).cnncResult = { error: String(error) };
});
