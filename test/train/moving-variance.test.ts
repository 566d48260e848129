// Batchnorm's running statistics after training steps, in cnnc train's tfjs model against
// PyTorch's BatchNorm2d on the same batches: PyTorch keeps the unbiased batch variance.
// Needs Debian's python3-torch.

import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import type * as tfjs from "@tensorflow/tfjs";
import { loadTfjs } from "../../src/runtime/backend.js";
import { buildTfjsModel } from "../../src/emit/tfjs-build.js";
import { useUnbiasedMovingVariance } from "../../src/train/moving-variance.js";
import { PYTHON } from "../../bench/pytorch-parity/parity.js";
import { lowerText } from "../tfjs-helpers.js";

const MODEL = "model Norm {\n  input image: [3, 4, 2]\n  batchnorm momentum: 0.3\n}\n";
const SHAPE = [5, 3, 4, 2];

function batch(step: number): number[] {
  return Array.from({ length: SHAPE.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.7 + step) * (1 + (i % 2)) + step * 0.1);
}

/** PyTorch's running mean and variance after the same batches (NCHW), in train mode. */
function torchStatistics(batches: number[][]): { mean: number[]; variance: number[] } {
  const script = [
    "import json, sys, torch",
    "batches, shape = json.load(sys.stdin)",
    "bn = torch.nn.BatchNorm2d(shape[3], eps=1e-5, momentum=0.3).train()",
    "for b in batches:",
    "    bn(torch.tensor(b, dtype=torch.float32).reshape(shape).permute(0, 3, 1, 2))",
    "print(json.dumps({'mean': bn.running_mean.tolist(), 'variance': bn.running_var.tolist()}))",
  ].join("\n");
  return JSON.parse(execFileSync(PYTHON, ["-c", script], { input: JSON.stringify([batches, SHAPE]), encoding: "utf8" })) as { mean: number[]; variance: number[] };
}

async function tfjsStatistics(batches: number[][], unbiased: boolean): Promise<{ mean: number[]; variance: number[] }> {
  const { tf } = await loadTfjs("cpu");
  const model = buildTfjsModel(tf, lowerText(MODEL).spec);
  if (unbiased) useUnbiasedMovingVariance(tf, model);
  for (const values of batches) tf.tidy(() => void model.apply(tf.tensor(values, SHAPE), { training: true }));
  const [mean, variance] = await Promise.all(model.layers[1]!.getWeights().slice(2).map((w: tfjs.Tensor) => w.array() as Promise<number[]>));
  model.dispose();
  return { mean: mean!, variance: variance! };
}

describe("batchnorm running statistics", () => {
  it("follow PyTorch's (unbiased variance) in cnnc train's model, and not in plain tfjs-layers", async () => {
    const batches = [batch(0), batch(1), batch(2)];
    const torch = torchStatistics(batches);
    const ours = await tfjsStatistics(batches, true);
    for (let c = 0; c < 2; c++) {
      expect(ours.mean[c]).toBeCloseTo(torch.mean[c]!, 5);
      expect(ours.variance[c]).toBeCloseTo(torch.variance[c]!, 5);
    }
    // Without the correction tfjs-layers keeps the biased variance: n = 5 × 3 × 4 = 60 values per channel.
    const plain = await tfjsStatistics(batches, false);
    expect(Math.abs(plain.variance[0]! - torch.variance[0]!)).toBeGreaterThan(1e-3);
  });
});
