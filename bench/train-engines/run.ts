// Trains LeNet-5 on the full Fashion-MNIST (Debian's dataset-fashion-mnist) for two epochs
// with each engine, through the built CLI as a user runs it: `cnnc train` (tfjs), `cnnc
// train --engine pytorch` and the same on two processes under torchrun. Same file, same
// data handling, same settings; the accuracies should agree within run-to-run noise.
// Rewrites the train-engines section of bench/RESULTS.md. Needs /usr/bin/python3 with torch.
//
// Run with `npm run build && npm run bench:train-engines`.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { replaceSection, ROOT } from "../common.js";

const CLI = join(ROOT, "dist", "src", "cli", "bin.js");
const EPOCHS = Number(process.env["EPOCHS"] ?? 2);

interface History {
  epochs: Record<string, number>[];
  test?: Record<string, number>;
}

const runs: { engine: string; args: string[] }[] = [
  { engine: "tfjs (wasm, cnnc's kernels)", args: [] },
  { engine: "pytorch (1 process, cpu)", args: ["--engine", "pytorch"] },
  { engine: "pytorch (`--nproc 2`, cpu)", args: ["--engine", "pytorch", "--nproc", "2"] },
];
const dir = mkdtempSync(join(tmpdir(), "cnnc-train-engines-"));
const rows: string[] = [];
try {
  for (const [i, run] of runs.entries()) {
    const out = join(dir, String(i));
    const started = performance.now();
    const result = spawnSync(process.execPath, [CLI, "train", join(ROOT, "examples", "lenet5.cnn"), "--data", "fashion-mnist", "--epochs", String(EPOCHS), "--seed", "1", "--out", out, ...run.args], { encoding: "utf8", cwd: ROOT });
    const seconds = (performance.now() - started) / 1000;
    if (result.status !== 0) {
      rows.push(`| ${run.engine} | fails: ${result.stderr.trim().split("\n").at(-1)} | | | | |`);
      continue;
    }
    const history = JSON.parse(readFileSync(join(out, "history.json"), "utf8")) as History;
    const last = history.epochs.at(-1)!;
    rows.push(`| ${run.engine} | ${last["loss"]!.toFixed(4)} | ${last["accuracy"]!.toFixed(4)} | ${last["val_accuracy"]!.toFixed(4)} | ${history.test!["accuracy"]!.toFixed(4)} | ${seconds.toFixed(0)} |`);
    process.stdout.write(rows.at(-1)! + "\n");
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const body = [
  "## train-engines",
  "",
  "`npm run build && npm run bench:train-engines`",
  "",
  `Busy machine (${cpus().length} cores shared with other jobs): the seconds are not comparable between runs, only the accuracies are meant. LeNet-5 (\`examples/lenet5.cnn\`, its \`train\` declaration: Adam 0.001, batch 64), the full Fashion-MNIST (54,000 training, 6,000 validation, 10,000 test images, 28×28 padded to 32×32 and scaled to [0, 1] by the same code for every engine), ${EPOCHS} epochs, \`--seed 1\` (the engines' random generators differ, so the initial weights and the order of the batches do too). Columns: the last epoch's training loss and accuracy, its validation accuracy, the test accuracy of the final model, wall-clock seconds of the whole command.`,
  "",
  "| engine | loss | accuracy | val_accuracy | test accuracy | seconds |",
  "|---|---:|---:|---:|---:|---:|",
  ...rows,
].join("\n");
replaceSection(join(ROOT, "bench", "RESULTS.md"), "train-engines", body);
