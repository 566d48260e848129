// Benchmark: one training step (batch 64) of LeNet-5 and ResNet-20 built by cnnc
// (examples/*.cnn → IR → tfjs layers), against the same models written by hand with the
// tfjs layers API, on the same backend in the same run. The ratio cnnc ÷ hand-written
// shows what the compiler's lowering costs at training time.
//
// Run with `npm run build && node dist/bench/train-step/run.js [--backend cpu|wasm] [--steps N]`.

import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import type * as tfjs from "@tensorflow/tfjs";
import { compile } from "../../src/compile.js";
import { buildIr } from "../../src/ir/build.js";
import { buildTfjsModel } from "../../src/emit/tfjs-build.js";
import type { Tf } from "../../src/runtime/tf.js";
import { lowerToTfjs } from "../../src/emit/tfjs-lowering.js";
import { loadTfjs, type BackendRequest } from "../../src/runtime/backend.js";
import { prepareTraining } from "../../src/kernels/index.js";
import { median, replaceSection, ROOT } from "../common.js";
import { handwrittenLeNet5, handwrittenResNet20 } from "./handwritten.js";

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1]! : fallback;
}

function cnncModel(tf: Tf, example: string): tfjs.LayersModel {
  const text = readFileSync(join(ROOT, "examples", `${example}.cnn`), "utf8");
  const model = compile(text).models.at(-1)!;
  return buildTfjsModel(tf, lowerToTfjs(buildIr(model, text), { seed: 1 }));
}

/** Median milliseconds of `trainOnBatch` after warm-up steps. */
async function stepTime(tf: Tf, model: tfjs.LayersModel, inputShape: number[], steps: number): Promise<number> {
  model.compile({ optimizer: tf.train.sgd(0.01), loss: "categoricalCrossentropy" });
  const x = tf.randomNormal([64, ...inputShape], 0, 1, "float32", 1);
  const y = tf.oneHot(tf.randomUniform([64], 0, 10, "int32", 2) as tfjs.Tensor1D, 10);
  const samples: number[] = [];
  for (let i = 0; i < steps + 2; i++) {
    const start = performance.now();
    await model.trainOnBatch(x, y);
    if (i >= 2) samples.push(performance.now() - start);
  }
  tf.dispose([x, y]);
  return median(samples);
}

async function main(): Promise<void> {
  const request = option("backend", "wasm") as BackendRequest;
  const steps = Number(option("steps", "10"));
  const { tf, backend } = await loadTfjs(request);
  await prepareTraining(tf, backend);
  const rows: string[] = [];
  for (const [example, handwritten, shape] of [
    ["lenet5", handwrittenLeNet5, [32, 32, 1]],
    ["resnet20", handwrittenResNet20, [32, 32, 3]],
  ] as const) {
    const ours = cnncModel(tf, example);
    const theirs = handwritten(tf);
    if (ours.countParams() !== theirs.countParams()) throw new Error(`${example}: the hand-written model differs (${theirs.countParams()} vs ${ours.countParams()} parameters)`);
    // Alternate the two so that drift in machine load affects both alike.
    const cnncTimes: number[] = [];
    const handTimes: number[] = [];
    for (let round = 0; round < 3; round++) {
      cnncTimes.push(await stepTime(tf, ours, [...shape], steps));
      handTimes.push(await stepTime(tf, theirs, [...shape], steps));
    }
    const cnncMs = median(cnncTimes);
    const handMs = median(handTimes);
    const row = `| ${example} | ${backend} | ${handMs.toFixed(1)} | ${cnncMs.toFixed(1)} | ${(cnncMs / handMs).toFixed(3)} |`;
    rows.push(row);
    process.stdout.write(row + "\n");
    ours.dispose();
    theirs.dispose();
  }
  replaceSection(
    join(ROOT, "bench", "RESULTS.md"),
    "train-step",
    [
      `Machine: ${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}. Batch 64, SGD; median of ${steps} steps after 2 warm-up steps, over 3 alternating rounds.`,
      "",
      "| model | backend | hand-written tf.layers (ms/step) | cnnc (ms/step) | cnnc ÷ hand-written |",
      "|---|---|---:|---:|---:|",
      ...rows,
    ].join("\n"),
  );
}

await main();
