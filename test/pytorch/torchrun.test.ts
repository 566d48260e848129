// train.py under torchrun with two processes on CPU (gloo): one epoch of LeNet-5 on a small
// IDX data set. Both ranks must train, and rank 0 alone writes the checkpoint and the log.
// Needs python3-torch; torch 1.13's torchrun is `python3 -m torch.distributed.run`.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildPytorch } from "../../src/cli/pytorch.js";
import { EXAMPLES, read } from "../helpers.js";
import { writeIdxDataSet } from "./data.js";
import { PYTHON } from "../../bench/pytorch-parity/parity.js";

/** Runs a process without blocking the test worker; output is stdout and stderr interleaved. */
function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<{ code: number | null; output: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let output = "";
    let timedOut = false;
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      // The whole process group: torchrun's agent and both workers.
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    }, options.timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output, timedOut });
    });
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

describe("train.py under torchrun", () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "cnnc-torchrun-"));
    const file = join(EXAMPLES, "lenet5.cnn");
    const write = process.stdout.write;
    process.stdout.write = () => true;
    try {
      expect(await buildPytorch(file, read(file), { out: join(dir, "build") })).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    writeIdxDataSet(join(dir, "images.idx.gz"), join(dir, "labels.idx.gz"), 64, 32, 32);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("trains on two processes and writes one checkpoint", async () => {
    const out = join(dir, "run");
    // Python 3.11 made IntFlag iteration skip zero, so torch 1.13's torchrun cannot parse its
    // own default `--redirects 0`/`--tee 0`; any other value works around it.
    const args = (port: number): string[] => ["-m", "torch.distributed.run", "--nnodes", "1", "--nproc_per_node", "2", "--master_addr", "127.0.0.1", "--master_port", String(port), "--redirects", "2", "--tee", "2",
      join(dir, "build", "train.py"), "--train-images", join(dir, "images.idx.gz"), "--train-labels", join(dir, "labels.idx.gz"), "--epochs", "1", "--batch", "16", "--device", "cpu", "--out", out];
    // Gloo picks its network interface by resolving the host name, which can stall on a machine
    // whose name is not in /etc/hosts and has no DNS; the loopback interface always works here.
    // One thread per process keeps the two ranks from starving the test runner's other workers,
    // and the agent's INFO log says where a run stalled if one does.
    const env = { ...process.env, GLOO_SOCKET_IFNAME: "lo", OMP_NUM_THREADS: "1", LOGLEVEL: "INFO" };
    let result = await run(PYTHON, args(await freePort()), { cwd: dir, env, timeoutMs: 180_000 });
    if (result.timedOut) {
      // The port freePort found is released before torchrun binds it, so another process can take
      // it in between and leave the rendezvous waiting; one retry on a fresh port rules that out.
      console.warn(`torchrun timed out; retrying on a fresh port. Its output:\n${result.output.slice(-4000)}`);
      rmSync(out, { recursive: true, force: true });
      result = await run(PYTHON, args(await freePort()), { cwd: dir, env, timeoutMs: 180_000 });
    }
    if (result.code !== 0) throw new Error(`torchrun ${result.timedOut ? "timed out" : `exited with ${result.code}`}:\n${result.output.slice(-4000)}`);
    expect(readdirSync(out).sort()).toEqual(["checkpoint.pt", "log.jsonl", "model.pt", "result.json"]);
    const log = readFileSync(join(out, "log.jsonl"), "utf8").trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(log).toHaveLength(1);
    // 57 training examples (64 less the 10% validation split), 8 per process and batch: 4 batches each.
    expect(log[0]!["batches_per_rank"]).toEqual([4, 4]);
    expect(Number.isFinite(log[0]!["loss"])).toBe(true);
    expect(log[0]).toHaveProperty("val_accuracy");
  }, 400_000);
});
