// Checks the training-memory estimate (src/summary/memory.ts) against what the runtimes
// really allocate: the peak of tf.memory().numBytes during one training step on tfjs's cpu
// backend (read as each tensor is made, after a first step has created the optimizer's state), and PyTorch's
// own accounting (torch_saved.py: the bytes autograd saves, parameters, gradients and
// optimizer state). Writes the `memory` section of bench/RESULTS.md.
//
//   npm run bench:memory

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { compile } from "../../src/compile.js";
import { buildIr } from "../../src/ir/build.js";
import { lowerToTfjs } from "../../src/emit/tfjs-lowering.js";
import { buildTfjsModel } from "../../src/emit/tfjs-build.js";
import { emitModelPy } from "../../src/emit/pytorch.js";
import { makeOptimizer } from "../../src/train/optimizer.js";
import { makeObjective } from "../../src/train/objective.js";
import { resolveSettings } from "../../src/train/config.js";
import { estimateMemory, formatBytes, type MemoryEstimate } from "../../src/summary/memory.js";
import { ROOT, replaceSection } from "../common.js";
import { peakBytesDuring } from "./peak.js";

/** `name:batch`, or `name@size:batch` for a square input of that size (MobileNetV2 at 224×224 takes minutes a step on the cpu backend). */
const CASES: string[] = process.argv.length > 2 ? process.argv.slice(2) : ["lenet5:32", "lenet5:128", "resnet20:4", "resnet20:16", "mobilenet_v2@96:1", "mobilenet_v2@96:2"];

interface Row {
  name: string;
  batch: number;
  estimate: MemoryEstimate;
  tfjsPeak: number;
  torch: { saved: number; params: number; gradients: number; optimizer: number };
}

async function measureTfjs(name: string, size: number | undefined, batch: number): Promise<{ estimate: MemoryEstimate; peak: number; torchDir: string; optimizer: string }> {
  const file = join(ROOT, "examples", `${name}.cnn`);
  const text = readFileSync(file, "utf8");
  const source = size === undefined ? text : text.replace(/input (\w+): \[\d+, \d+,/, `input $1: [${size}, ${size},`);
  const result = compile(source, { path: file });
  const graph = result.models[result.models.length - 1]!;
  const declared = result.trains.find((t) => t.model === graph.name);
  const settings = resolveSettings(declared, { batch });
  const estimate = estimateMemory(graph, { batch, train: declared })!;
  const ir = buildIr(graph, source, declared);
  const torchDir = mkdtempSync(join(tmpdir(), "cnnc-memory-"));
  writeFileSync(join(torchDir, "model.py"), emitModelPy({ ir, sourceFile: `${name}.cnn` }));
  const model = buildTfjsModel(tf, lowerToTfjs(ir, { seed: 1 }));
  const output = graph.nodes[graph.outputId!]!;
  const classes = output.shape[0] as number;
  const optimizer = makeOptimizer(tf, settings.optimizer);
  const objective = makeObjective(tf, settings, output.op, classes);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const x = tf.randomUniform([batch, ...(graph.nodes[0]!.shape as number[])]);
  const y = tf.oneHot(tf.randomUniform([batch], 0, classes, "int32") as tf.Tensor1D, classes).toFloat();
  const step = (): void => tf.tidy(() => optimizer.step(() => objective.loss(model.apply(x, { training: true }) as tf.Tensor, y), variables)).dispose();
  step();
  const peak = peakBytesDuring(step);
  model.dispose();
  tf.dispose([x, y]);
  const momentum = (settings.optimizer.config["momentum"] as number | undefined) ?? 0;
  const torchOptimizer = settings.optimizer.name === "sgd" && momentum > 0 ? "sgd-momentum" : settings.optimizer.name;
  return { estimate, peak, torchDir, optimizer: torchOptimizer };
}

function measureTorch(dir: string, batch: number, optimizer: string): Row["torch"] {
  const run = spawnSync("/usr/bin/python3", [join(ROOT, "bench", "memory", "torch_saved.py"), dir, String(batch), optimizer], { encoding: "utf8", timeout: 600_000 });
  if (run.status !== 0) throw new Error(`torch_saved.py failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split("\n").pop()!) as Row["torch"];
}

const off = (estimate: number, measured: number): string => `${estimate >= measured ? "+" : ""}${(((estimate - measured) / measured) * 100).toFixed(1)}%`;

async function main(): Promise<void> {
  await tf.setBackend("cpu");
  const rows: Row[] = [];
  for (const entry of CASES) {
    const match = /^(\w+)(?:@(\d+))?:(\d+)$/.exec(entry);
    if (match === null) throw new Error(`expected name:batch or name@size:batch, found ${entry}`);
    const [, name, size, batchText] = match;
    const batch = Number(batchText);
    const started = Date.now();
    const tfjs = await measureTfjs(name!, size === undefined ? undefined : Number(size), batch);
    const torch = measureTorch(tfjs.torchDir, batch, tfjs.optimizer);
    rows.push({ name: size === undefined ? name! : `${name} (${size}×${size} input)`, batch, estimate: tfjs.estimate, tfjsPeak: tfjs.peak, torch });
    process.stderr.write(`${entry}: ${((Date.now() - started) / 1000).toFixed(0)} s ${JSON.stringify({ tfjs: [tfjs.estimate.training.tfjs, tfjs.peak], saved: [tfjs.estimate.saved, torch.saved] })}\n`);
  }
  const lines = [
    "## Training memory: estimate against tfjs and PyTorch",
    "",
    "`npm run bench:memory` (bench/memory/run.ts). For each model and batch: cnnc's estimate (`cnnc summary --batch N`),",
    "the peak of `tf.memory().numBytes` during one training step on tfjs's cpu backend (read as each tensor is made; second step,",
    "the model's own optimizer and loss), and PyTorch 1.13's accounting of the model.py cnnc writes",
    "(bench/memory/torch_saved.py: the bytes autograd's saved_tensors_hooks see, one count per storage,",
    "parameters and buffers excluded; parameters, gradients and optimizer state after one step).",
    "",
    "| model | batch | tfjs step: estimate | tfjs step: measured | off | kept for backward: estimate | PyTorch saved | off | params + grads + optimizer: estimate | PyTorch | off |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const r of rows) {
    const e = r.estimate;
    const state = e.params + e.gradients + e.optimizerState;
    const torchState = r.torch.params + r.torch.gradients + r.torch.optimizer;
    lines.push(`| ${r.name} | ${r.batch} | ${formatBytes(e.training.tfjs)} | ${formatBytes(r.tfjsPeak)} | ${off(e.training.tfjs, r.tfjsPeak)} | ${formatBytes(e.saved)} | ${formatBytes(r.torch.saved)} | ${off(e.saved, r.torch.saved)} | ${formatBytes(state)} | ${formatBytes(torchState)} | ${off(state, torchState)} |`);
  }
  const worst = (f: (r: Row) => [number, number]): string => `${Math.max(...rows.map((r) => Math.abs((f(r)[0] - f(r)[1]) / f(r)[1]) * 100)).toFixed(1)}%`;
  lines.push(
    "",
    `Largest difference (target 15%): tfjs step ${worst((r) => [r.estimate.training.tfjs, r.tfjsPeak])}, kept for backward ${worst((r) => [r.estimate.saved, r.torch.saved])}, parameters + gradients + optimizer ${worst((r) => [r.estimate.params + r.estimate.gradients + r.estimate.optimizerState, r.torch.params + r.torch.gradients + r.torch.optimizer])}.`,
    "",
    "Why they differ. *Kept for backward* counts each saved tensor's bytes; PyTorch also saves batchnorm's per-channel mean and",
    "inverse standard deviation and, where a layer's input is a view, counts the storage behind it: a fraction of a percent.",
    "Parameters: PyTorch also has batchnorm's int64 `num_batches_tracked` counters (8 bytes per batchnorm). The tfjs step adds,",
    "per layer, the output-sized tensors tfjs keeps for that layer kind (measured one layer at a time by",
    "`node dist/bench/memory/probe.js`); in a whole network the peak is not exactly their sum, a convolution whose PyTorch",
    "padding tfjs cannot say gets a zeroPadding2d layer the checked graph does not have, and kinds not probed count 2.",
    "MobileNetV2 runs at 96×96 here (the same layers; a 224×224 step takes minutes on the cpu backend).",
    "",
    `Measured ${new Date().toISOString().slice(0, 10)}, busy machine (memory figures do not depend on load).`,
  );
  replaceSection(join(ROOT, "bench", "RESULTS.md"), "memory", lines.join("\n"));
  process.stdout.write(lines.join("\n") + "\n");
}

await main();
