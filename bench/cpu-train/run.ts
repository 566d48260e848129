// Benchmark: one training step (batch 64, softmax cross-entropy on logits, Adam) of a
// LeNet-5 on 28×28×1 and a ResNet-20 on 32×32×3, both built by cnnc from .cnn text
// (compile → buildIr → lowerToTfjs → buildTfjsModel), on stock tfjs cpu, stock tfjs wasm,
// and cnnc's kernels on cpu and on wasm, against PyTorch 1.13 (torch_step.py) in the same
// run. Every configuration runs in a process of its own; the table gives medians and
// rewrites the cpu-train section of bench/RESULTS.md.
//
// Run with `npm run build && node dist/bench/cpu-train/run.js` (add `--quick` to skip
// stock tfjs cpu on ResNet-20, whose single step takes minutes).

import { spawnSync } from "node:child_process";
import { cpus } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Scalar, Tensor } from "@tensorflow/tfjs";
import { compile } from "../../src/compile.js";
import { buildTfjsModel } from "../../src/emit/tfjs-build.js";
import { lowerToTfjs } from "../../src/emit/tfjs-lowering.js";
import { buildIr } from "../../src/ir/build.js";
import { prepareTraining, wasmThreadCount } from "../../src/kernels/index.js";
import { loadTfjs } from "../../src/runtime/backend.js";
import { median, replaceSection, ROOT } from "../common.js";

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
};
type ModelName = keyof typeof MODELS;

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
  const { text, input } = MODELS[model];
  const result = compile(text);
  const layers = buildTfjsModel(tf, lowerToTfjs(buildIr(result.models.at(-1)!, text), { seed: 1 }));
  const x = tf.randomNormal(input);
  const labels = tf.oneHot(tf.randomUniform([input[0]!], 0, 10, "int32") as Tensor, 10);
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

function plans(quick: boolean): Plan[] {
  const list: Plan[] = [];
  for (const model of Object.keys(MODELS) as ModelName[]) {
    const lenet = model === "lenet5";
    list.push({ variant: "stock-wasm", model, warmup: 0, steps: 1, timeoutSeconds: 120 });
    if (lenet || !quick) list.push({ variant: "stock-cpu", model, warmup: lenet ? 1 : 0, steps: lenet ? 3 : 1, timeoutSeconds: lenet ? 300 : 900 });
    list.push({ variant: "cnnc-cpu", model, warmup: 1, steps: lenet ? 15 : 3, timeoutSeconds: 600 });
    list.push({ variant: "cnnc-wasm-1", model, warmup: 2, steps: lenet ? 30 : 7, timeoutSeconds: 600 });
    list.push({ variant: "cnnc-wasm", model, warmup: 2, steps: lenet ? 30 : 11, timeoutSeconds: 600 });
  }
  return list;
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
  lenet5: { samples: number[] };
  resnet20: { samples: number[] };
}

/** PyTorch's step times for both models at a thread count (one process, warmed up). */
function runTorch(threads: number): TorchResult {
  const run = spawnSync("/usr/bin/python3", [join(ROOT, "bench", "cpu-train", "torch_step.py"), "20", String(threads)], { encoding: "utf8", timeout: 900_000 });
  if (run.status !== 0) throw new Error(`PyTorch baseline failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as TorchResult;
}

const formatMs = (ms: number): string => (ms >= 1000 ? `${Math.round(ms).toLocaleString("en-US")}` : ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));

function cell(m: Measured | undefined): string {
  if (m === undefined) return "not run (`--quick`)";
  if (m.error !== undefined) return `fails: ${m.error.replace(/\|/g, "\\|")}`;
  return formatMs(m.median!);
}

function ratio(m: Measured | undefined, baseline: number): string {
  return m?.median === undefined ? "—" : `${(m.median / baseline).toFixed(1)}×`;
}

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const results = new Map<string, Measured>();
  // PyTorch runs before and after the tfjs configurations, with one thread and with two
  // (on a loaded machine two OpenMP threads can be many times slower than one), and the
  // samples of both runs are pooled.
  const torchRuns = [runTorch(1), runTorch(2)];
  for (const plan of plans(quick)) {
    const measured = runChild(plan);
    results.set(`${plan.variant}/${plan.model}`, measured);
    console.log(`${VARIANTS[plan.variant].label} ${plan.model}: ${cell(measured)}${measured.median !== undefined ? ` ms (median of ${measured.samples!.length})` : ""}`);
  }
  torchRuns.push(runTorch(1), runTorch(2));
  const torchVersion = torchRuns[0]!.torch;
  const torchMedian = (model: ModelName, threads: number): number => median(torchRuns.filter((r) => r.threads === threads).flatMap((r) => r[model].samples));
  const threads = results.get("cnnc-wasm/resnet20")?.threads ?? results.get("cnnc-wasm/lenet5")?.threads ?? 1;
  const rows = (Object.keys(MODELS) as ModelName[]).map((model) => {
    const torch1 = torchMedian(model, 1);
    const torch2 = torchMedian(model, 2);
    const best = Math.min(torch1, torch2);
    const get = (variant: Variant): Measured | undefined => results.get(`${variant}/${model}`);
    const fastestWasm = [get("cnnc-wasm-1"), get("cnnc-wasm")].filter((m) => m?.median !== undefined).sort((p, q) => p!.median! - q!.median!)[0];
    return `| ${MODELS[model].label} | ${formatMs(torch1)} | ${formatMs(torch2)} | ${cell(get("stock-cpu"))} | ${cell(get("stock-wasm"))} | ${cell(get("cnnc-cpu"))} | ${cell(get("cnnc-wasm-1"))} | ${cell(get("cnnc-wasm"))} | ${ratio(get("cnnc-cpu"), best)} | ${ratio(fastestWasm, best)} | ${ratio(get("cnnc-wasm-1"), torch1)} |`;
  });
  const body = [
    `Machine: ${cpus().length} × ${cpus()[0]?.model.trim() ?? "unknown CPU"}, Node ${process.version}, PyTorch ${torchVersion} (Debian's build), tfjs 4.22. One training step at batch 64: forward, softmax cross-entropy, backward, Adam. Medians in ms; every configuration runs in a process of its own; PyTorch runs before and after the tfjs configurations and its samples are pooled (20 LeNet-5 and 10 ResNet-20 steps a run; tfjs step counts in run.ts). The machine is shared with other jobs: two threads lose badly whenever another job holds a core, so both thread counts are shown, and the ratios compare the faster configuration of each side (and one thread against one thread).`,
    "",
    `| train step | PyTorch, 1 thread | PyTorch, 2 threads | tfjs cpu | tfjs wasm | cnnc cpu | cnnc wasm, 1 thread | cnnc wasm, ${threads} threads | cnnc cpu ÷ best PyTorch | best cnnc wasm ÷ best PyTorch | 1 thread ÷ 1 thread |`,
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows,
  ].join("\n");
  console.log(`\n${body}`);
  replaceSection(join(ROOT, "bench", "RESULTS.md"), "cpu-train", body);
}

if (process.argv[2] === "--child") {
  const [variant, model, warmup, steps] = process.argv.slice(3) as [Variant, ModelName, string, string];
  const measured = await measure(variant, model, Number(warmup), Number(steps));
  console.log(JSON.stringify(measured));
  process.exit(0);
} else {
  await main();
}
