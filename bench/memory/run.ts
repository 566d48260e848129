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

const CASES: [string, number][] = process.argv.length > 2
  ? process.argv.slice(2).map((c) => [c.split(":")[0]!, Number(c.split(":")[1])])
  : [
      ["lenet5", 32],
      ["lenet5", 128],
      ["resnet20", 8],
      ["resnet20", 32],
      ["mobilenet_v2", 1],
      ["mobilenet_v2", 2],
    ];

interface Row {
  name: string;
  batch: number;
  estimate: MemoryEstimate;
  tfjsPeak: number;
  torch: { saved: number; params: number; gradients: number; optimizer: number };
}

async function measureTfjs(name: string, batch: number): Promise<{ estimate: MemoryEstimate; peak: number; torchDir: string; optimizer: string }> {
  const file = join(ROOT, "examples", `${name}.cnn`);
  const source = readFileSync(file, "utf8");
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
  for (const [name, batch] of CASES) {
    const started = Date.now();
    const tfjs = await measureTfjs(name, batch);
    const torch = measureTorch(tfjs.torchDir, batch, tfjs.optimizer);
    rows.push({ name, batch, estimate: tfjs.estimate, tfjsPeak: tfjs.peak, torch });
    process.stderr.write(`${name} batch ${batch}: ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
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
  lines.push("", `Measured ${new Date().toISOString().slice(0, 10)}, busy machine (memory figures do not depend on load).`);
  replaceSection(join(ROOT, "bench", "RESULTS.md"), "memory", lines.join("\n"));
  process.stdout.write(lines.join("\n") + "\n");
}

await main();
