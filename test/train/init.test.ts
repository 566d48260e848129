// `cnnc train --init`: start from a PyTorch state_dict of another shape of head, with the
// backbone frozen: the backbone's weights come from the file and stay there, the new head
// starts fresh and trains, on both engines. Run as a user runs it, in a child process.
// Needs python3-torch.

import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeNpy } from "../../src/data/npy.js";
import { matchTorchFile, modelWithWeights, readTfjsWeights } from "../../src/convert/convert.js";
import { loadTfjs } from "../../src/runtime/backend.js";
import { runTorchvision } from "../../bench/pytorch-parity/parity.js";
import { ROOT } from "../helpers.js";
import { lowerText } from "../tfjs-helpers.js";
import { FROZEN_MODEL, patterns } from "./fixtures.js";

const ENTRY = ["--import", "tsx", join(ROOT, "test", "train", "entry.ts")];

function cnnc(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [...ENTRY, ...args], { cwd: ROOT, encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

let dir: string;
let weights: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "cnnc-init-"));
  writeFileSync(join(dir, "tiny.cnn"), FROZEN_MODEL);
  const { x, y } = patterns(48);
  writeFileSync(join(dir, "x_train.npy"), encodeNpy([48, 8, 8], x));
  writeFileSync(join(dir, "y_train.npy"), encodeNpy([48], y));
  writeFileSync(join(dir, "input.bin"), new Float32Array(64));
  weights = join(dir, "pretrained.pt");
  // The same stem, pretrained elsewhere with a 10-class head.
  const module = "nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(), nn.Conv2d(4, 4, 1), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 10))";
  runTorchvision([{ name: "pretrained", module, seed: 2, state_dict: weights, input: join(dir, "input.bin"), input_shape: [1, 8, 8, 1], output: join(dir, "output.bin") }]);
});

describe("cnnc train --init", () => {
  it("loads the backbone, starts the new head fresh, and trains only the head", () => {
    const out = join(dir, "run");
    const result = cnnc(["train", join(dir, "tiny.cnn"), "--data", dir, "--out", out, "--backend", "cpu", "--validation-split", "0", "--init", weights, "--explain"]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^conv_1 \(line 2\) +← 0 +weight \[4, 1, 3, 3\]$/m);
    expect(result.stdout).toMatch(/^dense_1 \(line 13\) +fresh +needs weight \[3, 64\], bias \[3\]; 6 has weight \[10, 64\], bias \[10\]$/m);
    expect(result.stderr).toContain("warning[E0901]: dense_1 needs weight [3, 64], bias [3], but the state_dict's 6 in its place has weight [10, 64], bias [10]");
    expect(result.stderr).toContain("loaded 3 layers by structure; 1 starts fresh");
    const { spec, ir } = lowerText(FROZEN_MODEL);
    const loaded = matchTorchFile(ir, spec, readFileSync(weights)).weights;
    const trained = readTfjsWeights(readFileSync(join(out, "model.json"), "utf8"), readFileSync(join(out, "weights.bin")));
    const same = [...trained.keys()].filter((name) => loaded.has(name) && Array.from(loaded.get(name)!.data as Float32Array).every((v, i) => v === trained.get(name)!.data[i]));
    expect(same).toEqual(["conv_1/kernel", "batchnorm_1/gamma", "batchnorm_1/beta", "batchnorm_1/moving_mean", "batchnorm_1/moving_variance", "conv_2/kernel", "conv_2/bias"]);
  });

  it("--engine pytorch: train.py starts from the same weights, keeps the frozen layers (batchnorm statistics too) as loaded and trains the new head", async () => {
    const out = join(dir, "pytorch");
    const result = cnnc(["train", join(dir, "tiny.cnn"), "--data", dir, "--out", out, "--engine", "pytorch", "--validation-split", "0", "--init", weights]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toContain("warning[E0901]: dense_1 needs weight [3, 64], bias [3], but the state_dict's 6 in its place has weight [10, 64], bias [10]");
    expect(result.stderr).toContain("loaded 3 layers by structure; 1 starts fresh");
    const { spec, ir } = lowerText(FROZEN_MODEL, 5);
    const loaded = matchTorchFile(ir, spec, readFileSync(weights)).weights;
    // The new head starts as the tfjs engine starts it: seeded as `cnnc build --seed 5` would.
    const { tf } = await loadTfjs("cpu");
    const start = (await modelWithWeights(tf, ir, spec, loaded)).tfjs;
    const initial = readTfjsWeights(start["model.json"], start["weights.bin"]);
    const trained = readTfjsWeights(readFileSync(join(out, "model.json"), "utf8"), readFileSync(join(out, "weights.bin")));
    const unchanged = [...trained.keys()].filter((name) => Array.from(initial.get(name)!.data as Float32Array).every((v, i) => v === trained.get(name)!.data[i]));
    expect(unchanged).toEqual(["conv_1/kernel", "batchnorm_1/gamma", "batchnorm_1/beta", "batchnorm_1/moving_mean", "batchnorm_1/moving_variance", "conv_2/kernel", "conv_2/bias"]);
    for (const name of unchanged) expect(Array.from(trained.get(name)!.data)).toEqual(Array.from(loaded.get(name)!.data));
  }, 120_000);

  it("--strict refuses the other head; --explain needs --init", () => {
    const strict = cnnc(["train", join(dir, "tiny.cnn"), "--data", dir, "--out", join(dir, "strict"), "--backend", "cpu", "--init", weights, "--strict"]);
    expect(strict.status).toBe(1);
    expect(strict.stderr).toContain("error[E0901]: dense_1 needs weight [3, 64]");
    expect(strict.stderr).toContain("tiny.cnn:13:");
    const usage = cnnc(["train", join(dir, "tiny.cnn"), "--data", dir, "--explain"]);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain("--explain applies to the weights of --init; give --init FILE");
  });
});
