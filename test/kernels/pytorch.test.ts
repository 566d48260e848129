// Whole-model gradients on cpu and wasm under cnnc's kernels against PyTorch (float64)
// with the same weights and data: a LeNet-5 (conv, max and average pooling, tanh, dense
// after a flatten whose order differs between the two) and a ResNet basic block (batch
// norm in training mode, a stride-2 3×3 conv with its zero-padding layer, a 1×1 stride-2
// projection shortcut, global average pooling). Needs Debian's python3-torch.

import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Scalar, Tensor, Variable } from "@tensorflow/tfjs";
import { compile } from "../../src/compile.js";
import { buildTfjsModel } from "../../src/emit/tfjs-build.js";
import { lowerToTfjs } from "../../src/emit/tfjs-lowering.js";
import { buildIr } from "../../src/ir/build.js";
import { ROOT } from "../helpers.js";
import { prepareBoth, random, tf, useBackend, type BackendName } from "./setup.js";

const MODELS = {
  lenet5: {
    input: [8, 28, 28, 1],
    text: `
model LeNet5 {
  input image: [28, 28, 1]
  conv 6, kernel: 5, padding: 2 -> relu -> maxpool 2
  conv 16, kernel: 5 -> tanh -> avgpool 2
  flatten
  dense 120 -> relu
  dense 84 -> relu
  dense 10
}`,
  },
  resblock: {
    input: [6, 12, 12, 4],
    text: `
model ResBlock {
  input image: [12, 12, 4]
  conv 8, kernel: 3, padding: 1, bias: false -> batchnorm -> relu
  residual {
    conv 16, kernel: 3, stride: 2, padding: 1, bias: false -> batchnorm -> relu
    conv 16, kernel: 3, padding: 1, bias: false -> batchnorm
  } shortcut auto
  relu
  global avgpool
  dense 10
}`,
  },
};
type ModelName = keyof typeof MODELS;

interface Run {
  backend: BackendName;
  model: ModelName;
  names: string[];
  loss: number;
  grads: Float32Array[];
  request: { model: ModelName; x: number[]; shape: number[]; labels: number[]; params: { name: string; shape: number[]; values: number[] }[] };
}

/** One training-mode forward and backward pass of a cnnc-built model on the active backend. */
function gradientsOf(backend: BackendName, model: ModelName): Run {
  const { text, input } = MODELS[model];
  const result = compile(text);
  const layers = buildTfjsModel(tf, lowerToTfjs(buildIr(result.models[0]!, text), { seed: 7 }));
  const next = random(17);
  const size = input.reduce((a, b) => a * b, 1);
  const x = tf.tensor(Float32Array.from({ length: size }, () => next() * 2 - 1), input);
  const labels = Array.from({ length: input[0]! }, () => Math.floor(next() * 10));
  const weights = layers.trainableWeights;
  const variables = weights.map((w) => w.read() as Variable);
  const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(tf.oneHot(labels, 10), layers.apply(x, { training: true }) as Tensor) as Scalar, variables);
  const run: Run = {
    backend,
    model,
    names: weights.map((w) => w.originalName),
    loss: (value.dataSync() as Float32Array)[0]!,
    grads: variables.map((v) => Float32Array.from(grads[v.name]!.dataSync() as Float32Array)),
    request: {
      model,
      x: Array.from(x.dataSync()),
      shape: input,
      labels,
      params: weights.map((w, i) => ({ name: w.originalName, shape: w.shape as number[], values: Array.from(variables[i]!.dataSync()) })),
    },
  };
  tf.dispose([x, value, ...Object.values(grads)]);
  layers.dispose();
  return run;
}

describe("whole-model gradients under cnnc's kernels agree with PyTorch", () => {
  const runs: Run[] = [];
  let reference: { loss: number; grads: number[][] }[] = [];

  beforeAll(async () => {
    await prepareBoth();
    for (const backend of ["cpu", "wasm"] as BackendName[]) {
      await useBackend(backend);
      for (const model of Object.keys(MODELS) as ModelName[]) runs.push(gradientsOf(backend, model));
    }
    const output = execFileSync("/usr/bin/python3", [join(ROOT, "test", "kernels", "torch_grads.py")], { input: JSON.stringify(runs.map((r) => r.request)), encoding: "utf8", maxBuffer: 256 << 20 });
    reference = JSON.parse(output) as typeof reference;
  });

  it.each(
    (["cpu", "wasm"] as BackendName[]).flatMap((backend) => (Object.keys(MODELS) as ModelName[]).map((model) => [backend, model] as const)),
  )("%s: %s", (backend, model) => {
    const index = runs.findIndex((r) => r.backend === backend && r.model === model);
    const run = runs[index]!;
    const expected = reference[index]!;
    expect(Math.abs(run.loss - expected.loss)).toBeLessThan(1e-5 * Math.max(1, Math.abs(expected.loss)));
    expect(run.grads.length).toBe(expected.grads.length);
    run.grads.forEach((grad, i) => {
      const want = expected.grads[i]!;
      let worst = 0;
      let scale = 0;
      for (let j = 0; j < want.length; j++) {
        worst = Math.max(worst, Math.abs(grad[j]! - want[j]!));
        scale = Math.max(scale, Math.abs(want[j]!));
      }
      expect(grad.length, run.names[i]).toBe(want.length);
      expect(scale, `${run.names[i]} has a nonzero gradient`).toBeGreaterThan(0);
      expect(worst / scale, `${run.names[i]}: max |tfjs − PyTorch| / max |PyTorch|`).toBeLessThan(2e-5);
    });
  });
});
