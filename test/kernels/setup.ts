// Shared set-up for the kernel tests: tfjs with both backends, tfjs's own kernels and
// gradients captured before cnnc replaces them (they are the reference), and helpers to
// run a captured kernel and to compare arrays.

import { seededRandom } from "../../src/data/random.js";
import { createRequire } from "node:module";
import type { GradConfig, KernelBackend, KernelConfig, NamedAttrMap, Tensor } from "@tensorflow/tfjs";
import type { Tf } from "../../src/runtime/tf.js";
import { prepareTraining } from "../../src/kernels/index.js";

const require = createRequire(import.meta.url);

/** The CommonJS builds, as the CLI loads them (one tfjs-core instance for both backends). */
export const tf = require("@tensorflow/tfjs") as Tf;
require("@tensorflow/tfjs-backend-wasm");
tf.env().set("PROD", true);

export type BackendName = "cpu" | "wasm";

const REFERENCE_KERNELS = [
  "Conv2D",
  "FusedConv2D",
  "Conv2DBackpropFilter",
  "Conv2DBackpropInput",
  "DepthwiseConv2dNative",
  "DepthwiseConv2dNativeBackpropFilter",
  "DepthwiseConv2dNativeBackpropInput",
  "MaxPool",
  "AvgPool",
  "MaxPoolGrad",
  "AvgPoolGrad",
  "Slice",
  "Add",
  "Sub",
  "Multiply",
  "RealDiv",
  "Relu",
  "Step",
  "Square",
  "Sum",
  "Mean",
  "FusedBatchNorm",
  "BatchMatMul",
  "_FusedMatMul",
  "PadV2",
];

/** tfjs's cpu kernels and gradient functions as shipped. */
export const stock = {
  kernels: new Map<string, KernelConfig>(REFERENCE_KERNELS.map((name) => [name, tf.getKernel(name, "cpu")!])),
  gradients: new Map<string, GradConfig>(["FusedBatchNorm", "Mean", "Sum"].map((name) => [name, tf.getGradient(name)!])),
};

let prepared: Promise<void> | undefined;

/** Prepares both backends once per test file and leaves `wasm` active. */
export function prepareBoth(): Promise<void> {
  prepared ??= (async () => {
    await tf.setBackend("cpu");
    await prepareTraining(tf, "cpu");
    await tf.setBackend("wasm");
    await prepareTraining(tf, "wasm");
  })();
  return prepared;
}

export async function useBackend(name: BackendName): Promise<void> {
  await prepareBoth();
  if (!(await tf.setBackend(name))) throw new Error(`could not start tfjs backend ${name}`);
}

/** Runs one of tfjs's own cpu kernels on copies of the inputs and returns its values. */
export function runStock(kernelName: string, inputs: Record<string, Tensor>, attrs: NamedAttrMap): Float32Array {
  const backend = tf.findBackend("cpu") as KernelBackend & { write(values: Float32Array, shape: number[], dtype: string): object };
  const infos = Object.fromEntries(Object.entries(inputs).map(([key, t]) => [key, { dataId: backend.write(t.dataSync() as Float32Array, t.shape, "float32"), shape: t.shape, dtype: "float32" as const }]));
  const out = stock.kernels.get(kernelName)!.kernelFunc({ inputs: infos, backend, attrs });
  const info = Array.isArray(out) ? out[0]! : out;
  const values = Float32Array.from(backend.readSync(info.dataId) as Float32Array);
  backend.disposeData(info.dataId);
  for (const i of Object.values(infos)) backend.disposeData(i.dataId);
  return values;
}

/** Runs a kernel through the engine on the active backend and returns its values. */
export function runKernel(kernelName: string, inputs: Record<string, Tensor>, attrs: NamedAttrMap): Float32Array {
  const out = tf.engine().runKernel(kernelName, inputs, attrs) as Tensor;
  const values = Float32Array.from(out.dataSync() as Float32Array);
  out.dispose();
  return values;
}

/** The largest absolute difference, relative to the largest magnitude in `expected` (at least 1). */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Infinity;
  let worst = 0;
  let scale = 1;
  for (let i = 0; i < expected.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return Number.isNaN(worst) ? Infinity : worst / scale;
}

/** A deterministic generator, so every run checks the same numbers: the one training shuffles with. */
export const random = seededRandom;

/** A tensor of uniform values in [-1, 1). */
export function uniform(shape: number[], next: () => number): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => next() * 2 - 1), shape);
}

/**
 * Checks the gradient of f(x) = Σ weights · op(x) against central finite differences along
 * a few random directions and coordinates: (f(x + εv) − f(x − εv)) / 2ε ≈ ⟨∇f(x), v⟩. The
 * finite differences sum in float64, so float32 rounding in a reduction does not swamp
 * them. Returns the worst mismatch relative to Σ|∂f/∂xᵢ · vᵢ|, the size of the terms
 * summed (or a hundredth of the largest partial derivative, where those vanish).
 */
export function finiteDifferenceError(op: (x: Tensor) => Tensor, weights: Tensor, x: Tensor, next: () => number, epsilon: number, directions = 3, coordinates = 6): number {
  const gradient = tf.grad((v: Tensor) => tf.sum(tf.mul(op(v), weights)))(x);
  const g = gradient.dataSync() as Float32Array;
  const xs = x.dataSync() as Float32Array;
  const w = weights.dataSync() as Float32Array;
  const largest = g.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
  const probes: Float32Array[] = [];
  for (let d = 0; d < directions; d++) probes.push(Float32Array.from(xs, () => next() * 2 - 1));
  for (let c = 0; c < coordinates; c++) {
    const v = new Float32Array(xs.length);
    v[Math.floor(next() * xs.length)] = 1;
    probes.push(v);
  }
  let worst = 0;
  for (const v of probes) {
    const value = (sign: number): number => {
      const shifted = tf.tensor(Float32Array.from(xs, (xi, i) => xi + sign * epsilon * v[i]!), x.shape);
      const y = op(shifted);
      const values = y.dataSync() as Float32Array;
      let total = 0;
      for (let i = 0; i < values.length; i++) total += values[i]! * w[i]!;
      shifted.dispose();
      y.dispose();
      return total;
    };
    const numeric = (value(1) - value(-1)) / (2 * epsilon);
    const analytic = g.reduce((a, gi, i) => a + gi * v[i]!, 0);
    const scale = Math.max(g.reduce((a, gi, i) => a + Math.abs(gi * v[i]!), 0), largest / 100, 1e-6);
    worst = Math.max(worst, Math.abs(numeric - analytic) / scale);
  }
  gradient.dispose();
  return worst;
}
