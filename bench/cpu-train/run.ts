// Benchmark: one training step (batch 64, softmax cross-entropy on logits, Adam) of a
// LeNet-5 on 28×28×1 and a ResNet-20 on 32×32×3, and at batch 4 of examples/resnet50.cnn
// on 224×224×3, all built by cnnc from .cnn text
// (compile → buildIr → lowerToTfjs → buildTfjsModel), on stock tfjs cpu, stock tfjs wasm,
// and cnnc's kernels on cpu and on wasm, against PyTorch 1.13 (torch_step.py) in the same
// run. Every configuration runs in a process of its own; the table gives medians and
// rewrites the cpu-train section of bench/RESULTS.md.
//
// Then one epoch of `cnnc train` against the emitted PyTorch train.py, whole processes
// (epoch.ts), into the cpu-train-epoch section; then a per-kernel profile of one step of
// each model on wasm with cnnc's kernels (profile.ts), into the cpu-train-profile section.
//
// Run with `npm run build && node dist/bench/cpu-train/run.js`. Flags:
//   --models lenet5,resnet20,resnet50   the models to run (default: all; the epoch
//                                       comparison has LeNet-5 and ResNet-20 only)
//   --step-only, --epoch-only, --profile-only   one of the three parts
//   --no-epoch, --no-profile            leave a part out
//   --all                               add stock tfjs cpu on ResNet-20 (minutes a step)
// Every section states the load average it ran under: figures from a busy machine say so.

import { spawnSync } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readFileSync } from "node:fs";
import type { LayersModel, Scalar, Tensor, Variable } from "@tensorflow/tfjs";
import { compile } from "../../src/compile.js";
import { nodeHost } from "../../src/host/node.js";
import type { Tf } from "../../src/runtime/tf.js";
import { buildTfjsModel } from "../../src/emit/tfjs-build.js";
import { lowerToTfjs } from "../../src/emit/tfjs-lowering.js";
import { buildIr } from "../../src/ir/build.js";
import { prepareTraining, wasmThreadCount } from "../../src/kernels/index.js";
import { loadTfjs } from "../../src/runtime/backend.js";
import { median, replaceSection, ROOT } from "../common.js";
import { GROUPS, profileStep, type StepProfile } from "./profile.js";
import { EPOCH_COMMANDS, EPOCH_MODELS, epochComparison, epochTable, type EpochResult } from "./epoch.js";

export const MODELS = {
  lenet5: {
    label: "LeNet-5, 28×28×1",
    input: [64, 28, 28, 1],
    text: `
model LeNet5 {
  input image: [28, 28, 1]
  conv 6, kernel: 5, padding: 2 -> relu -> maxpool 2
  conv 16, kernel: 5 -> relu -> maxpool 2
  flatten
  dense 120 -> relu
  dense 84 -> relu
  dense 10
}`,
  },
  resnet20: {
    label: "ResNet-20, 32×32×3",
    input: [64, 32, 32, 3],
    text: `
/// He et al.'s CIFAR ResNet-20, with 1x1 conv + batchnorm shortcuts where the shape changes.
model ResNet20 {
  input image: [32, 32, 3]
  conv 16, kernel: 3, padding: 1, bias: false -> batchnorm -> relu
  for channels, stride in [(16, 1), (32, 2), (64, 2)] {
    BasicBlock(channels, stride)
    repeat 2 { BasicBlock(channels) }
  }
  global avgpool
  dense 10
}

block BasicBlock(channels, stride = 1) {
  residual {
    conv channels, kernel: 3, stride: stride, padding: 1, bias: false -> batchnorm -> relu
    conv channels, kernel: 3, padding: 1, bias: false -> batchnorm
  } shortcut auto
  relu
}`,
  },
  resnet50: {
    label: "ResNet-50, 224×224×3, batch 4",
    input: [4, 224, 224, 3],
    file: "examples/resnet50.cnn",
  },
} as Record<string, { label: string; input: number[]; text?: string; file?: string }>;
type ModelName = "lenet5" | "resnet20" | "resnet50";
const MODEL_NAMES: ModelName[] = ["lenet5", "resnet20", "resnet50"];

/** The model as tfjs layers, built by cnnc from its .cnn text (or an example file, with its imports). */
function buildModel(tf: Tf, model: ModelName): LayersModel {
  const { text, file } = MODELS[model]!;
  const path = file === undefined ? undefined : join(ROOT, file);
  const source = text ?? readFileSync(path!, "utf8");
  const result = compile(source, { path, host: nodeHost });
  return buildTfjsModel(tf, lowerToTfjs(buildIr(result.models.at(-1)!, source), { seed: 1 }));
}

/** Random images and one-hot labels for a batch of the model's input. */
function randomBatch(tf: Tf, model: ModelName): { x: Tensor; labels: Tensor } {
  const input = MODELS[model]!.input;
  const classes = model === "resnet50" ? 1000 : 10;
  return { x: tf.randomNormal(input), labels: tf.oneHot(tf.randomUniform([input[0]!], 0, classes, "int32") as Tensor, classes) };
}

/** The tfjs configurations compared: the backend, and whether cnnc's kernels are registered. */
const VARIANTS = {
  "stock-cpu": { backend: "cpu", cnnc: false, label: "tfjs cpu" },
  "stock-wasm": { backend: "wasm", cnnc: false, label: "tfjs wasm" },
  "cnnc-cpu": { backend: "cpu", cnnc: true, label: "cnnc cpu" },
  "cnnc-wasm-1": { backend: "wasm", cnnc: true, label: "cnnc wasm, 1 thread" },
  "cnnc-wasm": { backend: "wasm", cnnc: true, label: "cnnc wasm" },
} as const;
type Variant = keyof typeof VARIANTS;

interface Measured {
  samples?: number[];
  median?: number;
  threads?: number;
  error?: string;
}

/** Child process: times `steps` training steps after `warmup` ones and prints JSON. */
async function measure(variant: Variant, model: ModelName, warmup: number, steps: number): Promise<Measured> {
  const { backend, cnnc } = VARIANTS[variant];
  const { tf } = await loadTfjs(backend);
  if (cnnc) await prepareTraining(tf, backend, { threads: variant === "cnnc-wasm-1" ? 1 : undefined });
  const layers = buildModel(tf, model);
  const { x, labels } = randomBatch(tf, model);
  const optimizer = tf.train.adam(1e-3);
  const step = (): void => {
    const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(labels, layers.apply(x, { training: true }) as Tensor) as Scalar, true)!;
    loss.dataSync();
    loss.dispose();
  };
  const samples: number[] = [];
  try {
    for (let i = 0; i < warmup + steps; i++) {
      const start = performance.now();
      step();
      if (i >= warmup) samples.push(performance.now() - start);
    }
  } catch (error) {
    return { error: (error as Error).message.split("\n")[0] };
  }
  return { samples, median: median(samples), threads: backend === "wasm" ? wasmThreadCount() : 1 };
}

interface Plan {
  variant: Variant;
  model: ModelName;
  warmup: number;
  steps: number;
  timeoutSeconds: number;
}

function plans(all: boolean, models: ModelName[]): Plan[] {
  // A ResNet-50 step takes tens of seconds: only cnnc's wasm kernels, at their default threads.
  const list: Plan[] = models.includes("resnet50") ? [{ variant: "cnnc-wasm", model: "resnet50", warmup: 1, steps: 2, timeoutSeconds: 600 }] : [];
  for (const model of (["lenet5", "resnet20"] as const).filter((m) => models.includes(m))) {
    const lenet = model === "lenet5";
    list.push({ variant: "stock-wasm", model, warmup: 0, steps: 1, timeoutSeconds: 120 });
    if (lenet || all) list.push({ variant: "stock-cpu", model, warmup: lenet ? 1 : 0, steps: lenet ? 3 : 1, timeoutSeconds: lenet ? 300 : 900 });
    list.push({ variant: "cnnc-cpu", model, warmup: 1, steps: lenet ? 15 : 3, timeoutSeconds: 600 });
    list.push({ variant: "cnnc-wasm-1", model, warmup: 2, steps: lenet ? 30 : 7, timeoutSeconds: 600 });
    list.push({ variant: "cnnc-wasm", model, warmup: 2, steps: lenet ? 30 : 11, timeoutSeconds: 600 });
  }
  return list;
}

/** Child process: the per-kernel profile of one step on wasm with cnnc's kernels, as JSON. */
async function profile(model: ModelName): Promise<StepProfile & { threads: number }> {
  const { tf } = await loadTfjs("wasm");
  await prepareTraining(tf, "wasm");
  const layers = buildModel(tf, model);
  const { x, labels } = randomBatch(tf, model);
  const variables = layers.trainableWeights.map((w) => w.read() as Variable);
  const measured = await profileStep(tf, () => tf.losses.softmaxCrossEntropy(labels, layers.apply(x, { training: true }) as Tensor) as Scalar, variables, model === "resnet50" ? 1 : 2);
  return { ...measured, threads: wasmThreadCount() };
}

function runProfile(model: ModelName): (StepProfile & { threads: number }) | { error: string } {
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--profile", model], { encoding: "utf8", timeout: 600_000, maxBuffer: 16 << 20 });
  if (child.error !== undefined || child.status !== 0) return { error: (child.stderr || String(child.error)).trim().split("\n").slice(-1)[0]! };
  return JSON.parse(child.stdout.trim().split("\n").at(-1)!) as StepProfile & { threads: number };
}

/** The profile table: one column per model, ms and share of the step for each group. */
function profileTable(profiles: Map<ModelName, StepProfile | { error: string }>): string {
  const models = [...profiles.keys()];
  const column = (model: ModelName, group: (typeof GROUPS)[number]): string => {
    const p = profiles.get(model)!;
    if ("error" in p) return "—";
    return `${formatMs(p.groups[group])} (${Math.round((100 * p.groups[group]) / p.stepMs)}%)`;
  };
  const lines = [
    `| step on cnnc wasm, ms (share) | ${models.map((m) => MODELS[m]!.label).join(" | ")} |`,
    `|---|${models.map(() => "---:").join("|")}|`,
    ...GROUPS.map((group) => `| ${group} | ${models.map((m) => column(m, group)).join(" | ")} |`),
    `| **whole step** | ${models.map((m) => { const p = profiles.get(m)!; return "error" in p ? `fails: ${p.error}` : `**${formatMs(p.stepMs)}**`; }).join(" | ")} |`,
    "",
    "Costliest kernels (ms):",
    "",
    ...models.map((m) => { const p = profiles.get(m)!; return "error" in p ? `- ${MODELS[m]!.label}: —` : `- ${MODELS[m]!.label}: ${p.top.map(([name, ms]) => `${name} ${formatMs(ms)}`).join(", ")}`; }),
  ];
  return lines.join("\n");
}

function runChild(plan: Plan): Measured {
  const self = fileURLToPath(import.meta.url);
  const child = spawnSync(process.execPath, [self, "--child", plan.variant, plan.model, String(plan.warmup), String(plan.steps)], { encoding: "utf8", timeout: plan.timeoutSeconds * 1000, maxBuffer: 16 << 20 });
  if (child.error !== undefined || child.status !== 0) {
    if (child.signal === "SIGTERM") return { error: `stopped after ${plan.timeoutSeconds} s without finishing ${plan.warmup + plan.steps} step(s)` };
    return { error: (child.stderr || String(child.error)).trim().split("\n").slice(-1)[0] };
  }
  return JSON.parse(child.stdout.trim().split("\n").at(-1)!) as Measured;
}

interface TorchResult {
  torch: string;
  threads: number;
  lenet5?: { samples: number[] };
  resnet20?: { samples: number[] };
  resnet50?: { samples: number[] };
}

/** PyTorch's step times for both models at a thread count (one process, warmed up). */
function runTorch(threads: number, models: ModelName[]): TorchResult {
  const run = spawnSync("/usr/bin/python3", [join(ROOT, "bench", "cpu-train", "torch_step.py"), "20", String(threads), models.join(",")], { encoding: "utf8", timeout: 900_000 });
  if (run.status !== 0) throw new Error(`PyTorch baseline failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as TorchResult;
}

const formatMs = (ms: number): string => (ms >= 1000 ? `${Math.round(ms).toLocaleString("en-US")}` : ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));

function cell(m: Measured | undefined): string {
  if (m === undefined) return "not run";
  if (m.error !== undefined) return `fails: ${m.error.replace(/\|/g, "\\|")}`;
  return formatMs(m.median!);
}

function ratio(m: Measured | undefined, baseline: number): string {
  return m?.median === undefined ? "—" : `${(m.median / baseline).toFixed(1)}×`;
}

/** The machine, and the load it ran under: a busy machine's milliseconds are not comparable across runs. */
function machineLine(startLoad: number): string {
  const load = `load average ${startLoad.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end`;
  const busy = Math.max(startLoad, loadavg()[0]!) > cpus().length / 2 ? `**Busy machine** (${load}): read ratios taken in this run, not the seconds. ` : `Quiet machine (${load}). `;
  return `${busy}Machine: ${cpus().length} × ${cpus()[0]?.model.trim() ?? "unknown CPU"}, Node ${process.version}`;
}

function writeProfiles(models: ModelName[]): void {
  const startLoad = loadavg()[0]!;
  const profiles = new Map(models.map((model) => [model, runProfile(model)] as const));
  const threads = [...profiles.values()].map((p) => ("threads" in p ? p.threads : undefined)).find((t) => t !== undefined) ?? 1;
  const profileBody = [
    `${machineLine(startLoad)}, tfjs 4.22 wasm with cnnc's kernels, ${threads} thread(s). One warmed-up step (batch 64; ResNet-50 batch 4) under tf.profile: each tfjs kernel's time, grouped by bench/cpu-train/profile.ts; kernels cnnc's kernels run inside themselves count in the outer one; bookkeeping is the step's wall time less all kernels' (tape, tidy, disposal, glue). Profiling adds a little time of its own.`,
    "",
    profileTable(profiles),
  ].join("\n");
  console.log(`\n${profileBody}`);
  replaceSection(join(ROOT, "bench", "RESULTS.md"), "cpu-train-profile", profileBody);
}

function writeEpochs(models: ModelName[]): void {
  const startLoad = loadavg()[0]!;
  const results: EpochResult[] = [];
  for (const model of EPOCH_MODELS.filter((m) => models.includes(m))) {
    console.log(`one epoch, ${model}:`);
    results.push(epochComparison(model, (line) => console.log(line)));
  }
  if (results.length === 0) return;
  const body = [
    `${machineLine(startLoad)}, PyTorch 1.13 (Debian's build). One epoch each, as users run them: \`cnnc train\` (the CLI bundle, its default backend) against the train.py that \`cnnc build --target pytorch\` writes for the same .cnn file, on the same data, each timed as a whole process (start-up, loading the data, the epoch, validation, the test set where there is one, saving); "epoch only" is the epoch's own seconds as each trainer logs them (training and validation). PyTorch runs before and after cnnc, with 1 and 2 threads. Commands (bench/cpu-train/epoch.ts): ${EPOCH_COMMANDS.join("; ")}.`,
    "",
    epochTable(results),
  ].join("\n");
  console.log(`\n${body}`);
  replaceSection(join(ROOT, "bench", "RESULTS.md"), "cpu-train-epoch", body);
}

function writeSteps(models: ModelName[], all: boolean): void {
  const startLoad = loadavg()[0]!;
  const results = new Map<string, Measured>();
  // PyTorch runs before and after the tfjs configurations, with one thread and with two
  // (on a loaded machine two OpenMP threads can be many times slower than one), and the
  // samples of both runs are pooled.
  const torchRuns = [runTorch(1, models), runTorch(2, models)];
  for (const plan of plans(all, models)) {
    const measured = runChild(plan);
    results.set(`${plan.variant}/${plan.model}`, measured);
    console.log(`${VARIANTS[plan.variant].label} ${plan.model}: ${cell(measured)}${measured.median !== undefined ? ` ms (median of ${measured.samples!.length})` : ""}`);
  }
  torchRuns.push(runTorch(1, models), runTorch(2, models));
  const torchVersion = torchRuns[0]!.torch;
  const torchMedian = (model: ModelName, threads: number): number => median(torchRuns.filter((r) => r.threads === threads).flatMap((r) => r[model]!.samples));
  const threads = results.get("cnnc-wasm/resnet20")?.threads ?? results.get("cnnc-wasm/lenet5")?.threads ?? 1;
  const rows = models.map((model) => {
    const torch1 = torchMedian(model, 1);
    const torch2 = torchMedian(model, 2);
    const best = Math.min(torch1, torch2);
    const get = (variant: Variant): Measured | undefined => results.get(`${variant}/${model}`);
    const fastestWasm = [get("cnnc-wasm-1"), get("cnnc-wasm")].filter((m) => m?.median !== undefined).sort((p, q) => p!.median! - q!.median!)[0];
    return `| ${MODELS[model]!.label} | ${formatMs(torch1)} | ${formatMs(torch2)} | ${cell(get("stock-cpu"))} | ${cell(get("stock-wasm"))} | ${cell(get("cnnc-cpu"))} | ${cell(get("cnnc-wasm-1"))} | ${cell(get("cnnc-wasm"))} | ${ratio(get("cnnc-cpu"), best)} | ${ratio(fastestWasm, best)} | ${ratio(get("cnnc-wasm-1"), torch1)} |`;
  });
  const body = [
    `${machineLine(startLoad)}, PyTorch ${torchVersion} (Debian's build), tfjs 4.22. One training step at batch 64: forward, softmax cross-entropy, backward, Adam. Medians in ms; every configuration runs in a process of its own; PyTorch runs before and after the tfjs configurations and its samples are pooled (20 LeNet-5 and 10 ResNet-20 steps a run; tfjs step counts in run.ts). Two threads lose badly whenever another job holds a core, so both thread counts are shown, and the ratios compare the faster configuration of each side (and one thread against one thread).`,
    "",
    `| train step | PyTorch, 1 thread | PyTorch, 2 threads | tfjs cpu | tfjs wasm | cnnc cpu | cnnc wasm, 1 thread | cnnc wasm, ${threads} threads | cnnc cpu ÷ best PyTorch | best cnnc wasm ÷ best PyTorch | 1 thread ÷ 1 thread |`,
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows,
  ].join("\n");
  console.log(`\n${body}`);
  replaceSection(join(ROOT, "bench", "RESULTS.md"), "cpu-train", body);
}

/** The value of `--models a,b`: the models to run, in the table's order. */
function chosenModels(): ModelName[] {
  const at = process.argv.indexOf("--models");
  if (at < 0) return MODEL_NAMES;
  const named = (process.argv[at + 1] ?? "").split(",").filter(Boolean);
  const unknown = named.filter((m) => !(MODEL_NAMES as string[]).includes(m));
  if (unknown.length > 0 || named.length === 0) throw new Error(`--models expects a comma-separated list of ${MODEL_NAMES.join(", ")}; found ${process.argv[at + 1] ?? "nothing"}`);
  return MODEL_NAMES.filter((m) => named.includes(m));
}

async function main(): Promise<void> {
  const models = chosenModels();
  const flag = (name: string): boolean => process.argv.includes(name);
  const only = ["--step-only", "--epoch-only", "--profile-only"].find(flag);
  if (only === undefined || only === "--step-only") writeSteps(models, flag("--all"));
  if ((only === undefined && !flag("--no-epoch")) || only === "--epoch-only") writeEpochs(models);
  if ((only === undefined && !flag("--no-profile")) || only === "--profile-only") writeProfiles(models);
}

if (process.argv[2] === "--profile") {
  console.log(JSON.stringify(await profile(process.argv[3] as ModelName)));
  process.exit(0);
} else if (process.argv[2] === "--child") {
  const [variant, model, warmup, steps] = process.argv.slice(3) as [Variant, ModelName, string, string];
  const measured = await measure(variant, model, Number(warmup), Number(steps));
  console.log(JSON.stringify(measured));
  process.exit(0);
} else {
  await main();
}
