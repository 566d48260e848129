// Every kernel cnnc registers, on cpu and on wasm, against tfjs's own cpu kernels (where
// those are right) and against finite differences of the forward pass, over a grid of
// shapes, strides, paddings, dilations and depthwise multipliers (grid.ts).

import { beforeAll, describe, expect, it } from "vitest";
import type { LayersModel, NamedAttrMap, Tensor, Tensor4D, TensorInfo } from "@tensorflow/tfjs";
import { convCases, depthwiseCases, describeCase, poolCases, type ConvCase, type PoolCase } from "./grid.js";
import { convGeometry } from "../../src/kernels/geometry.js";
import { kernelContext } from "../../src/kernels/context.js";
import { im2colFilterGradient, shiftedFilterGradient, shiftedFits } from "../../src/kernels/conv.js";
import { BATCH_NORM_TRAINING } from "../../src/kernels/batchnorm.js";
import { finiteDifferenceError, random, relativeError, runKernel, runStock, stock, tf, uniform, useBackend, type BackendName } from "./setup.js";

const KERNEL_TOLERANCE = 2e-5;
const FINITE_DIFFERENCE_TOLERANCE = 2e-3;

/** Collects the cases whose error exceeds a tolerance, so a failure names all of them. */
function failures<T>(cases: T[], error: (c: T) => number, tolerance: number): string[] {
  const bad: string[] = [];
  for (const c of cases) {
    const e = error(c);
    if (!(e <= tolerance)) bad.push(`${describeCase(c as ConvCase)}: ${e.toExponential(2)}`);
  }
  return bad;
}

const convAttrs = (c: ConvCase): NamedAttrMap => ({ strides: c.strides, pad: c.pad, dilations: c.dilations, dataFormat: "NHWC" });
const undilated = (c: ConvCase): boolean => c.dilations[0] === 1 && c.dilations[1] === 1;

/** Values spaced at least 2/size apart, so no pooling window holds a tie. */
function distinct(shape: number[], next: () => number, offset = 0): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const order = Array.from({ length: size }, (_, i) => i);
  for (let i = size - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return tf.tensor(Float32Array.from(order, (v) => (2 * v) / size - 1 + offset), shape);
}

describe.each(["cpu", "wasm"] as BackendName[])("cnnc kernels on %s", (backend) => {
  beforeAll(() => useBackend(backend));

  describe("convolution", () => {
    const cases = convCases();

    it("Conv2DBackpropFilter and Conv2DBackpropInput equal tfjs's cpu kernels", () => {
      const next = random(1);
      const checked = cases.filter(undilated);
      const bad = failures(
        checked,
        (c) =>
          tf.tidy(() => {
            const x = uniform(c.input, next);
            const w = uniform(c.filter, next);
            const dy = uniform(tf.conv2d(x as Tensor4D, w as Tensor4D, c.strides, c.pad as "same").shape, next);
            const filterAttrs = { ...convAttrs(c), filterShape: c.filter };
            const inputAttrs = { ...convAttrs(c), inputShape: c.input };
            return Math.max(
              relativeError(runKernel("Conv2DBackpropFilter", { x, dy }, filterAttrs), runStock("Conv2DBackpropFilter", { x, dy }, filterAttrs)),
              relativeError(runKernel("Conv2DBackpropInput", { dy, filter: w }, inputAttrs), runStock("Conv2DBackpropInput", { dy, filter: w }, inputAttrs)),
            );
          }),
        KERNEL_TOLERANCE,
      );
      expect(checked.length).toBeGreaterThan(100);
      expect(bad).toEqual([]);
    });

    it("conv2d gradients match finite differences, dilated and strided-and-dilated ones included", () => {
      const next = random(2);
      const checked = cases.filter((c, i) => !undilated(c) || i % 4 === 0);
      const bad = failures(
        checked,
        (c) =>
          tf.tidy(() => {
            const x = uniform(c.input, next);
            const w = uniform(c.filter, next);
            const conv = (input: Tensor, filter: Tensor): Tensor => tf.engine().runKernel("Conv2D", { x: input, filter }, convAttrs(c)) as Tensor;
            const weights = uniform(conv(x, w).shape, next);
            const viaX = finiteDifferenceError((v) => conv(v, w), weights, x, next, 0.5);
            const viaW = finiteDifferenceError((v) => conv(x, v), weights, w, next, 0.5);
            return Math.max(viaX, viaW);
          }),
        FINITE_DIFFERENCE_TOLERANCE,
      );
      expect(checked.filter((c) => !undilated(c)).length).toBeGreaterThan(40);
      expect(bad).toEqual([]);
    });
  });

  describe("depthwise convolution", () => {
    const cases = depthwiseCases();
    const attrs = (c: ConvCase): NamedAttrMap => ({ strides: c.strides, pad: c.pad, dilations: c.dilations });

    it("DepthwiseConv2dNativeBackpropFilter and …BackpropInput equal tfjs's cpu kernels", () => {
      const next = random(4);
      const checked = cases.filter(undilated);
      const bad = failures(
        checked,
        (c) =>
          tf.tidy(() => {
            const x = uniform(c.input, next);
            const w = uniform(c.filter, next);
            const dy = uniform((tf.engine().runKernel("DepthwiseConv2dNative", { x, filter: w }, attrs(c)) as Tensor).shape, next);
            const filterAttrs = { ...attrs(c), filterShape: c.filter };
            const inputAttrs = { ...attrs(c), inputShape: c.input };
            return Math.max(
              relativeError(runKernel("DepthwiseConv2dNativeBackpropFilter", { x, dy }, filterAttrs), runStock("DepthwiseConv2dNativeBackpropFilter", { x, dy }, filterAttrs)),
              relativeError(runKernel("DepthwiseConv2dNativeBackpropInput", { dy, filter: w }, inputAttrs), runStock("DepthwiseConv2dNativeBackpropInput", { dy, filter: w }, inputAttrs)),
            );
          }),
        KERNEL_TOLERANCE,
      );
      expect(checked.length).toBeGreaterThan(40);
      expect(bad).toEqual([]);
    });

    it("depthwise gradients match finite differences, dilated ones included", () => {
      const next = random(5);
      const checked = cases.filter((c, i) => !undilated(c) || i % 3 === 0);
      const bad = failures(
        checked,
        (c) =>
          tf.tidy(() => {
            const x = uniform(c.input, next);
            const w = uniform(c.filter, next);
            const conv = (input: Tensor, filter: Tensor): Tensor => tf.engine().runKernel("DepthwiseConv2dNative", { x: input, filter }, attrs(c)) as Tensor;
            const weights = uniform(conv(x, w).shape, next);
            return Math.max(
              finiteDifferenceError((v) => conv(v, w), weights, x, next, 0.5),
              finiteDifferenceError((v) => conv(x, v), weights, w, next, 0.5),
            );
          }),
        FINITE_DIFFERENCE_TOLERANCE,
      );
      expect(bad).toEqual([]);
    });
  });

  describe("pooling", () => {
    const cases = poolCases();
    const attrs = (c: PoolCase): NamedAttrMap => ({ filterSize: c.filterSize, strides: c.strides, pad: c.pad });
    const forward = (kernel: "MaxPool" | "AvgPool", c: PoolCase) => (x: Tensor): Tensor => tf.engine().runKernel(kernel, { x }, attrs(c)) as Tensor;

    it("MaxPoolGrad equals tfjs's cpu kernel, also where every value in a window is negative", () => {
      const next = random(7);
      const bad = failures(
        cases,
        (c) =>
          tf.tidy(() =>
            Math.max(
              ...[0, -3].map((offset) => {
                const input = distinct(c.input, next, offset);
                const output = forward("MaxPool", c)(input);
                const dy = uniform(output.shape, next);
                return relativeError(runKernel("MaxPoolGrad", { dy, input, output }, attrs(c)), runStock("MaxPoolGrad", { dy, input, output }, attrs(c)));
              }),
            ),
          ),
        KERNEL_TOLERANCE,
      );
      expect(bad).toEqual([]);
    });

    it("AvgPoolGrad equals tfjs's cpu kernel without padding (tfjs's own is wrong for padded windows)", () => {
      const next = random(8);
      const unpadded = cases.filter((c) => c.pad === "valid");
      const bad = failures(
        unpadded,
        (c) =>
          tf.tidy(() => {
            const input = uniform(c.input, next);
            const dy = uniform(forward("AvgPool", c)(input).shape, next);
            return relativeError(runKernel("AvgPoolGrad", { dy, input }, attrs(c)), runStock("AvgPoolGrad", { dy, input }, attrs(c)));
          }),
        KERNEL_TOLERANCE,
      );
      expect(bad).toEqual([]);
    });

    it("max and average pool gradients match finite differences, padded windows included", () => {
      const next = random(9);
      const bad = failures(
        cases,
        (c) =>
          tf.tidy(() => {
            const x = distinct(c.input, next, -0.5);
            const weights = uniform(forward("MaxPool", c)(x).shape, next);
            // Spacing between values is 2/size; a step of 1e-3·|v| never reorders a window.
            const max = finiteDifferenceError(forward("MaxPool", c), weights, x, next, 1e-3);
            const avg = finiteDifferenceError(forward("AvgPool", c), weights, x, next, 0.5);
            return Math.max(max, avg);
          }),
        FINITE_DIFFERENCE_TOLERANCE,
      );
      expect(bad).toEqual([]);
    });
  });

  describe("batch normalisation", () => {
    // tfjs's own gradient function fails for parameters of rank 4 (it reshapes an unreduced
    // derivative), so those are checked against finite differences only. Every case passes
    // an offset and a scale: tfjs's engine cannot record batchNorm for the backward pass
    // without them (it clones the missing tensor), with or without cnnc.
    const cases = [
      { x: [2, 3, 4, 5], params: [5] },
      { x: [2, 3, 4, 5], params: [1, 1, 1, 5] },
      { x: [6, 5], params: [5] },
      { x: [3, 2, 2, 4], params: [1] },
    ];

    it("the FusedBatchNorm gradient equals tfjs's own gradient function and finite differences", () => {
      const next = random(10);
      for (const c of cases) {
        tf.tidy(() => {
          const x = uniform(c.x, next);
          const mean = uniform(c.params, next);
          const variance = tf.add(tf.abs(uniform(c.params, next)), 0.5);
          const offset = uniform(c.params, next);
          const scale = uniform(c.params, next);
          const weights = uniform(c.x, next);
          const norm = (xv: Tensor, m: Tensor, v: Tensor, o: Tensor, s: Tensor): Tensor => tf.batchNorm(xv, m, v, o, s, 1e-3);
          const ours = tf.grads((...args: Tensor[]) => tf.sum(tf.mul(norm(args[0]!, args[1]!, args[2]!, args[3]!, args[4]!), weights)))([x, mean, variance, offset, scale]);
          if (c.params.length === 1) {
            // tfjs's gradient function, called directly on the same saved tensors.
            const x4 = tf.reshape(x, c.x.length === 4 ? c.x : [1, 1, c.x[0]!, c.x[1]!]);
            const dy4 = tf.reshape(weights, x4.shape);
            const reference = stock.gradients.get("FusedBatchNorm")!.gradFunc(dy4, [x4, mean, variance, scale], { varianceEpsilon: 1e-3 }) as Record<string, () => Tensor>;
            const names = ["x", "mean", "variance", "offset", "scale"];
            ours.forEach((g, i) => {
              const expected = tf.reshape(reference[names[i]!]!(), g.shape);
              expect(relativeError(g.dataSync(), expected.dataSync()), `${JSON.stringify(c)} d${names[i]}`).toBeLessThan(KERNEL_TOLERANCE);
            });
          }
          expect(finiteDifferenceError((v) => norm(v, mean, variance, offset, scale), weights, x, next, 0.05)).toBeLessThan(FINITE_DIFFERENCE_TOLERANCE);
          expect(finiteDifferenceError((v) => norm(x, mean, v, offset, scale), weights, variance, next, 0.01)).toBeLessThan(FINITE_DIFFERENCE_TOLERANCE);
        });
      }
    });

    it("a batch-norm layer in training mode (moments included) matches finite differences", () => {
      const next = random(11);
      tf.tidy(() => {
        const x = uniform([4, 3, 3, 6], next);
        const weights = uniform([4, 3, 3, 6], next);
        const gamma = uniform([6], next);
        const beta = uniform([6], next);
        const layer = (v: Tensor): Tensor => {
          const { mean, variance } = tf.moments(v, [0, 1, 2]);
          return tf.batchNorm(v, mean, variance, beta, gamma, 1e-5);
        };
        expect(finiteDifferenceError(layer, weights, x, next, 0.01)).toBeLessThan(FINITE_DIFFERENCE_TOLERANCE);
      });
    });

    it("the fused training batch norm equals tfjs's moments and batchNorm, and so do its gradients (through the statistics too), which match finite differences", () => {
      const next = random(13);
      for (const shape of [[4, 3, 3, 6], [6, 5], [2, 3, 4, 7], [3, 2, 2, 1]]) {
        tf.tidy(() => {
          const C = shape[shape.length - 1]!;
          const axes = shape.slice(0, -1).map((_, i) => i);
          // A mean away from zero, as activations have, checks the one-pass variance.
          const x = tf.add(uniform(shape, next), 0.7);
          const gamma = uniform([C], next);
          const beta = uniform([C], next);
          const weights = uniform(shape, next);
          const meanWeights = uniform([C], next);
          const varianceWeights = uniform([C], next);
          const composed = (v: Tensor, g: Tensor, b: Tensor): Tensor[] => {
            const { mean, variance } = tf.moments(v, axes);
            return [tf.batchNorm(v, mean, variance, b, g, 1e-3), mean, variance];
          };
          const fused = (v: Tensor, g: Tensor, b: Tensor): Tensor[] => tf.engine().runKernel(BATCH_NORM_TRAINING, { x: v, scale: g, offset: b }, { varianceEpsilon: 1e-3 }) as Tensor[];
          const label = JSON.stringify(shape);
          const ours = fused(x, gamma, beta);
          composed(x, gamma, beta).forEach((expected, i) => expect(relativeError(ours[i]!.dataSync(), expected.dataSync()), `${label} output ${i}`).toBeLessThan(KERNEL_TOLERANCE));
          // The loss reaches the batch statistics too, so their gradients are checked as well as y's.
          const loss = (f: typeof fused) => (v: Tensor, g: Tensor, b: Tensor): Tensor => {
            const [y, mean, variance] = f(v, g, b);
            return tf.addN([tf.sum(tf.mul(y!, weights)), tf.sum(tf.mul(mean!, meanWeights)), tf.sum(tf.mul(variance!, varianceWeights))]);
          };
          const expected = tf.grads(loss(composed))([x, gamma, beta]);
          tf.grads(loss(fused))([x, gamma, beta]).forEach((g, i) => expect(relativeError(g.dataSync(), expected[i]!.dataSync()), `${label} gradient ${i}`).toBeLessThan(KERNEL_TOLERANCE));
          expect(finiteDifferenceError((v) => fused(v, gamma, beta)[0]!, weights, x, next, 0.01), label).toBeLessThan(FINITE_DIFFERENCE_TOLERANCE);
        });
      }
    });

    it("a batch-norm layer in training runs the fused kernel and keeps the same output and moving statistics as tfjs-layers' own call", async () => {
      const next = random(14);
      const x = tf.add(uniform([4, 5, 5, 8], next), 0.5);
      const make = (): LayersModel => {
        const model = tf.sequential({ layers: [tf.layers.batchNormalization({ inputShape: [5, 5, 8], momentum: 0.9, epsilon: 1e-3 })] });
        const [gamma, beta] = [uniform([8], next), uniform([8], next)];
        model.layers[0]!.setWeights([gamma, beta, uniform([8], next), tf.add(tf.abs(uniform([8], next)), 0.5)]);
        return model;
      };
      const fusedModel = make();
      const plainModel = make();
      plainModel.layers[0]!.setWeights(fusedModel.layers[0]!.getWeights());
      const layer = plainModel.layers[0]! as unknown as { call: (...args: unknown[]) => unknown };
      const original = (Object.getPrototypeOf(layer) as Record<symbol, (...args: unknown[]) => unknown>)[Symbol.for("cnnc.fusedBatchNorm")]!;
      expect(original).toBeTypeOf("function");
      layer.call = (...args: unknown[]) => original.apply(layer, args);
      const profile = await tf.profile(() => tf.dispose(fusedModel.apply(x, { training: true }) as Tensor));
      expect(profile.kernels.map((k) => k.name)).toContain(BATCH_NORM_TRAINING);
      const y = fusedModel.apply(x, { training: true }) as Tensor;
      const reference = plainModel.apply(x, { training: true }) as Tensor;
      tf.dispose(plainModel.apply(x, { training: true }) as Tensor);
      expect(relativeError(y.dataSync(), reference.dataSync())).toBeLessThan(KERNEL_TOLERANCE);
      const fusedWeights = fusedModel.layers[0]!.getWeights();
      plainModel.layers[0]!.getWeights().forEach((w, i) => expect(relativeError(fusedWeights[i]!.dataSync(), w.dataSync()), `weight ${i}`).toBeLessThan(KERNEL_TOLERANCE));
      tf.dispose([x, y, reference]);
      fusedModel.dispose();
      plainModel.dispose();
    });
  });

  describe("reductions and slices", () => {
    it("the gradients of Mean and Sum equal tfjs's own gradient functions", () => {
      const next = random(12);
      const axesCases: (number | number[] | undefined)[] = [[0, 1, 2], [1, 2], 3, -1, 0, [0, 3], undefined];
      for (const axis of axesCases) {
        for (const name of ["Mean", "Sum"] as const) {
          tf.tidy(() => {
            const x = uniform([2, 3, 4, 5], next);
            const reduce = (v: Tensor): Tensor => (name === "Mean" ? tf.mean(v, axis) : tf.sum(v, axis));
            const weights = uniform(reduce(x).shape, next);
            const ours = tf.grad((v: Tensor) => tf.sum(tf.mul(reduce(v), weights)))(x);
            const reference = stock.gradients.get(name)!.gradFunc(weights, [x], { axis: axis ?? [0, 1, 2, 3] }) as Record<string, () => Tensor>;
            expect(relativeError(ours.dataSync(), reference.x!().dataSync()), `${name} over ${JSON.stringify(axis)}`).toBeLessThan(KERNEL_TOLERANCE);
          });
        }
      }
    });

    it("Sum, Mean and FusedBatchNorm equal tfjs's cpu kernels", () => {
      const next = random(15);
      const reductions: [number[], number | number[], boolean][] = [
        [[2, 3, 4, 5], [0, 1, 2], false],
        [[2, 3, 4, 5], [0, 1, 2], true],
        [[2, 3, 4, 5], 0, false],
        [[2, 3, 4, 5], [1, 2], false],
        [[2, 3, 4, 5], -1, true],
        [[6, 7], [0, 1], false],
        [[9], 0, false],
      ];
      for (const [shape, axis, keepDims] of reductions) {
        for (const kernel of ["Sum", "Mean"]) {
          tf.tidy(() => {
            const x = uniform(shape, next);
            const label = `${kernel} ${JSON.stringify({ shape, axis, keepDims })}`;
            expect(relativeError(runKernel(kernel, { x }, { axis, keepDims }), runStock(kernel, { x }, { axis, keepDims })), label).toBeLessThan(KERNEL_TOLERANCE);
          });
        }
      }
      for (const params of [[5], [1, 1, 1, 5], [1]]) {
        tf.tidy(() => {
          const x = uniform([2, 3, 4, 5], next);
          const inputs = { x, mean: uniform(params, next), variance: tf.add(tf.abs(uniform(params, next)), 0.1), offset: uniform(params, next), scale: uniform(params, next) };
          expect(relativeError(runKernel("FusedBatchNorm", inputs, { varianceEpsilon: 1e-3 }), runStock("FusedBatchNorm", inputs, { varianceEpsilon: 1e-3 })), JSON.stringify(params)).toBeLessThan(KERNEL_TOLERANCE);
        });
      }
    });

    it("BatchMatMul and _FusedMatMul with transposed operands (dense and 1×1 conv gradients) equal tfjs's cpu kernels", () => {
      const next = random(16);
      for (const [batch, m, k, n] of [[1, 6, 7, 5], [1, 50, 33, 17], [3, 4, 9, 2], [1, 1, 1, 1]]) {
        for (const [transposeA, transposeB] of [[false, false], [true, false], [false, true], [true, true]]) {
          tf.tidy(() => {
            const a = uniform(transposeA ? [batch, k, m] : [batch, m, k], next);
            const b = uniform(transposeB ? [batch, n, k] : [batch, k, n], next);
            const attrs = { transposeA, transposeB };
            const label = JSON.stringify({ batch, m, k, n, transposeA, transposeB });
            expect(relativeError(runKernel("BatchMatMul", { a, b }, attrs), runStock("BatchMatMul", { a, b }, attrs)), label).toBeLessThan(KERNEL_TOLERANCE);
            if (batch === 1) {
              const bias = uniform([n], next);
              const fused = { ...attrs, activation: "relu" };
              expect(relativeError(runKernel("_FusedMatMul", { a, b, bias }, fused), runStock("_FusedMatMul", { a, b, bias }, fused)), label).toBeLessThan(KERNEL_TOLERANCE);
            }
          });
        }
      }
    });

    it("Slice equals tfjs's cpu kernel", () => {
      const next = random(13);
      const shapes = [[7], [4, 6], [3, 5, 4], [2, 5, 6, 3], [3, 4, 4, 5]];
      for (const shape of shapes) {
        for (let trial = 0; trial < 8; trial++) {
          tf.tidy(() => {
            const x = uniform(shape, next);
            const begin = shape.map((d) => Math.floor(next() * d));
            const size = shape.map((d, i) => (trial === 0 ? -1 : 1 + Math.floor(next() * (d - begin[i]!))));
            const attrs = { begin, size };
            expect(runKernel("Slice", { x }, attrs), JSON.stringify({ shape, attrs })).toEqual(runStock("Slice", { x }, attrs));
          });
        }
      }
    });
  });
});

// tfjs's cpu backend also runs its forward convolutions, matrix products and elementwise
// arithmetic through generic index arithmetic; cnnc replaces them.
describe("cnnc's forward kernels on cpu", () => {
  beforeAll(() => useBackend("cpu"));
  const cases = convCases();
  const depthwise = depthwiseCases();
  const attrs = (c: ConvCase): NamedAttrMap => ({ strides: c.strides, pad: c.pad, dilations: c.dilations });

it("the JavaScript Conv2D and FusedConv2D equal tfjs's cpu kernels", () => {
    const next = random(3);
    const activations = ["linear", "relu", "relu6", "elu", "sigmoid", "leakyrelu", "prelu"];
    const bad = failures(
      cases.filter(undilated),
      (c) =>
        tf.tidy(() => {
          const x = uniform(c.input, next);
          const filter = uniform(c.filter, next);
          const bias = uniform([c.filter[3]], next);
          const preluActivationWeights = uniform([c.filter[3]], next);
          const activation = activations[Math.floor(next() * activations.length)]!;
          const fused = { ...convAttrs(c), activation, leakyreluAlpha: 0.3 };
          return Math.max(
            relativeError(runKernel("Conv2D", { x, filter }, convAttrs(c)), runStock("Conv2D", { x, filter }, convAttrs(c))),
            relativeError(runKernel("FusedConv2D", { x, filter, bias, preluActivationWeights }, fused), runStock("FusedConv2D", { x, filter, bias, preluActivationWeights }, fused)),
          );
        }),
      KERNEL_TOLERANCE,
    );
    expect(bad).toEqual([]);
  });

it("the JavaScript DepthwiseConv2dNative equals tfjs's cpu kernel", () => {
    const next = random(6);
    const bad = failures(
      depthwise.filter(undilated),
      (c) =>
        tf.tidy(() => {
          const x = uniform(c.input, next);
          const filter = uniform(c.filter, next);
          return relativeError(runKernel("DepthwiseConv2dNative", { x, filter }, attrs(c)), runStock("DepthwiseConv2dNative", { x, filter }, attrs(c)));
        }),
      KERNEL_TOLERANCE,
    );
    expect(bad).toEqual([]);
  });
  it("elementwise arithmetic, matrix products and padding equal tfjs's cpu kernels", () => {
    const next = random(16);
    const pairs: [number[], number[]][] = [
      [[2, 3, 4, 5], [2, 3, 4, 5]],
      [[2, 3, 4, 5], [5]],
      [[5], [2, 3, 4, 5]],
      [[2, 3, 4, 5], [4, 5]],
      [[2, 3, 4, 5], []],
      [[], [3, 2]],
      [[2, 3, 4, 5], [3, 1, 5]],
    ];
    for (const [sa, sb] of pairs) {
      for (const kernel of ["Add", "Sub", "Multiply", "RealDiv"]) {
        tf.tidy(() => {
          const a = uniform(sa, next);
          const b = tf.add(uniform(sb, next), 2);
          expect(relativeError(runKernel(kernel, { a, b }, {}), runStock(kernel, { a, b }, {})), `${kernel} ${JSON.stringify([sa, sb])}`).toBeLessThan(KERNEL_TOLERANCE);
        });
      }
    }
    for (const kernel of ["Relu", "Square", "Step"]) {
      tf.tidy(() => {
        const x = uniform([3, 4, 5], next);
        expect(relativeError(runKernel(kernel, { x }, { alpha: 0.25 }), runStock(kernel, { x }, { alpha: 0.25 })), kernel).toBeLessThan(KERNEL_TOLERANCE);
      });
    }
    for (const [m, k, n] of [[6, 7, 5], [64, 400, 120], [3, 1, 2]]) {
      for (const [transposeA, transposeB] of [[false, false], [true, false], [false, true], [true, true]]) {
        tf.tidy(() => {
          const a = uniform(transposeA ? [1, k, m] : [1, m, k], next);
          const b = uniform(transposeB ? [1, n, k] : [1, k, n], next);
          const bias = uniform([n], next);
          const attrs = { transposeA, transposeB };
          const label = JSON.stringify({ m, k, n, transposeA, transposeB });
          expect(relativeError(runKernel("BatchMatMul", { a, b }, attrs), runStock("BatchMatMul", { a, b }, attrs)), label).toBeLessThan(KERNEL_TOLERANCE);
          const fused = { ...attrs, activation: "relu" };
          expect(relativeError(runKernel("_FusedMatMul", { a, b, bias }, fused), runStock("_FusedMatMul", { a, b, bias }, fused)), label).toBeLessThan(KERNEL_TOLERANCE);
        });
      }
    }
    for (const [shape, paddings] of [
      [[2, 5, 6, 3], [[0, 0], [1, 1], [0, 2], [0, 0]]],
      [[4, 3], [[1, 0], [2, 3]]],
      [[2, 3, 4], [[0, 1], [1, 0], [2, 2]]],
    ] as [number[], [number, number][]][]) {
      tf.tidy(() => {
        const x = uniform(shape, next);
        expect(runKernel("PadV2", { x }, { paddings, constantValue: 0.5 }), JSON.stringify(paddings)).toEqual(runStock("PadV2", { x }, { paddings, constantValue: 0.5 }));
      });
    }
  });
});

describe("wasm's forward convolutions under cnnc", () => {
  beforeAll(() => useBackend("wasm"));
  const cases = convCases();

it("forward convolutions equal tfjs's cpu kernels, also where XNNPACK's own same padding fails", () => {
    const next = random(14);
    const extra: ConvCase[] = [{ input: [2, 9, 7, 3], filter: [2, 3, 3, 4], strides: [3, 3], dilations: [1, 1], pad: "same" }];
    const bad = failures(
      [...cases.filter(undilated), ...extra],
      (c) =>
        tf.tidy(() => {
          const x = uniform(c.input, next);
          const filter = uniform(c.filter, next);
          const depthwiseFilter = uniform([c.filter[0], c.filter[1], c.input[3], 2], next);
          const depthwise = { strides: c.strides, pad: c.pad, dilations: c.dilations };
          return Math.max(
            relativeError(runKernel("Conv2D", { x, filter }, convAttrs(c)), runStock("Conv2D", { x, filter }, convAttrs(c))),
            relativeError(runKernel("DepthwiseConv2dNative", { x, filter: depthwiseFilter }, depthwise), runStock("DepthwiseConv2dNative", { x, filter: depthwiseFilter }, depthwise)),
          );
        }),
      KERNEL_TOLERANCE,
    );
    expect(bad).toEqual([]);
  });
});

describe("wasm's filter gradient in tiles of output rows", () => {
  beforeAll(() => useBackend("wasm"));

  it("sums its tiles to the whole product, which equals tfjs's cpu kernel where that handles the case", () => {
    const next = random(15);
    const cases: ConvCase[] = [
      { input: [3, 11, 9, 3], filter: [7, 7, 3, 4], strides: [2, 2], dilations: [1, 1], pad: [[0, 0], [3, 3], [3, 3], [0, 0]] },
      { input: [3, 9, 10, 5], filter: [3, 3, 5, 6], strides: [2, 2], dilations: [2, 2], pad: [[0, 0], [1, 2], [2, 1], [0, 0]] },
      { input: [2, 8, 8, 4], filter: [3, 3, 4, 6], strides: [1, 1], dilations: [1, 1], pad: "same" },
      { input: [2, 7, 9, 3], filter: [2, 3, 3, 5], strides: [2, 1], dilations: [1, 1], pad: "valid" },
    ];
    const bad = failures(
      cases,
      (c) =>
        tf.tidy(() => {
          const x = uniform(c.input, next);
          const w = uniform(c.filter, next);
          const dy = uniform((tf.engine().runKernel("Conv2D", { x, filter: w }, convAttrs(c)) as Tensor).shape, next);
          const ctx = kernelContext(tf, "wasm", tf.backend());
          const g = convGeometry(tf, c.input, c.filter, c.strides, c.dilations, c.pad, undefined);
          const filterGradient = (tileBytes?: number): Float32Array => {
            const dw = im2colFilterGradient(ctx, x, dy, g, tileBytes);
            const values = Float32Array.from(ctx.data(dw));
            ctx.dispose(dw);
            return values;
          };
          const rowBytes = 4 * g.kH * g.kW * g.inC * g.outW;
          const whole = filterGradient();
          const errors = [relativeError(filterGradient(rowBytes), whole), relativeError(filterGradient(2.5 * rowBytes), whole)];
          if (undilated(c)) errors.push(relativeError(whole, runStock("Conv2DBackpropFilter", { x, dy }, { ...convAttrs(c), filterShape: c.filter })));
          return Math.max(...errors);
        }),
      KERNEL_TOLERANCE,
    );
    expect(bad).toEqual([]);
  });
});

describe("wasm's stride-1 filter gradient over views of x's padded channel planes", () => {
  beforeAll(() => useBackend("wasm"));

  it("equals tfjs's cpu kernel and the im2col path, dilated and asymmetrically padded cases included", () => {
    const next = random(16);
    const cases: ConvCase[] = [
      { input: [3, 12, 10, 8], filter: [3, 3, 8, 5], strides: [1, 1], dilations: [1, 1], pad: "same" },
      { input: [2, 9, 11, 9], filter: [5, 3, 9, 4], strides: [1, 1], dilations: [1, 1], pad: [[0, 0], [1, 3], [0, 2], [0, 0]] },
      { input: [2, 10, 10, 8], filter: [3, 3, 8, 6], strides: [1, 1], dilations: [2, 2], pad: "same" },
      { input: [1, 8, 7, 12], filter: [2, 2, 12, 3], strides: [1, 1], dilations: [1, 1], pad: "valid" },
    ];
    const bad = failures(
      cases,
      (c) =>
        tf.tidy(() => {
          const x = uniform(c.input, next);
          const w = uniform(c.filter, next);
          const dy = uniform((tf.engine().runKernel("Conv2D", { x, filter: w }, convAttrs(c)) as Tensor).shape, next);
          const ctx = kernelContext(tf, "wasm", tf.backend());
          const g = convGeometry(tf, c.input, c.filter, c.strides, c.dilations, c.pad, undefined);
          // Whatever the waste rule decides for production, the path itself must be right everywhere it applies.
          expect(shiftedFits(g, Infinity), describeCase(c)).toBe(true);
          const values = (dw: TensorInfo): Float32Array => {
            const copy = Float32Array.from(ctx.data(dw));
            ctx.dispose(dw);
            return copy;
          };
          const shifted = values(shiftedFilterGradient(ctx, x, dy, g));
          const errors = [relativeError(shifted, values(im2colFilterGradient(ctx, x, dy, g)))];
          if (undilated(c)) errors.push(relativeError(shifted, runStock("Conv2DBackpropFilter", { x, dy }, { ...convAttrs(c), filterShape: c.filter })));
          return Math.max(...errors);
        }),
      KERNEL_TOLERANCE,
    );
    expect(bad).toEqual([]);
  });
});
