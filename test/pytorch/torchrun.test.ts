// train.py under torchrun with two processes on CPU (gloo): one epoch of LeNet-5 on a small
// IDX data set. Both ranks must train, and rank 0 alone writes the checkpoint and the log.
// Needs python3-torch; torch 1.13's torchrun is `python3 -m torch.distributed.run`.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildPytorch } from "../../src/cli/pytorch.js";
import { EXAMPLES, read } from "../helpers.js";
import { writeIdxDataSet } from "./data.js";
import { PYTHON } from "../../bench/pytorch-parity/parity.js";

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
    const args = ["-m", "torch.distributed.run", "--nnodes", "1", "--nproc_per_node", "2", "--master_addr", "127.0.0.1", "--master_port", String(await freePort()), "--redirects", "2", "--tee", "2",
      join(dir, "build", "train.py"), "--train-images", join(dir, "images.idx.gz"), "--train-labels", join(dir, "labels.idx.gz"), "--epochs", "1", "--batch", "16", "--device", "cpu", "--out", out];
    // Gloo picks its network interface by resolving the host name, which can stall on a machine
    // whose name is not in /etc/hosts and has no DNS; the loopback interface always works here.
    // One thread per process keeps the two ranks from starving the test runner's other workers.
    const env = { ...process.env, GLOO_SOCKET_IFNAME: "lo", OMP_NUM_THREADS: "1" };
    const result = spawnSync(PYTHON, args, { cwd: dir, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 240_000 });
    if (result.status !== 0) {
      const tail = `${result.stdout ?? ""}\n${result.stderr ?? ""}`.slice(-4000);
      throw new Error(`torchrun exited with ${result.status ?? result.signal ?? result.error?.message}:\n${tail}`);
    }
    expect(readdirSync(out).sort()).toEqual(["checkpoint.pt", "log.jsonl", "model.pt"]);
    const log = readFileSync(join(out, "log.jsonl"), "utf8").trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(log).toHaveLength(1);
    // 57 training examples (64 less the 10% validation split), 8 per process and batch: 4 batches each.
    expect(log[0]!["batches_per_rank"]).toEqual([4, 4]);
    expect(Number.isFinite(log[0]!["loss"])).toBe(true);
    expect(log[0]).toHaveProperty("val_accuracy");
  });
});
