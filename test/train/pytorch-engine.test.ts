// `cnnc train --engine pytorch` end to end through the built CLI: the tfjs engine's data
// handling and outputs, resume, two processes under torchrun, and evaluate on the result.
// Needs Debian's python3-torch (/usr/bin/python3).

import { describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodeNpy } from "../../src/data/npy.js";
import { CLI, ROOT } from "../helpers.js";
import { tinyProject } from "./fixtures.js";

/** One thread per Python process keeps two ranks from starving the test runner's other workers. */
const ENV = { ...process.env, OMP_NUM_THREADS: "1" };

function cnnc(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: "utf8", env: ENV });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The same, without blocking the worker (torchrun's processes run for a while). */
function cnncAsync(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: ENV });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

interface History {
  engine: string;
  status: string;
  epochs: { epoch: number; loss: number; accuracy: number; val_loss: number }[];
  test?: { loss: number; accuracy: number };
}

const readHistory = (out: string): History => JSON.parse(readFileSync(join(out, "history.json"), "utf8")) as History;

describe("cnnc train --engine pytorch", () => {
  it("trains with train.py on the data the tfjs engine prepares and writes the tfjs engine's outputs; evaluate reads them", () => {
    const project = tinyProject();
    // Test images at 6×6 must be padded to the model's 8×8 by the same code as for the tfjs engine.
    const testImages = new Float32Array(30 * 36).map((_, i) => (i % 7) * 30);
    writeFileSync(join(project.data, "x_test.npy"), encodeNpy([30, 6, 6], testImages));
    writeFileSync(join(project.data, "y_test.npy"), encodeNpy([30], Int32Array.from({ length: 30 }, (_, i) => i % 3)));
    const out = join(project.dir, "run");
    const result = cnnc(["train", project.model, "--data", project.data, "--out", out, "--engine", "pytorch", "--seed", "3"]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toContain("96 training, 24 validation, 30 test images");
    expect(result.stderr).toMatch(/engine: pytorch 1\.13\S* on cpu\n/);
    expect(result.stdout).toMatch(/epoch +loss +accuracy +val_loss +val_accuracy +lr +seconds/);
    expect(result.stdout).toMatch(/test \(30 images\): loss \d\.\d{4}, accuracy \d\.\d{4}/);
    expect(readdirSync(out).sort()).toEqual(["checkpoint.pt", "history.json", "history.svg", "log.jsonl", "model.json", "model.pt", "pytorch", "result.json", "settings.json", "weights.bin"]);
    expect(readdirSync(join(out, "pytorch")).sort()).toEqual(["model.py", "train.py"]);
    const history = readHistory(out);
    expect(history).toMatchObject({ engine: "pytorch", status: "finished" });
    expect(history.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(history.epochs[1]!.loss).toBeLessThan(history.epochs[0]!.loss);
    expect(history.test!.accuracy).toBeGreaterThanOrEqual(0);
    expect(readFileSync(join(out, "history.svg"), "utf8")).toMatch(/^<svg[^>]*>[\s\S]*<polyline[\s\S]*<\/svg>\n$/);
    // The settings of the run (the declaration with the flags over it) are train.py's CONFIG.
    expect(readFileSync(join(out, "pytorch", "train.py"), "utf8")).toContain('"seed": 3');

    const evaluation = cnnc(["evaluate", out, "--data", project.data, "--backend", "cpu", "--json"]);
    expect(evaluation.status, evaluation.stderr).toBe(0);
    const report = JSON.parse(evaluation.stdout) as { images: number; accuracy: number };
    expect(report.images).toBe(30);

    // The tfjs engine on the same file, data and seed: the same validation images, and an accuracy within noise.
    const tfjsOut = join(project.dir, "tfjs");
    const tfjs = cnnc(["train", project.model, "--data", project.data, "--out", tfjsOut, "--backend", "cpu", "--seed", "3"]);
    expect(tfjs.status, tfjs.stderr).toBe(0);
    expect(tfjs.stderr).toContain("96 training, 24 validation, 30 test images");
    const accuracy = (h: History): number => (h.epochs.at(-1) as unknown as Record<string, number>)["val_accuracy"]!;
    expect(Math.abs(accuracy(readHistory(tfjsOut)) - accuracy(history))).toBeLessThanOrEqual(0.25);
  });

  it("Ctrl-C mid-epoch saves a checkpoint at that step; --resume refuses other settings, naming them, and ends where an uninterrupted run does", async () => {
    // Enough steps (600 an epoch) that the interrupt lands inside training.
    const project = tinyProject(3000);
    const args = ["train", project.model, "--data", project.data, "--engine", "pytorch", "--epochs", "2", "--batch", "4"];
    const whole = join(project.dir, "whole");
    expect(cnnc([...args, "--out", whole]).status).toBe(0);

    const out = join(project.dir, "run");
    // In its own process group, which Ctrl-C in a terminal signals as a whole: the CLI and train.py.
    const child = spawn(process.execPath, [CLI, ...args, "--out", out], { cwd: ROOT, env: ENV, detached: true });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.resume();
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    while (!stderr.includes("engine: pytorch") && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setTimeout(resolve, 100));
    process.kill(-child.pid!, "SIGINT");
    expect(await exited, stderr).toBe(130);
    expect(stderr).toMatch(/interrupted at epoch [12], step \d+ of 600; saved \S+checkpoint\.pt: continue with --resume/);

    const changed = cnnc([...args, "--out", out, "--resume", "--batch", "8", "--seed", "9"]);
    expect(changed.status).toBe(1);
    expect(changed.stderr).toContain(`error: --resume: the checkpoint in ${out} was made with other settings or data: batch 4 → 8; seed 42 → 9. Only --epochs may change on resume`);

    const resumed = cnnc([...args, "--out", out, "--resume"]);
    expect(resumed.status, resumed.stderr).toBe(0);
    // The same order of steps, optimizer state and epoch sums: the weights of the run that was never stopped.
    expect(readHistory(out).epochs.map((e) => e.epoch)).toEqual([1, 2]);
    readHistory(out).epochs.forEach((epoch, i) => expect(epoch.loss).toBeCloseTo(readHistory(whole).epochs[i]!.loss, 9));
    expect(Buffer.compare(readFileSync(join(out, "weights.bin")), readFileSync(join(whole, "weights.bin")))).toBe(0);

    const fresh = join(project.dir, "fresh");
    expect(cnnc([...args, "--out", fresh, "--resume"])).toMatchObject({
      status: 1,
      stderr: expect.stringContaining(`error: --resume: ${fresh} has no checkpoint.pt to resume from`) as unknown as string,
    });
  }, 240_000);

  it("--nproc 2 trains on two processes under torchrun", async () => {
    const project = tinyProject();
    const out = join(project.dir, "run");
    const result = await cnncAsync(["train", project.model, "--data", project.data, "--out", out, "--engine", "pytorch", "--nproc", "2", "--epochs", "1"]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/engine: pytorch \S+ on cpu, 2 processes/);
    const log = readFileSync(join(out, "log.jsonl"), "utf8").trim().split("\n").map((line) => JSON.parse(line) as { batches_per_rank: number[] });
    // 96 training images, a global batch of 16: 8 per process, 6 steps on each of the two ranks.
    expect(log[0]!.batches_per_rank).toEqual([6, 6]);
    expect(existsSync(join(out, "model.json"))).toBe(true);
  }, 240_000);

  it("refuses flags that do not apply to the engine", () => {
    const project = tinyProject();
    expect(cnnc(["train", project.model, "--data", project.data, "--engine", "pytorch", "--augment", "flip"])).toMatchObject({ status: 2, stderr: "error: --augment applies to --engine tfjs only: train.py does not augment\n" });
    expect(cnnc(["train", project.model, "--data", project.data, "--nproc", "2"])).toMatchObject({ status: 2, stderr: "error: --nproc applies to --engine pytorch only\n" });
  });
});
