// The batch-norm backward pass in one sweep over x and dy. tfjs's gradient for
// FusedBatchNorm builds it from a dozen full-size elementwise ops, one of them a Tile of
// the inverse standard deviation to the input's size, which alone took ≈ 50 ms per
// ResNet-20 layer on wasm. Here every derivative comes from one loop.

import type { KernelBackend, KernelConfig, TensorInfo } from "@tensorflow/tfjs";
import type { Tf } from "../runtime/tf.js";
import { kernelContext, type TrainingBackendName } from "./context.js";
import { scaleColumns } from "./elementwise.js";

export const BATCH_NORM_GRAD = "CnncFusedBatchNormGrad";

/**
 * With r = 1/√(variance + ε) and g = scale (1 when absent), per channel c summing over
 * every other position: dx = dy·g·r, dmean = −Σ dy·g·r, dvariance = −½ Σ dy·g·(x − mean)·r³,
 * dscale = Σ dy·(x − mean)·r, doffset = Σ dy.
 */
export function batchNormGradKernel(tf: Tf, backendName: TrainingBackendName): KernelConfig {
  return {
    kernelName: BATCH_NORM_GRAD,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const ctx = kernelContext(tf, backendName, backend as KernelBackend);
      const { dy, x, mean, variance, scale } = inputs as Record<string, TensorInfo>;
      const epsilon = (attrs as { varianceEpsilon: number }).varianceEpsilon;
      const channels = x!.shape[x!.shape.length - 1]!;
      const paramShape = mean!.shape;
      const dx = ctx.alloc(x!.shape);
      const outputs = [dx, ctx.alloc(paramShape), ctx.alloc(paramShape), ctx.alloc(paramShape), ctx.alloc(paramShape)];
      const [dxv, dmean, dvariance, dscale, doffset] = outputs.map((o) => ctx.data(o)) as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
      const xv = ctx.data(x!);
      const dyv = ctx.data(dy!);
      const mv = ctx.data(mean!);
      const vv = ctx.data(variance!);
      const sv = scale === undefined ? new Float32Array([1]) : ctx.data(scale);
      const at = (values: Float32Array, c: number): number => (values.length === 1 ? values[0]! : values[c]!);
      const r = new Float64Array(channels);
      const m = new Float64Array(channels);
      const g = new Float64Array(channels);
      for (let c = 0; c < channels; c++) {
        r[c] = 1 / Math.sqrt(at(vv, c) + epsilon);
        m[c] = at(mv, c);
        g[c] = at(sv, c);
      }
      const sumDy = new Float64Array(channels);
      const sumDyCentered = new Float64Array(channels);
      backwardSweep(xv, dyv, dxv, channels, g, r, m, sumDy, sumDyCentered);
      const fold = (target: Float32Array, value: (c: number) => number): void => {
        if (target.length === 1) {
          let total = 0;
          for (let c = 0; c < channels; c++) total += value(c);
          target[0] = total;
        } else for (let c = 0; c < channels; c++) target[c] = value(c);
      };
      fold(dmean, (c) => -sumDy[c]! * g[c]! * r[c]!);
      fold(dvariance, (c) => -0.5 * sumDyCentered[c]! * g[c]! * r[c]! ** 3);
      fold(dscale, (c) => sumDyCentered[c]! * r[c]!);
      fold(doffset, (c) => sumDy[c]!);
      return outputs;
    },
  };
}

/**
 * For x and dy laid out [pixels, C]: dx = dy·g·r per channel, and the per-channel sums
 * Σ dy and Σ dy·(x − m). Four channels at a time with the sums in locals (≈ 3× faster in
 * V8 than accumulating into arrays).
 */
function backwardSweep(x: Float32Array, dy: Float32Array, dx: Float32Array, C: number, g: Float64Array, r: Float64Array, m: Float64Array, sumDy: Float64Array, sumDyCentered: Float64Array): void {
  const n = x.length;
  let c = 0;
  for (; c + 4 <= C; c += 4) {
    const k0 = g[c]! * r[c]!, k1 = g[c + 1]! * r[c + 1]!, k2 = g[c + 2]! * r[c + 2]!, k3 = g[c + 3]! * r[c + 3]!;
    const m0 = m[c]!, m1 = m[c + 1]!, m2 = m[c + 2]!, m3 = m[c + 3]!;
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
    for (let o = c; o < n; o += C) {
      const d0 = dy[o]!, d1 = dy[o + 1]!, d2 = dy[o + 2]!, d3 = dy[o + 3]!;
      dx[o] = d0 * k0;
      dx[o + 1] = d1 * k1;
      dx[o + 2] = d2 * k2;
      dx[o + 3] = d3 * k3;
      a0 += d0;
      a1 += d1;
      a2 += d2;
      a3 += d3;
      b0 += d0 * (x[o]! - m0);
      b1 += d1 * (x[o + 1]! - m1);
      b2 += d2 * (x[o + 2]! - m2);
      b3 += d3 * (x[o + 3]! - m3);
    }
    sumDy[c] = a0;
    sumDy[c + 1] = a1;
    sumDy[c + 2] = a2;
    sumDy[c + 3] = a3;
    sumDyCentered[c] = b0;
    sumDyCentered[c + 1] = b1;
    sumDyCentered[c + 2] = b2;
    sumDyCentered[c + 3] = b3;
  }
  for (; c < C; c++) {
    const k = g[c]! * r[c]!;
    const mc = m[c]!;
    let a = 0;
    let b = 0;
    for (let o = c; o < n; o += C) {
      const d = dy[o]!;
      dx[o] = d * k;
      a += d;
      b += d * (x[o]! - mc);
    }
    sumDy[c] = a;
    sumDyCentered[c] = b;
  }
}

// Batch normalisation in training, fused. tfjs-layers normalises a training batch with
// tf.moments and tf.batchNorm: a Mean, a broadcast Sub, a Square and another Mean forward
// (tfjs-wasm's broadcast Sub is generic index arithmetic), and their gradients backward,
// each a full-size pass of its own. These two kernels do it in two passes each way:
// forward the per-channel moments, then the normalisation; backward the per-channel sums,
// then dx. batchnorm-layer.ts routes the layer's training call through them.

export const BATCH_NORM_TRAINING = "CnncBatchNormTraining";
export const BATCH_NORM_TRAINING_GRAD = "CnncBatchNormTrainingGrad";

/**
 * y = (x − mean)·scale/√(variance + ε) + offset over the last axis, with the mean and the
 * (biased) variance of x per channel, which it also returns: [y, mean, variance].
 */
export function batchNormTrainingKernel(tf: Tf, backendName: TrainingBackendName): KernelConfig {
  return {
    kernelName: BATCH_NORM_TRAINING,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const ctx = kernelContext(tf, backendName, backend as KernelBackend);
      const { x, scale, offset } = inputs as Record<string, TensorInfo>;
      const epsilon = (attrs as { varianceEpsilon: number }).varianceEpsilon;
      const channels = x!.shape[x!.shape.length - 1]!;
      const outputs = [ctx.alloc(x!.shape), ctx.alloc([channels]), ctx.alloc([channels])];
      const xv = ctx.data(x!);
      const mean = new Float64Array(channels);
      const variance = new Float64Array(channels);
      columnMoments(xv, channels, mean, variance);
      const gamma = ctx.data(scale!);
      const beta = ctx.data(offset!);
      const factor = new Float32Array(channels);
      const shift = new Float32Array(channels);
      for (let c = 0; c < channels; c++) {
        factor[c] = gamma[c]! / Math.sqrt(variance[c]! + epsilon);
        shift[c] = beta[c]! - mean[c]! * factor[c]!;
      }
      scaleColumns(xv, ctx.data(outputs[0]!), channels, factor, shift);
      ctx.data(outputs[1]!).set(mean);
      ctx.data(outputs[2]!).set(variance);
      return outputs;
    },
  };
}

/**
 * The gradient of batchNormTrainingKernel's three outputs: with r = 1/√(variance + ε),
 * k = scale·r, N values per channel, S₁ = Σ dy and S₂ = Σ dy·(x − mean),
 *   dx = k·dy + A + B·(x − mean),  A = (dmean − k·S₁)/N,  B = (2·dvariance − k·r²·S₂)/N,
 *   dscale = r·S₂,  doffset = S₁.
 * (dmean and dvariance are zero when only y reaches the loss, as in a layer.)
 */
export function batchNormTrainingGradKernel(tf: Tf, backendName: TrainingBackendName): KernelConfig {
  return {
    kernelName: BATCH_NORM_TRAINING_GRAD,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const ctx = kernelContext(tf, backendName, backend as KernelBackend);
      const { dy, x, mean, variance, scale, dmean, dvariance } = inputs as Record<string, TensorInfo>;
      const epsilon = (attrs as { varianceEpsilon: number }).varianceEpsilon;
      const channels = x!.shape[x!.shape.length - 1]!;
      const count = x!.shape.reduce((a, b) => a * b, 1) / channels;
      const outputs = [ctx.alloc(x!.shape), ctx.alloc([channels]), ctx.alloc([channels])];
      const xv = ctx.data(x!);
      const dyv = ctx.data(dy!);
      const mv = ctx.data(mean!);
      const vv = ctx.data(variance!);
      const gamma = ctx.data(scale!);
      const dm = ctx.data(dmean!);
      const dv = ctx.data(dvariance!);
      const m = Float64Array.from(mv);
      const sumDy = new Float64Array(channels);
      const sumDyCentered = new Float64Array(channels);
      gradientSums(xv, dyv, channels, m, sumDy, sumDyCentered);
      const k = new Float64Array(channels);
      const a = new Float64Array(channels);
      const b = new Float64Array(channels);
      const dscale = ctx.data(outputs[1]!);
      const doffset = ctx.data(outputs[2]!);
      for (let c = 0; c < channels; c++) {
        const r = 1 / Math.sqrt(vv[c]! + epsilon);
        k[c] = gamma[c]! * r;
        a[c] = (dm[c]! - k[c]! * sumDy[c]!) / count;
        b[c] = (2 * dv[c]! - k[c]! * r * r * sumDyCentered[c]!) / count;
        dscale[c] = r * sumDyCentered[c]!;
        doffset[c] = sumDy[c]!;
      }
      // dx = k·dy + b·x + (a − b·mean)
      for (let c = 0; c < channels; c++) a[c] = a[c]! - b[c]! * m[c]!;
      linearColumns(dyv, xv, ctx.data(outputs[0]!), channels, k, b, a);
      return outputs;
    },
  };
}

/** Per-channel mean and biased variance of x laid out [pixels, C], in float64 (one pass: Σx and Σx²). */
export function columnMoments(x: Float32Array, C: number, mean: Float64Array, variance: Float64Array): void {
  const n = x.length;
  const count = n / C;
  let c = 0;
  for (; c + 4 <= C; c += 4) {
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, q0 = 0, q1 = 0, q2 = 0, q3 = 0;
    for (let o = c; o < n; o += C) {
      const x0 = x[o]!, x1 = x[o + 1]!, x2 = x[o + 2]!, x3 = x[o + 3]!;
      s0 += x0; s1 += x1; s2 += x2; s3 += x3;
      q0 += x0 * x0; q1 += x1 * x1; q2 += x2 * x2; q3 += x3 * x3;
    }
    const sums = [s0, s1, s2, s3];
    const squares = [q0, q1, q2, q3];
    for (let j = 0; j < 4; j++) {
      mean[c + j] = sums[j]! / count;
      variance[c + j] = Math.max(squares[j]! / count - mean[c + j]! * mean[c + j]!, 0);
    }
  }
  for (; c < C; c++) {
    let s = 0;
    let q = 0;
    for (let o = c; o < n; o += C) {
      const v = x[o]!;
      s += v;
      q += v * v;
    }
    mean[c] = s / count;
    variance[c] = Math.max(q / count - mean[c]! * mean[c]!, 0);
  }
}

/** Per-channel Σ dy and Σ dy·(x − m) for x and dy laid out [pixels, C]. */
function gradientSums(x: Float32Array, dy: Float32Array, C: number, m: Float64Array, sumDy: Float64Array, sumDyCentered: Float64Array): void {
  const n = x.length;
  let c = 0;
  for (; c + 4 <= C; c += 4) {
    const m0 = m[c]!, m1 = m[c + 1]!, m2 = m[c + 2]!, m3 = m[c + 3]!;
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
    for (let o = c; o < n; o += C) {
      const d0 = dy[o]!, d1 = dy[o + 1]!, d2 = dy[o + 2]!, d3 = dy[o + 3]!;
      a0 += d0; a1 += d1; a2 += d2; a3 += d3;
      b0 += d0 * (x[o]! - m0); b1 += d1 * (x[o + 1]! - m1); b2 += d2 * (x[o + 2]! - m2); b3 += d3 * (x[o + 3]! - m3);
    }
    sumDy[c] = a0; sumDy[c + 1] = a1; sumDy[c + 2] = a2; sumDy[c + 3] = a3;
    sumDyCentered[c] = b0; sumDyCentered[c + 1] = b1; sumDyCentered[c + 2] = b2; sumDyCentered[c + 3] = b3;
  }
  for (; c < C; c++) {
    const mc = m[c]!;
    let a = 0;
    let b = 0;
    for (let o = c; o < n; o += C) {
      const d = dy[o]!;
      a += d;
      b += d * (x[o]! - mc);
    }
    sumDy[c] = a;
    sumDyCentered[c] = b;
  }
}

/** out[p, c] = u[p, c]·f[c] + v[p, c]·g[c] + h[c], four channels at a time. */
function linearColumns(u: Float32Array, v: Float32Array, out: Float32Array, C: number, f: Float64Array, g: Float64Array, h: Float64Array): void {
  const n = u.length;
  let c = 0;
  for (; c + 4 <= C; c += 4) {
    const f0 = f[c]!, f1 = f[c + 1]!, f2 = f[c + 2]!, f3 = f[c + 3]!;
    const g0 = g[c]!, g1 = g[c + 1]!, g2 = g[c + 2]!, g3 = g[c + 3]!;
    const h0 = h[c]!, h1 = h[c + 1]!, h2 = h[c + 2]!, h3 = h[c + 3]!;
    for (let o = c; o < n; o += C) {
      out[o] = u[o]! * f0 + v[o]! * g0 + h0;
      out[o + 1] = u[o + 1]! * f1 + v[o + 1]! * g1 + h1;
      out[o + 2] = u[o + 2]! * f2 + v[o + 2]! * g2 + h2;
      out[o + 3] = u[o + 3]! * f3 + v[o + 3]! * g3 + h3;
    }
  }
  for (; c < C; c++) {
    const fc = f[c]!, gc = g[c]!, hc = h[c]!;
    for (let o = c; o < n; o += C) out[o] = u[o]! * fc + v[o]! * gc + hc;
  }
}
