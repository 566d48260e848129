// train.py with every optimizer, scheduler, loss, metric, early stopping and resume that a
// `train` declaration can ask for, on a tiny model and tiny data, all cases in one Python
// process. The learning rates train.py logs and the epoch it stops at must be those of the
// tfjs engine's own schedule and early stopping (src/train/schedule.ts), given the same
// epoch logs. Needs Debian's python3-torch.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile } from "../../src/compile.js";
import { buildIr } from "../../src/ir/build.js";
import { emitPytorch } from "../../src/emit/pytorch.js";
import { encodeNpy } from "../../src/data/npy.js";
import { resolveSettings } from "../../src/train/config.js";
import { makeSchedule, shouldStop, type StoppingState } from "../../src/train/schedule.js";
import { PYTHON } from "../../bench/pytorch-parity/parity.js";
import { patterns } from "../train/fixtures.js";

interface Case {
  head: string;
  train: string;
  labels: "index" | "binary" | "one-hot";
  /** Runs of train.py, each with its extra arguments (a second run resumes). */
  runs: string[][];
}

const CASES: Record<string, Case> = {
  sgd_step_smoothing_topk: {
    head: "dense 3 -> softmax",
    train: "optimizer: sgd(lr: 0.1, momentum: 0.9, nesterov: true, weight_decay: 0.0001)\n  scheduler: step(step_size: 1, gamma: 0.5)\n  loss: cross_entropy(label_smoothing: 0.1)\n  metrics: [accuracy, top_k(k: 2)]\n  epochs: 3",
    labels: "index",
    runs: [[]],
  },
  adam_plateau_early_stopping: {
    head: "dense 3",
    train: "optimizer: adam(lr: 0.01)\n  scheduler: reduce_on_plateau(monitor: val_loss, patience: 1, factor: 0.5, threshold: 100)\n  loss: cross_entropy(from_logits: true)\n  early_stopping(monitor: loss, mode: max, min_delta: 100, patience: 3)\n  epochs: 6",
    labels: "index",
    runs: [[]],
  },
  adamw_cosine_binary: {
    head: "dense 1 -> sigmoid",
    train: "optimizer: adamw(lr: 0.01, weight_decay: 0.05)\n  scheduler: cosine(warmup: 1, min_lr: 0.0001)\n  loss: binary_cross_entropy\n  epochs: 4",
    labels: "binary",
    runs: [[]],
  },
  rmsprop_exponential_mse: {
    head: "dense 3",
    train: "optimizer: rmsprop(lr: 0.005, momentum: 0.5)\n  scheduler: exponential(gamma: 0.5)\n  loss: mse\n  epochs: 3",
    labels: "one-hot",
    runs: [[]],
  },
  binary_logits_resume: {
    head: "dense 1",
    train: "optimizer: sgd(lr: 0.05)\n  scheduler: step(step_size: 2, gamma: 0.1)\n  loss: binary_cross_entropy\n  epochs: 4",
    labels: "binary",
    runs: [["--epochs", "2"], ["--resume"]],
  },
};

const source = (c: Case): string => `model Tiny {\n  input image: [8, 8, 1]\n  conv 4, kernel: 3 -> batchnorm -> relu -> maxpool 2\n  flatten\n  ${c.head}\n}\n\ntrain Tiny {\n  ${c.train.replace("early_stopping(", "early_stopping: early_stopping(")}\n  batch: 16\n  validation_split: 0.25\n}\n`;

type Logs = Record<string, number>;
interface Outcome {
  logs: Logs[];
  result: { status: string };
  checkpoint_epoch: number;
}

describe("train.py implements every training setting as the tfjs engine does", () => {
  let dir: string;
  let outcomes: Record<string, Outcome>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "cnnc-train-py-"));
    const { x, y } = patterns(96);
    const data = join(dir, "data");
    mkdirSync(data);
    writeFileSync(join(data, "x.npy"), encodeNpy([96, 8, 8], x));
    writeFileSync(join(data, "index.npy"), encodeNpy([96], y));
    writeFileSync(join(data, "binary.npy"), encodeNpy([96], y.map((k) => (k === 0 ? 1 : 0))));
    writeFileSync(join(data, "one-hot.npy"), encodeNpy([96, 3], Float32Array.from({ length: 96 * 3 }, (_, i) => (y[Math.floor(i / 3)] === i % 3 ? 1 : 0))));
    const jobs = Object.entries(CASES).map(([name, c]) => {
      const text = source(c);
      const compiled = compile(text);
      const errors = compiled.diagnostics.filter((d) => d.severity === "error");
      if (errors.length) throw new Error(`${name}: ${errors.map((d) => d.message).join("; ")}`);
      const ir = buildIr(compiled.models[0]!, text, compiled.trains[0]);
      const caseDir = join(dir, name);
      mkdirSync(caseDir);
      for (const [file, content] of Object.entries(emitPytorch({ ir, sourceFile: "tiny.cnn" }))) writeFileSync(join(caseDir, file), content);
      const common = ["--train-images", join(data, "x.npy"), "--train-labels", join(data, `${c.labels}.npy`), "--out", join(caseDir, "out"), "--device", "cpu"];
      return { name, dir: caseDir, runs: c.runs.map((extra) => [...common, ...extra]) };
    });
    // One interpreter for every case: torch is imported once; each case's train.py runs as __main__ with its own model.py.
    const driver = [
      "import json, os, runpy, sys, torch",
      "torch.set_num_threads(1)",
      "outcomes = {}",
      "for job in json.load(sys.stdin):",
      "    sys.modules.pop('model', None)",
      "    sys.path.insert(0, job['dir'])",
      "    for argv in job['runs']:",
      "        sys.argv = ['train.py'] + argv",
      "        runpy.run_path(os.path.join(job['dir'], 'train.py'), run_name='__main__')",
      "    sys.path.pop(0)",
      "    out = os.path.join(job['dir'], 'out')",
      "    logs = [json.loads(line) for line in open(os.path.join(out, 'log.jsonl'))]",
      "    result = json.load(open(os.path.join(out, 'result.json')))",
      "    epoch = torch.load(os.path.join(out, 'checkpoint.pt'))['epoch']",
      "    outcomes[job['name']] = {'logs': logs, 'result': result, 'checkpoint_epoch': epoch}",
      "print('OUTCOMES ' + json.dumps(outcomes))",
    ].join("\n");
    const output = execFileSync(PYTHON, ["-c", driver], { input: JSON.stringify(jobs), encoding: "utf8", maxBuffer: 16 << 20 });
    outcomes = JSON.parse(output.slice(output.indexOf("OUTCOMES ") + 9)) as Record<string, Outcome>;
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The tfjs engine's learning rate for each epoch and the epoch it stops after, replaying train.py's logs. */
  function tfjsEngineReplay(name: string, logs: Logs[]): { rates: number[]; stopAfter?: number } {
    const text = source(CASES[name]!);
    const compiled = compile(text);
    const settings = resolveSettings(compiled.trains[0], {});
    const schedule = makeSchedule(settings, settings.optimizer.config["lr"] as number);
    const stopping: StoppingState = { best: null, wait: 0 };
    const rates: number[] = [];
    for (const [epoch, entry] of logs.entries()) {
      rates.push(schedule.rateAt(epoch));
      schedule.endEpoch(entry);
      if (shouldStop(settings, stopping, entry)) return { rates, stopAfter: epoch + 1 };
    }
    return { rates };
  }

  for (const name of Object.keys(CASES)) {
    it(`${name}: finite losses, the tfjs engine's learning rates and stopping epoch`, () => {
      const { logs, result, checkpoint_epoch } = outcomes[name]!;
      const replay = tfjsEngineReplay(name, logs);
      expect(logs.every((l) => Number.isFinite(l["loss"]) && Number.isFinite(l["val_loss"]))).toBe(true);
      expect(logs.map((l) => l["lr"])).toEqual(replay.rates.map((r) => expect.closeTo(r, 10)));
      expect(result.status).toBe(replay.stopAfter === undefined ? "finished" : "stopped early");
      if (replay.stopAfter !== undefined) expect(logs).toHaveLength(replay.stopAfter);
      expect(checkpoint_epoch).toBe(logs.length);
    });
  }

  it("logs each metric the declaration asks for, with and without val_", () => {
    const [first] = outcomes["sgd_step_smoothing_topk"]!.logs;
    expect(Object.keys(first!)).toEqual(expect.arrayContaining(["accuracy", "top2", "val_accuracy", "val_top2"]));
    expect(first!["top2"]).toBeGreaterThanOrEqual(first!["accuracy"]!);
    // Binary accuracy from one sigmoid output, and from logits.
    expect(outcomes["adamw_cosine_binary"]!.logs[0]!["accuracy"]).toBeGreaterThan(0);
    expect(outcomes["binary_logits_resume"]!.logs[0]!["accuracy"]).toBeGreaterThan(0);
  });

  it("stops early as declared, and a resumed run continues the epochs and the schedule", () => {
    expect(outcomes["adam_plateau_early_stopping"]!.logs).toHaveLength(4);
    expect(outcomes["binary_logits_resume"]!.logs.map((l) => l["epoch"])).toEqual([1, 2, 3, 4]);
    expect(outcomes["binary_logits_resume"]!.logs.map((l) => l["lr"])).toEqual([0.05, 0.05, expect.closeTo(0.005, 10), expect.closeTo(0.005, 10)]);
  });

  it("refuses a label at or above the output width, as cnnc train does", () => {
    const caseDir = join(dir, "sgd_step_smoothing_topk");
    writeFileSync(join(dir, "data", "bad.npy"), encodeNpy([96], Int32Array.from({ length: 96 }, (_, i) => i % 4)));
    let message = "";
    try {
      execFileSync(PYTHON, [join(caseDir, "train.py"), "--train-images", join(dir, "data", "x.npy"), "--train-labels", join(dir, "data", "bad.npy"), "--out", join(dir, "bad"), "--device", "cpu"], { encoding: "utf8", stdio: "pipe" });
    } catch (error) {
      message = String((error as { stderr: string }).stderr);
    }
    expect(message).toContain("labels from 0 to 3, but the model outputs 3 classes: every label must be from 0 to 2");
    expect(readFileSync(join(caseDir, "train.py"), "utf8")).toContain("CONFIG = ");
  });
});
