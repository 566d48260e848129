// Runs the same model in tfjs and in the generated PyTorch module, with the same weights,
// and reports parameter counts, output shapes and the largest output difference.

import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../common.js";
import type { Tf } from "../../src/runtime/tf.js";
import { buildTfjsModel } from "../../src/emit/tfjs-build.js";
import { serializeModel } from "../../src/emit/tfjs-save.js";
import { emitModelPy } from "../../src/emit/pytorch/model.js";
import { tfjsToTorchFile } from "../../src/convert/convert.js";
import type { IrGraph } from "../../src/ir/ir.js";
import type { TfModelSpec } from "../../src/emit/tfjs-lowering.js";
import { seededRandom } from "../../src/data/random.js";

export interface LoweredModel {
  ir: IrGraph;
  spec: TfModelSpec;
  doc?: string;
}

export const PYTHON = "/usr/bin/python3";

export interface ParityResult {
  name: string;
  params: number;
  buffers: number;
  shape: number[];
  max_abs_error?: number;
  max_abs_output?: number;
}

/** A deterministic generator, so every run compares the same numbers. */
export const random = seededRandom;

/**
 * Replaces the weights that initialise to constants (biases, batchnorm's scale, shift and
 * running statistics) with random values, so eval-mode batchnorm and every bias are
 * exercised; kernels keep their seeded Glorot values, which keep deep models' activations
 * in a range where float32 differences stay meaningful.
 */
export function randomiseWeights(tf: Tf, model: ReturnType<typeof buildTfjsModel>, seed: number): void {
  const next = random(seed);
  for (const weight of model.weights) {
    const name = weight.originalName;
    const size = weight.shape.reduce((a, b) => a! * b!, 1)!;
    const values = new Float32Array(size);
    const uniform = (lo: number, hi: number): void => values.forEach((_, i) => (values[i] = lo + (hi - lo) * next()));
    if (/\/(gamma|moving_variance)$/.test(name)) uniform(0.5, 1.5);
    else if (/\/(beta|moving_mean|bias)$/.test(name)) uniform(-0.2, 0.2);
    else continue;
    const value = tf.tensor(values, weight.shape as number[]);
    weight.write(value);
    value.dispose();
  }
}

export interface ParityJob {
  name: string;
  dir: string;
  state_dict: string;
  input: string;
  input_shape: number[];
  expected: string;
}

/** Builds the tfjs model, writes model.py, the converted state_dict, an input and the tfjs output. */
export async function prepareParity(tf: Tf, name: string, lowered: LoweredModel, dir: string, seed = 7): Promise<ParityJob> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "model.py"), emitModelPy({ ir: lowered.ir, sourceFile: `${name}.cnn`, doc: lowered.doc }));
  const model = buildTfjsModel(tf, lowered.spec);
  try {
    randomiseWeights(tf, model, seed);
    const files = await serializeModel(tf, model);
    writeFileSync(join(dir, "state_dict.pt"), tfjsToTorchFile(lowered.ir, lowered.spec, files["model.json"], files["weights.bin"]));
    const next = random(seed + 1);
    const shape = [1, ...lowered.ir.input.shape];
    const values = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => next() * 2 - 1);
    writeFileSync(join(dir, "input.bin"), values);
    const input = tf.tensor(values, shape);
    const output = model.predict(input) as ReturnType<Tf["tensor"]>;
    writeFileSync(join(dir, "expected.bin"), (await output.data()) as Float32Array);
    tf.dispose([input, output]);
    return { name, dir, state_dict: join(dir, "state_dict.pt"), input: join(dir, "input.bin"), input_shape: shape, expected: join(dir, "expected.bin") };
  } finally {
    model.dispose();
  }
}

/** Runs jobs in one Python process and returns its results in order. */
export function runPython(jobs: object[]): ParityResult[] {
  const output = execFileSync(PYTHON, [join(ROOT, "test", "pytorch", "parity.py")], { input: JSON.stringify(jobs), encoding: "utf8", maxBuffer: 64 << 20 });
  return JSON.parse(output) as ParityResult[];
}

export interface TorchvisionJob {
  name: string;
  seed: number;
  state_dict: string;
  input: string;
  input_shape: number[];
  output: string;
  /** Where to write the same forward in float64 (little-endian doubles), the exact reference. */
  output64?: string;
  /** A Python expression building the network instead of torchvision.models.<name>. */
  module?: string;
  kwargs?: Record<string, unknown>;
}

/** The reference examples torchvision 0.14 has, by torchvision.models name, cheapest first. */
export const TORCHVISION_EXAMPLES = [
  "squeezenet1_1", "mobilenet_v2", "shufflenet_v2_x1_0", "mnasnet1_0", "mobilenet_v3_large", "regnet_y_400mf", "resnet18", "efficientnet_b0",
  "alexnet", "googlenet", "resnet34", "densenet121", "convnext_tiny", "resnet50", "resnext50_32x4d", "inception_v3", "efficientnet_v2_s",
  "wide_resnet50_2", "resnet152", "vgg16", "vgg16_bn",
];
/** torchvision constructor arguments that give the network its example describes (no auxiliary classifiers). */
export const TORCHVISION_KWARGS: Record<string, Record<string, unknown>> = { googlenet: { aux_logits: false, init_weights: false }, inception_v3: { aux_logits: false, init_weights: false } };

/** Saves seeded torchvision models' state_dicts and their outputs on the given inputs (test/pytorch/torchvision_weights.py). */
export function runTorchvision(jobs: TorchvisionJob[]): { name: string; params: number; seconds: number }[] {
  const output = execFileSync(PYTHON, [join(ROOT, "test", "pytorch", "torchvision_weights.py")], { input: JSON.stringify(jobs), encoding: "utf8", maxBuffer: 64 << 20 });
  return JSON.parse(output) as { name: string; params: number; seconds: number }[];
}
