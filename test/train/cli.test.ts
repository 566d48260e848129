// End-to-end tests of `cnnc train`, `evaluate` and `predict`, run in a child process as a
// user runs them, on a tiny model and synthetic data with the cpu backend.

import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PNG } from "pngjs";
import { encodeNpy } from "../../src/data/npy.js";
import { ROOT } from "../helpers.js";
import { patternImage, tinyProject } from "./fixtures.js";

const ENTRY = ["--import", "tsx", join(ROOT, "test", "train", "entry.ts")];

function cnnc(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [...ENTRY, ...args], { cwd: ROOT, encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface History {
  status: string;
  epochs: { epoch: number; loss: number; accuracy: number }[];
}

function readHistory(out: string): History {
  return JSON.parse(readFileSync(join(out, "history.json"), "utf8")) as History;
}

function latestEpoch(out: string): number {
  const pointer = join(out, "checkpoints", "latest.json");
  if (!existsSync(pointer)) return 0;
  try {
    return (JSON.parse(readFileSync(pointer, "utf8")) as { epoch: number }).epoch;
  } catch {
    return 0;
  }
}

describe("cnnc train", () => {
  it("trains, saves the model, history.json, the plot and a checkpoint; evaluate and predict use them", () => {
    const project = tinyProject();
    const out = join(project.dir, "run");
    const result = cnnc(["train", project.model, "--data", project.data, "--out", out, "--backend", "cpu"]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toContain("96 training, 24 validation images");
    expect(result.stdout).toMatch(/epoch +loss +accuracy +val_loss +val_accuracy +lr +seconds/);
    expect(readdirSync(out).sort()).toEqual(["checkpoints", "history.json", "history.svg", "model.json", "weights.bin"]);
    const history = readHistory(out);
    expect(history.status).toBe("finished");
    expect(history.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(history.epochs[1]!.loss).toBeLessThan(history.epochs[0]!.loss);
    expect(readFileSync(join(out, "history.svg"), "utf8")).toMatch(/^<svg[^>]*>[\s\S]*<polyline[\s\S]*<\/svg>\n$/);
    expect(latestEpoch(out)).toBe(2);

    const evaluation = cnnc(["evaluate", out, "--data", project.data, "--backend", "cpu", "--json"]);
    expect(evaluation.status, evaluation.stderr).toBe(0);
    const report = JSON.parse(evaluation.stdout) as { images: number; accuracy: number; confusion: number[][] };
    expect(report.images).toBe(120);
    expect(report.confusion.flat().reduce((a, b) => a + b, 0)).toBe(120);
    expect(report.accuracy).toBeGreaterThan(0.5);

    const png = new PNG({ width: 8, height: 8 });
    patternImage(0, 3).forEach((v, i) => png.data.set([v, v, v, 255], i * 4));
    writeFileSync(join(project.dir, "top.png"), PNG.sync.write(png));
    const prediction = cnnc(["predict", out, join(project.dir, "top.png"), "--backend", "cpu", "--json", "--top", "2"]);
    expect(prediction.status, prediction.stderr).toBe(0);
    const [first] = JSON.parse(prediction.stdout) as { top: { class: string; probability: number }[] }[];
    expect(first!.top).toHaveLength(2);
    expect(first!.top[0]!.probability).toBeGreaterThanOrEqual(first!.top[1]!.probability);
    expect(first!.top[0]!.probability).toBeLessThanOrEqual(1);
  });

  it("names both the data and the model when a label is not below the output width", () => {
    const project = tinyProject();
    writeFileSync(project.model, readFileSync(project.model, "utf8").replace("dense 3", "dense 2"));
    const result = cnnc(["train", project.model, "--data", project.data, "--out", join(project.dir, "run"), "--backend", "cpu"]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("has 8×8×1 images and labels up to 2, but model `Tiny` takes [8, 8, 1] and outputs [2]: every label must be below the output width 2");
    expect(existsSync(join(project.dir, "run"))).toBe(false);
  });

  it("stops on a NaN loss, naming the epoch and step, and writes no checkpoint", () => {
    const project = tinyProject();
    const x = new Float32Array(120 * 64).fill(Number.NaN);
    writeFileSync(join(project.data, "x_train.npy"), encodeNpy([120, 8, 8], x));
    const out = join(project.dir, "run");
    const result = cnnc(["train", project.model, "--data", project.data, "--out", out, "--backend", "cpu", "--normalize", "none"]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("error: the loss became NaN at epoch 1, step 1; no checkpoint was written");
    expect(existsSync(join(out, "checkpoints", "latest.json"))).toBe(false);
  });
});
