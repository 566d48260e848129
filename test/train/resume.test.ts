// Nothing lost: a run killed with SIGKILL mid-epoch, or stopped with Ctrl-C, resumes from
// its last checkpoint to the right epoch count. Child processes, tiny model, cpu backend.

import { describe, expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../helpers.js";
import { tinyProject } from "./fixtures.js";

const ENTRY = ["--import", "tsx", join(ROOT, "test", "train", "entry.ts")];

function cnnc(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [...ENTRY, ...args], { cwd: ROOT, encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function readHistory(out: string): { status: string; epochs: { epoch: number }[] } {
  return JSON.parse(readFileSync(join(out, "history.json"), "utf8")) as { status: string; epochs: { epoch: number }[] };
}

function latestEpoch(out: string): number {
  const pointer = join(out, "checkpoints", "latest.json");
  if (!existsSync(pointer)) return 0;
  return (JSON.parse(readFileSync(pointer, "utf8")) as { epoch: number }).epoch;
}

describe("checkpoints and --resume", () => {
  it("survives SIGKILL in the middle of an epoch: --resume finishes with the right epoch count", async () => {
    // Enough images that an epoch lasts long enough to be killed inside it.
    const project = tinyProject(1200);
    const out = join(project.dir, "run");
    const args = ["train", project.model, "--data", project.data, "--out", out, "--backend", "cpu", "--epochs", "3", "--batch", "8"];
    const child = spawn(process.execPath, [...ENTRY, ...args], { cwd: ROOT, stdio: "ignore" });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    while (latestEpoch(out) < 1 && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 10));
    child.kill("SIGKILL");
    await exited;
    const killedAt = latestEpoch(out);
    expect(killedAt).toBeGreaterThanOrEqual(1);
    expect(killedAt).toBeLessThan(3);
    // Every file of the checkpoint the pointer names is complete and readable.
    const name = (JSON.parse(readFileSync(join(out, "checkpoints", "latest.json"), "utf8")) as { checkpoint: string }).checkpoint;
    const state = JSON.parse(readFileSync(join(out, "checkpoints", name, "state.json"), "utf8")) as { epoch: number; history: unknown[] };
    expect(state.history).toHaveLength(state.epoch);
    JSON.parse(readFileSync(join(out, "checkpoints", name, "model.json"), "utf8"));

    const resumed = cnnc([...args, "--resume"]);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`resuming from`);
    const history = readHistory(out);
    expect(history.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(latestEpoch(out)).toBe(3);
    expect(readdirSync(join(out, "checkpoints")).sort()).toEqual(["epoch-0003", "latest.json"]);
  });

  it("saves a checkpoint on Ctrl-C and exits 130; --resume continues from the same step", async () => {
    const project = tinyProject(1200);
    const out = join(project.dir, "run");
    const args = ["train", project.model, "--data", project.data, "--out", out, "--backend", "cpu", "--epochs", "3", "--batch", "8"];
    const child = spawn(process.execPath, [...ENTRY, ...args], { cwd: ROOT, stdio: "ignore" });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    while (latestEpoch(out) < 1 && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 10));
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(readHistory(out).status).toBe("interrupted");
    const pointer = JSON.parse(readFileSync(join(out, "checkpoints", "latest.json"), "utf8")) as { epoch: number; step: number };
    expect(pointer.epoch).toBeGreaterThanOrEqual(1);

    const resumed = cnnc([...args, "--resume"]);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(readHistory(out).epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
  });
});
