// The small kernels a training step runs hundreds of times. tfjs's cpu backend computes
// them through generic index arithmetic (an Add of 1M floats took 17 ms, a Mean over the
// batch and spatial axes 73 ms); its wasm backend is fast at elementwise arithmetic but
// transposes before every reduction over leading axes and its FusedBatchNorm is scalar
// code. These handle the layouts training produces (same shapes, per-channel operands,
// reductions over leading axes) and hand everything else to tfjs's own kernel.
//
// The per-channel loops walk one group of four channels at a time with the sums in
// locals: V8 keeps those in registers, ≈ 3× faster than accumulating into an array.

import type { KernelBackend, KernelConfig, NamedAttrMap, TensorInfo } from "@tensorflow/tfjs";
import type { Tf } from "../runtime/tf.js";
import { kernelContext, type TrainingBackendName } from "./context.js";

type Stock = (kernelName: string) => KernelConfig | undefined;

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * How a binary op's operands line up: the same shape, or one operand repeating along the
 * leading axes of the other (a per-channel vector, a scalar). Undefined for anything else.
 */
function binaryLayout(a: number[], b: number[]): { out: number[]; period: number; repeated: "a" | "b" | "none" } | undefined {
  const rank = Math.max(a.length, b.length);
  const pa = [...Array(rank - a.length).fill(1), ...a];
  const pb = [...Array(rank - b.length).fill(1), ...b];
  if (pa.every((d, i) => d === pb[i])) return { out: pa, period: size(pa), repeated: "none" };
  const trailing = (small: number[], large: number[]): boolean => {
    let i = 0;
    while (i < rank && small[i] === 1) i++;
    return small.slice(i).every((d, j) => d === large[i + j]);
  };
  if (trailing(pb, pa)) return { out: pa, period: size(pb), repeated: "b" };
  if (trailing(pa, pb)) return { out: pb, period: size(pa), repeated: "a" };
  return undefined;
}

type BinaryOp = "Add" | "Sub" | "Multiply" | "RealDiv";

/** out[i] = a[i] op b[i mod period] (or with the roles of the repetition swapped). */
function binaryLoop(op: BinaryOp, a: Float32Array, b: Float32Array, out: Float32Array, period: number, repeated: "a" | "b" | "none"): void {
  const n = out.length;
  if (repeated === "none") {
    if (op === "Add") for (let i = 0; i < n; i++) out[i] = a[i]! + b[i]!;
    else if (op === "Sub") for (let i = 0; i < n; i++) out[i] = a[i]! - b[i]!;
    else if (op === "Multiply") for (let i = 0; i < n; i++) out[i] = a[i]! * b[i]!;
    else for (let i = 0; i < n; i++) out[i] = a[i]! / b[i]!;
    return;
  }
  const full = repeated === "b" ? a : b;
  const part = repeated === "b" ? b : a;
  for (let start = 0; start < n; start += period) {
    if (op === "Add") for (let j = 0; j < period; j++) out[start + j] = full[start + j]! + part[j]!;
    else if (op === "Multiply") for (let j = 0; j < period; j++) out[start + j] = full[start + j]! * part[j]!;
    else if (op === "Sub") {
      if (repeated === "b") for (let j = 0; j < period; j++) out[start + j] = full[start + j]! - part[j]!;
      else for (let j = 0; j < period; j++) out[start + j] = part[j]! - full[start + j]!;
    } else if (repeated === "b") for (let j = 0; j < period; j++) out[start + j] = full[start + j]! / part[j]!;
    else for (let j = 0; j < period; j++) out[start + j] = part[j]! / full[start + j]!;
  }
}

function binaryKernel(tf: Tf, backendName: TrainingBackendName, op: BinaryOp, stock: KernelConfig): KernelConfig {
  return {
    kernelName: op,
    backendName,
    kernelFunc: (args) => {
      const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
      const layout = a.dtype === "float32" && b.dtype === "float32" ? binaryLayout(a.shape, b.shape) : undefined;
      if (layout === undefined) return stock.kernelFunc(args);
      const ctx = kernelContext(tf, backendName, args.backend as KernelBackend);
      const out = ctx.alloc(layout.out);
      binaryLoop(op, ctx.data(a), ctx.data(b), ctx.data(out), layout.period, layout.repeated);
      return out;
    },
  };
}

function unaryKernel(tf: Tf, backendName: TrainingBackendName, kernelName: "Relu" | "Step" | "Square", stock: KernelConfig): KernelConfig {
  return {
    kernelName,
    backendName,
    kernelFunc: (args) => {
      const x = args.inputs.x!;
      if (x.dtype !== "float32") return stock.kernelFunc(args);
      const ctx = kernelContext(tf, backendName, args.backend as KernelBackend);
      const out = ctx.alloc(x.shape);
      const input = ctx.data(x);
      const output = ctx.data(out);
      const n = input.length;
      if (kernelName === "Relu") for (let i = 0; i < n; i++) output[i] = input[i]! < 0 ? 0 : input[i]!;
      else if (kernelName === "Square") for (let i = 0; i < n; i++) output[i] = input[i]! * input[i]!;
      else {
        const alpha = (args.attrs as { alpha?: number }).alpha ?? 0;
        for (let i = 0; i < n; i++) {
          const v = input[i]!;
          output[i] = v !== v ? NaN : v > 0 ? 1 : alpha;
        }
      }
      return out;
    },
  };
}

/** sums[c] = Σ_p x[p·C + c] for x laid out [pixels, C], in float64. */
export function columnSums(x: Float32Array, columns: number, sums: Float64Array): void {
  const C = columns;
  const n = x.length;
  let c = 0;
  for (; c + 4 <= C; c += 4) {
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let o = c; o < n; o += C) {
      s0 += x[o]!;
      s1 += x[o + 1]!;
      s2 += x[o + 2]!;
      s3 += x[o + 3]!;
    }
    sums[c] = s0;
    sums[c + 1] = s1;
    sums[c + 2] = s2;
    sums[c + 3] = s3;
  }
  for (; c < C; c++) {
    let s = 0;
    for (let o = c; o < n; o += C) s += x[o]!;
    sums[c] = s;
  }
}

/** Sum and Mean over a prefix of the axes (the batch, or batch and spatial axes, or all). */
function reductionKernel(tf: Tf, backendName: TrainingBackendName, kernelName: "Sum" | "Mean", stock: KernelConfig): KernelConfig {
  return {
    kernelName,
    backendName,
    kernelFunc: (args) => {
      const x = args.inputs.x!;
      const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
      const axes = [...new Set(tf.util.parseAxisParam(axis, x.shape))].sort((p, q) => p - q);
      const prefix = axes.every((a, i) => a === i);
      if (x.dtype !== "float32" || !prefix || x.shape.length === 0) return stock.kernelFunc(args);
      const kept = x.shape.slice(axes.length);
      const columns = size(kept);
      const rows = size(x.shape) / Math.max(columns, 1);
      const ctx = kernelContext(tf, backendName, args.backend as KernelBackend);
      const out = ctx.alloc(keepDims ? [...axes.map(() => 1), ...kept] : kept);
      const sums = new Float64Array(columns);
      columnSums(ctx.data(x), columns, sums);
      const output = ctx.data(out);
      const scale = kernelName === "Mean" ? 1 / rows : 1;
      for (let c = 0; c < columns; c++) output[c] = sums[c]! * scale;
      return out;
    },
  };
}

/** out[p, c] = x[p, c]·factor[c] + shift[c], four channels at a time. */
export function scaleColumns(x: Float32Array, out: Float32Array, C: number, factor: Float32Array, shift: Float32Array): void {
  const n = x.length;
  let c = 0;
  for (; c + 4 <= C; c += 4) {
    const f0 = factor[c]!, f1 = factor[c + 1]!, f2 = factor[c + 2]!, f3 = factor[c + 3]!;
    const s0 = shift[c]!, s1 = shift[c + 1]!, s2 = shift[c + 2]!, s3 = shift[c + 3]!;
    for (let o = c; o < n; o += C) {
      out[o] = x[o]! * f0 + s0;
      out[o + 1] = x[o + 1]! * f1 + s1;
      out[o + 2] = x[o + 2]! * f2 + s2;
      out[o + 3] = x[o + 3]! * f3 + s3;
    }
  }
  for (; c < C; c++) {
    const f = factor[c]!;
    const sh = shift[c]!;
    for (let o = c; o < n; o += C) out[o] = x[o]! * f + sh;
  }
}

/**
 * FusedBatchNorm with per-channel (or scalar) parameters: out = (x − mean)·scale/√(var + ε) + offset.
 */
function batchNormKernel(tf: Tf, backendName: TrainingBackendName, stock: KernelConfig): KernelConfig {
  return {
    kernelName: "FusedBatchNorm",
    backendName,
    kernelFunc: (args) => {
      const { x, mean, variance, offset, scale } = args.inputs as Record<string, TensorInfo | undefined>;
      const channels = x!.shape[x!.shape.length - 1]!;
      const params = [mean!, variance!, offset, scale].filter((p): p is TensorInfo => p !== undefined);
      const perChannel = params.every((p) => p.dtype === "float32" && (size(p.shape) === 1 || (size(p.shape) === channels && p.shape[p.shape.length - 1] === channels)));
      if (x!.dtype !== "float32" || !perChannel) return stock.kernelFunc(args);
      const ctx = kernelContext(tf, backendName, args.backend as KernelBackend);
      const epsilon = (args.attrs as NamedAttrMap as { varianceEpsilon: number }).varianceEpsilon;
      const out = ctx.alloc(x!.shape);
      const at = (p: TensorInfo | undefined, c: number, fallback: number): number => {
        if (p === undefined) return fallback;
        const values = ctx.data(p);
        return values.length === 1 ? values[0]! : values[c]!;
      };
      const factor = new Float32Array(channels);
      const shift = new Float32Array(channels);
      for (let c = 0; c < channels; c++) {
        factor[c] = at(scale, c, 1) / Math.sqrt(at(variance, c, 0) + epsilon);
        shift[c] = at(offset, c, 0) - at(mean, c, 0) * factor[c]!;
      }
      scaleColumns(ctx.data(x!), ctx.data(out), channels, factor, shift);
      return out;
    },
  };
}

/**
 * C[M×N] = A[M×K]·B[K×N] for row-major arrays, four rows by four columns at a time.
 */
export function gemm(A: Float32Array, B: Float32Array, C: Float32Array, M: number, N: number, K: number): void {
  const rowEnd = M - (M % 4);
  const colEnd = N - (N % 4);
  for (let i = 0; i < rowEnd; i += 4) {
    const a0 = i * K, a1 = a0 + K, a2 = a1 + K, a3 = a2 + K;
    for (let j = 0; j < colEnd; j += 4) {
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      for (let k = 0, b = j; k < K; k++, b += N) {
        const w0 = B[b]!, w1 = B[b + 1]!, w2 = B[b + 2]!, w3 = B[b + 3]!;
        const x0 = A[a0 + k]!, x1 = A[a1 + k]!, x2 = A[a2 + k]!, x3 = A[a3 + k]!;
        s00 += x0 * w0; s01 += x0 * w1; s02 += x0 * w2; s03 += x0 * w3;
        s10 += x1 * w0; s11 += x1 * w1; s12 += x1 * w2; s13 += x1 * w3;
        s20 += x2 * w0; s21 += x2 * w1; s22 += x2 * w2; s23 += x2 * w3;
        s30 += x3 * w0; s31 += x3 * w1; s32 += x3 * w2; s33 += x3 * w3;
      }
      let o = i * N + j;
      C[o] = s00; C[o + 1] = s01; C[o + 2] = s02; C[o + 3] = s03; o += N;
      C[o] = s10; C[o + 1] = s11; C[o + 2] = s12; C[o + 3] = s13; o += N;
      C[o] = s20; C[o + 1] = s21; C[o + 2] = s22; C[o + 3] = s23; o += N;
      C[o] = s30; C[o + 1] = s31; C[o + 2] = s32; C[o + 3] = s33;
    }
    for (let j = colEnd; j < N; j++) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = 0, b = j; k < K; k++, b += N) {
        const w = B[b]!;
        s0 += A[a0 + k]! * w; s1 += A[a1 + k]! * w; s2 += A[a2 + k]! * w; s3 += A[a3 + k]! * w;
      }
      C[i * N + j] = s0; C[(i + 1) * N + j] = s1; C[(i + 2) * N + j] = s2; C[(i + 3) * N + j] = s3;
    }
  }
  for (let i = rowEnd; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += A[i * K + k]! * B[k * N + j]!;
      C[i * N + j] = s;
    }
  }
}

/** A row-major copy of the transpose of a rows × cols matrix. */
function transposed(m: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c]!;
  return t;
}

/** BatchMatMul and _FusedMatMul (bias, relu, linear) on cpu, for equal batch sizes. */
function matMulKernel(tf: Tf, kernelName: "BatchMatMul" | "_FusedMatMul", stock: KernelConfig): KernelConfig {
  return {
    kernelName,
    backendName: "cpu",
    kernelFunc: (args) => {
      const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
      const attrs = args.attrs as { transposeA: boolean; transposeB: boolean; activation?: string };
      const activation = attrs.activation ?? "linear";
      const rank = a!.shape.length;
      const batchA = size(a!.shape.slice(0, -2));
      const batchB = size(b!.shape.slice(0, -2));
      const simple = a!.dtype === "float32" && b!.dtype === "float32" && rank === b!.shape.length && batchA === batchB && preluActivationWeights === undefined && (activation === "linear" || activation === "relu");
      const M = attrs.transposeA ? a!.shape[rank - 1]! : a!.shape[rank - 2]!;
      const K = attrs.transposeA ? a!.shape[rank - 2]! : a!.shape[rank - 1]!;
      const N = attrs.transposeB ? b!.shape[rank - 2]! : b!.shape[rank - 1]!;
      const biasOk = bias === undefined || (bias.dtype === "float32" && (size(bias.shape) === N || size(bias.shape) === 1));
      if (!simple || !biasOk) return stock.kernelFunc(args);
      const ctx = kernelContext(tf, "cpu", args.backend as KernelBackend);
      const out = ctx.alloc([...a!.shape.slice(0, -2), M, N]);
      const A = ctx.data(a!);
      const B = ctx.data(b!);
      const C = ctx.data(out);
      for (let batch = 0; batch < batchA; batch++) {
        let left = A.subarray(batch * M * K, (batch + 1) * M * K);
        let right = B.subarray(batch * K * N, (batch + 1) * K * N);
        if (attrs.transposeA) left = transposed(left, K, M);
        if (attrs.transposeB) right = transposed(right, N, K);
        gemm(left, right, C.subarray(batch * M * N, (batch + 1) * M * N), M, N, K);
      }
      if (bias !== undefined) {
        const values = ctx.data(bias);
        for (let i = 0; i < C.length; i++) C[i] = C[i]! + (values.length === 1 ? values[0]! : values[i % N]!);
      }
      if (activation === "relu") for (let i = 0; i < C.length; i++) if (C[i]! < 0) C[i] = 0;
      return out;
    },
  };
}

/** Constant padding of a float32 tensor of rank ≤ 4 (the zero-padding layers before strided convs). */
function padKernel(tf: Tf, backendName: TrainingBackendName, stock: KernelConfig): KernelConfig {
  return {
    kernelName: "PadV2",
    backendName,
    kernelFunc: (args) => {
      const x = args.inputs.x!;
      const { paddings, constantValue } = args.attrs as { paddings: [number, number][]; constantValue: number };
      if (x.dtype !== "float32" || x.shape.length > 4 || x.shape.length === 0 || paddings.some(([p, q]) => p < 0 || q < 0)) return stock.kernelFunc(args);
      const extra = 4 - x.shape.length;
      const shape4 = [...Array(extra).fill(1), ...x.shape];
      const pads4 = [...Array(extra).fill([0, 0]), ...paddings] as [number, number][];
      const outShape = x.shape.map((d, i) => d + paddings[i]![0] + paddings[i]![1]);
      const ctx = kernelContext(tf, backendName, args.backend as KernelBackend);
      const out = ctx.alloc(outShape);
      const input = ctx.data(x);
      const output = ctx.data(out);
      output.fill(constantValue);
      const [n, h, w, c] = shape4 as [number, number, number, number];
      const [H, W, Cc] = [h + pads4[1]![0] + pads4[1]![1], w + pads4[2]![0] + pads4[2]![1], c + pads4[3]![0] + pads4[3]![1]];
      for (let b = 0; b < n; b++) {
        for (let y = 0; y < h; y++) {
          for (let xx = 0; xx < w; xx++) {
            const from = ((b * h + y) * w + xx) * c;
            const to = (((b + pads4[0]![0]) * H + y + pads4[1]![0]) * W + xx + pads4[2]![0]) * Cc + pads4[3]![0];
            output.set(input.subarray(from, from + c), to);
          }
        }
      }
      return out;
    },
  };
}

/**
 * BatchMatMul and _FusedMatMul on wasm with transposed operands: tfjs's wasm kernel takes a
 * slow path for transposeA or transposeB (≈ 10× its plain product on a 12,544 × 256 by
 * 256 × 64 product, as a 1×1 conv's or a dense layer's gradient asks for), so the operand
 * is transposed first and the plain product runs.
 */
function wasmTransposingMatMulKernel(tf: Tf, kernelName: "BatchMatMul" | "_FusedMatMul", stock: KernelConfig): KernelConfig {
  return {
    kernelName,
    backendName: "wasm",
    kernelFunc: (args) => {
      const { a, b } = args.inputs as Record<string, TensorInfo>;
      const attrs = args.attrs as { transposeA: boolean; transposeB: boolean };
      if (!attrs.transposeA && !attrs.transposeB) return stock.kernelFunc(args);
      const ctx = kernelContext(tf, "wasm", args.backend as KernelBackend);
      const swapLast = (info: TensorInfo): TensorInfo => {
        const perm = [...info.shape.keys()];
        perm.splice(-2, 2, perm.length - 1, perm.length - 2);
        return ctx.run("Transpose", { x: info }, { perm });
      };
      const left = attrs.transposeA ? swapLast(a!) : a!;
      const right = attrs.transposeB ? swapLast(b!) : b!;
      const out = stock.kernelFunc({ ...args, inputs: { ...args.inputs, a: left, b: right }, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
      if (left !== a) ctx.dispose(left);
      if (right !== b) ctx.dispose(right);
      return out;
    },
  };
}

/**
 * The kernels above for a backend: all of them on cpu; on wasm only those that beat its
 * own (reductions over leading axes and FusedBatchNorm, measured 4× faster there, and
 * products with a transposed operand).
 */
export function elementwiseKernels(tf: Tf, backendName: TrainingBackendName, stock: Stock): KernelConfig[] {
  const configs: KernelConfig[] = [];
  const add = (kernelName: string, make: (s: KernelConfig) => KernelConfig): void => {
    const original = stock(kernelName);
    if (original !== undefined) configs.push(make(original));
  };
  add("Sum", (s) => reductionKernel(tf, backendName, "Sum", s));
  add("Mean", (s) => reductionKernel(tf, backendName, "Mean", s));
  add("FusedBatchNorm", (s) => batchNormKernel(tf, backendName, s));
  if (backendName === "cpu") {
    for (const op of ["Add", "Sub", "Multiply", "RealDiv"] as const) add(op, (s) => binaryKernel(tf, "cpu", op, s));
    for (const op of ["Relu", "Step", "Square"] as const) add(op, (s) => unaryKernel(tf, "cpu", op, s));
    add("BatchMatMul", (s) => matMulKernel(tf, "BatchMatMul", s));
    add("_FusedMatMul", (s) => matMulKernel(tf, "_FusedMatMul", s));
    add("PadV2", (s) => padKernel(tf, "cpu", s));
  } else {
    add("BatchMatMul", (s) => wasmTransposingMatMulKernel(tf, "BatchMatMul", s));
    add("_FusedMatMul", (s) => wasmTransposingMatMulKernel(tf, "_FusedMatMul", s));
  }
  return configs;
}
