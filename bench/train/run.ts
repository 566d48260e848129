// The "train" benchmark: LeNet-5 on the full Fashion-MNIST with cnnc (test accuracy after
// each epoch, seconds per epoch) next to PyTorch 1.13 on the same machine in the same run,
// and the run time of `cnnc train examples/lenet5.cnn` on the built-in subset.
//
//   node dist/bench/train/run.js [--epochs N] [--backend B] [--parts cnnc,pytorch,default]
//
// Needs `apt-get install -y dataset-fashion-mnist python3-torch`. cnnc's side needs the
// gradient kernels of src/kernels to finish in reasonable time (see tfjs-notes.md).

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, replaceSection } from "../common.js";

const args = process.argv.slice(2);
const flag = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]! : fallback;
};
const epochs = Number(flag("--epochs", "10"));
const backend = flag("--backend", "auto");
const parts = new Set(flag("--parts", "cnnc,pytorch,default").split(","));
const CLI = join(ROOT, "dist", "src", "cli", "bin.js");

interface EpochFigure {
  epoch: number;
  seconds: number;
  testAccuracy?: number;
}

function run(command: string, commandArgs: string[]): { stdout: string; seconds: number } {
  const start = performance.now();
  const result = spawnSync(command, commandArgs, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 26 });
  if (result.status !== 0) throw new Error(`${command} ${commandArgs.join(" ")} exited with ${result.status}`);
  return { stdout: result.stdout, seconds: (performance.now() - start) / 1000 };
}

/** cnnc evaluates on the test split only at the end, so each epoch count is a separate run, resumed from the previous. */
function cnncFigures(): EpochFigure[] {
  const out = mkdtempSync(join(tmpdir(), "cnnc-bench-train-"));
  const figures: EpochFigure[] = [];
  for (const upTo of [...new Set([Math.min(2, epochs), epochs])]) {
    const resume = figures.length > 0 ? ["--resume"] : [];
    run(process.execPath, [CLI, "train", "examples/lenet5.cnn", "--data", "fashion-mnist", "--epochs", String(upTo), "--validation-split", "0.1", "--backend", backend, "--out", out, ...resume]);
    const history = JSON.parse(readFileSync(join(out, "history.json"), "utf8")) as { epochs: { epoch: number; seconds: number }[]; test?: { accuracy: number } };
    for (const e of history.epochs) if (!figures.some((f) => f.epoch === e.epoch)) figures.push({ epoch: e.epoch, seconds: e.seconds });
    figures.find((f) => f.epoch === upTo)!.testAccuracy = history.test?.accuracy;
  }
  return figures;
}

function pytorchFigures(): EpochFigure[] {
  const { stdout } = run("/usr/bin/python3", ["bench/train/pytorch_lenet5.py", String(epochs), "2"]);
  return stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { epoch: number; seconds: number; test_accuracy: number })
    .map((e) => ({ epoch: e.epoch, seconds: e.seconds, testAccuracy: e.test_accuracy }));
}

const percent = (v: number | undefined): string => (v === undefined ? "—" : `${(v * 100).toFixed(1)}%`);
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

const rows: string[] = [];
const measured: { name: string; command: string; figures: EpochFigure[] }[] = [];
if (parts.has("cnnc")) measured.push({ name: `cnnc (tfjs, --backend ${backend})`, command: `node dist/src/cli/bin.js train examples/lenet5.cnn --data fashion-mnist --epochs ${epochs} --validation-split 0.1`, figures: cnncFigures() });
if (parts.has("pytorch")) measured.push({ name: "PyTorch 1.13, 2 threads", command: `/usr/bin/python3 bench/train/pytorch_lenet5.py ${epochs} 2`, figures: pytorchFigures() });
for (const m of measured) {
  const at = (n: number): number | undefined => m.figures.find((f) => f.epoch === n)?.testAccuracy;
  rows.push(`| ${m.name} | ${percent(at(Math.min(2, epochs)))} | ${percent(at(epochs))} | ${mean(m.figures.map((f) => f.seconds)).toFixed(1)} | \`${m.command}\` |`);
}
let defaultLine = "";
if (parts.has("default")) {
  const out = mkdtempSync(join(tmpdir(), "cnnc-bench-default-"));
  const { seconds } = run(process.execPath, [CLI, "train", "examples/lenet5.cnn", "--backend", backend, "--out", out]);
  const history = JSON.parse(readFileSync(join(out, "history.json"), "utf8")) as { epochs: unknown[]; test?: { accuracy: number } };
  defaultLine = `\nBuilt-in default, \`node dist/src/cli/bin.js train examples/lenet5.cnn --backend ${backend}\` (5,000 training images, ${history.epochs.length} epochs): ${seconds.toFixed(0)} s in all, test accuracy ${percent(history.test?.accuracy)} on the 1,000 test images.\n`;
}
const body = [
  `LeNet-5 on the full Fashion-MNIST (60,000 training, 10,000 test images; Adam 1e-3, batch 64, 28×28 padded to 32×32), ${cpus().length} cores (${cpus()[0]?.model ?? "unknown CPU"}), same machine and run:`,
  "",
  `| trainer | test accuracy after ${Math.min(2, epochs)} epochs | after ${epochs} | s/epoch | command |`,
  "|---|---|---|---|---|",
  ...rows,
  defaultLine,
].join("\n");
replaceSection(join(ROOT, "bench", "RESULTS.md"), "train", body);
process.stdout.write(body + "\n");
