// Training memory: the per-layer rules on small models, and the estimate of what autograd
// keeps against PyTorch's own count (saved_tensors_hooks) for the generated model.py.
// The PyTorch half needs Debian's python3-torch.

import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile } from "../src/compile.js";
import { buildIr } from "../src/ir/build.js";
import { emitModelPy } from "../src/emit/pytorch.js";
import { estimateMemory, formatBytes, largestTfjsBatch, optimizerCopies, type MemoryEstimate } from "../src/summary/memory.js";
import { EXAMPLES, read, ROOT } from "./helpers.js";

function estimate(text: string, batch?: number): MemoryEstimate {
  const result = compile(text);
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const model = result.models[result.models.length - 1]!;
  return estimateMemory(model, { batch, train: result.trains.find((t) => t.model === model.name) })!;
}

describe("memory estimate", () => {
  it("counts every output once for the forward pass, and only what backward formulas need as kept", () => {
    // conv keeps its input; relu its output, which the second conv keeps too (counted once); add keeps nothing.
    const m = estimate("model M {\n  input x: [4, 4, 2]\n  conv 3, kernel: 1 -> relu\n  conv 3, kernel: 1\n}\n", 2);
    const floats = (n: number): number => n * 4;
    expect(m.layers.map((l) => l.activation)).toEqual([floats(2 * 32), floats(2 * 48), floats(2 * 48), floats(2 * 48)]);
    expect(m.layers.map((l) => l.saved)).toEqual([floats(2 * 32), 0, floats(2 * 48), 0]);
    expect(m.activations).toBe(floats(2 * (32 + 48 * 3)));
    expect(m.saved).toBe(floats(2 * (32 + 48)));
  });

  it("adds max-pool's int64 indices and dropout's byte mask", () => {
    const m = estimate("model M {\n  input x: [4, 4, 2]\n  maxpool 2\n  dropout 0.5\n}\n", 1);
    // maxpool: its input (32 floats) is the model input; 8 outputs × 8 bytes of indices; dropout: 8 bytes of mask.
    expect(m.layers.map((l) => l.saved)).toEqual([32 * 4, 8 * 8, 8]);
  });

  it("takes the batch and optimizer from the train declaration; parameters, gradients and state from the counts", () => {
    const text = read(join(EXAMPLES, "resnet20.cnn"));
    const m = estimate(text);
    expect(m).toMatchObject({ batch: 128, optimizer: "sgd", optimizerCopies: 1 });
    expect(m.params).toBe((272_474 + 1_568) * 4);
    expect(m.gradients).toBe(272_474 * 4);
    expect(m.optimizerState).toBe(272_474 * 4);
    expect(estimate(text, 4).batch).toBe(4);
    // Activations grow with the batch; the parameters do not.
    expect(estimate(text, 8).activations).toBe(2 * estimate(text, 4).activations);
    expect(m.training.tfjs).toBeGreaterThan(m.training.pytorch);
  });

  it("knows each optimizer's copies of the parameters", () => {
    expect([optimizerCopies("adam"), optimizerCopies("adamw"), optimizerCopies("rmsprop"), optimizerCopies("sgd"), optimizerCopies("sgd", { momentum: 0.9 })]).toEqual([2, 2, 2, 0, 1]);
  });

  it("has no estimate while sizes are symbolic", () => {
    const result = compile(read(join(EXAMPLES, "symbolic", "fcn.cnn")), { path: join(EXAMPLES, "symbolic", "fcn.cnn") });
    expect(estimateMemory(result.models[0]!)).toBeUndefined();
  });

  it("gives the largest batch whose tfjs step fits a budget", () => {
    const text = "model M {\n  input x: [8, 8, 3]\n  conv 4, kernel: 3 -> relu\n  flatten\n  dense 10\n}\n";
    const model = compile(text).models[0]!;
    const budget = estimate(text, 100).training.tfjs;
    expect(largestTfjsBatch(model, budget)).toBe(100);
    expect(largestTfjsBatch(model, budget - 1)).toBe(99);
    expect(largestTfjsBatch(model, estimate(text, 1).params)).toBe(0);
  });

  it("prints sizes in binary units", () => {
    expect([formatBytes(512), formatBytes(1536), formatBytes(3 * 1024 ** 3)]).toEqual(["512 B", "1.50 KiB", "3.00 GiB"]);
  });
});

describe("kept for backward, against PyTorch's autograd", () => {
  for (const [name, batch] of [["lenet5", 4], ["resnet20", 2], ["mobilenet_v2", 1]] as const) {
    it(`${name} at batch ${batch}: within 2% of the bytes saved_tensors_hooks see`, () => {
      const text = read(join(EXAMPLES, `${name}.cnn`));
      const result = compile(text, { path: join(EXAMPLES, `${name}.cnn`) });
      const model = result.models[result.models.length - 1]!;
      const train = result.trains.find((t) => t.model === model.name);
      const dir = mkdtempSync(join(tmpdir(), "cnnc-memory-"));
      writeFileSync(join(dir, "model.py"), emitModelPy({ ir: buildIr(model, text, train), sourceFile: `${name}.cnn` }));
      const run = spawnSync("/usr/bin/python3", [join(ROOT, "bench", "memory", "torch_saved.py"), dir, String(batch), "sgd"], { encoding: "utf8" });
      expect(run.stderr.split("\n").filter((l) => /Error|Traceback/.test(l))).toEqual([]);
      const torch = JSON.parse(run.stdout.trim().split("\n").pop()!) as { saved: number; gradients: number };
      const m = estimateMemory(model, { batch, train })!;
      expect(Math.abs(m.saved - torch.saved) / torch.saved).toBeLessThan(0.02);
      expect(m.gradients).toBe(torch.gradients);
    }, 120_000);
  }
});

describe("cnnc train", () => {
  it("warns (W0901) before it starts when a step needs more memory than is free", () => {
    // VGG-16 at batch 65,536 needs terabytes; a missing data folder then stops the run.
    const run = spawnSync(process.execPath, [join(ROOT, "dist", "src", "cli", "bin.js"), "train", "examples/vgg16.cnn", "--batch", "65536", "--data", join(tmpdir(), "cnnc-no-such-data"), "--out", mkdtempSync(join(tmpdir(), "cnnc-w0901-"))], { cwd: ROOT, encoding: "utf8" });
    expect(run.stderr).toMatch(/warning\[W0901\]: a training step at batch 65536 needs about [\d.]+ TiB, more than the [\d.]+ [GMT]iB of memory free on this machine/);
    expect(run.stderr).toContain("--> examples/vgg16.cnn:");
    expect(run.stderr).toMatch(/help: try a smaller batch, such as `--batch \d+`/);
    expect(run.status).toBe(1);
  }, 60_000);

  it("refuses (E0650) a step that cannot fit the WebAssembly heap, with the largest batch that does", () => {
    // Before: "internal error: memory access out of bounds" in the middle of the first step.
    const run = spawnSync(process.execPath, [join(ROOT, "dist", "src", "cli", "bin.js"), "train", "examples/vgg16.cnn", "--batch", "65536", "--backend", "wasm", "--epochs", "1", "--out", mkdtempSync(join(tmpdir(), "cnnc-e0650-"))], { cwd: ROOT, encoding: "utf8" });
    expect(run.stderr).toMatch(/error\[E0650\]: a training step at batch 4500 \(--batch 65536, capped at the 4500 training images\) needs about [\d.]+ [GT]iB, more than the 4.00 GiB the WebAssembly backend can hold/);
    expect(run.stderr).toMatch(/help: the largest batch that fits is \d+: use `--batch \d+`, or train on `--backend cpu`/);
    expect(run.stderr).not.toContain("internal error");
    expect(run.status).toBe(1);
  }, 120_000);
});
