// Convolution gradients (and, on cpu, the forward convolution) for NHWC tensors.
//
// On wasm the heavy lifting is XNNPACK, reached through tfjs's own Conv2D and BatchMatMul
// kernels on rearranged tensors:
// - filter gradient: dW[kh, kw, ci, co] = Σ_{n, oh, ow} x[n, oh·s + kh·d − p, …, ci] · dy[n, oh, ow, co].
//   At stride 1 on large grids it is one tfjs-wasm matrix product per tap of views into x's
//   padded channel planes (shiftedFilterGradient, no im2col matrix); otherwise the transposed
//   im2col matrix of x times dy, one product per tile of output rows (on ResNet-50/-20
//   shapes 1.1–1.8× less time than the forward conv over swapped axes it replaced);
// - input gradient: a transposed convolution, computed as stride-1 convolutions of dy with
//   flipped sub-kernels, one per stride phase, interleaved into dx (no zero insertion, so
//   no wasted multiplications);
// - 1×1 kernels: plain matrix products.
// On cpu the same products run as JavaScript loops with implicit im2col (loops.ts).
// Depthwise input gradients, on both backends, are forward depthwise convolutions of dy
// with reversed taps; depthwise filter gradients are JavaScript loops (loops.ts).

import type { TensorInfo } from "@tensorflow/tfjs";
import { reshaped, type KernelContext } from "./context.js";
import { transposedPhases, type ConvGeometry, type Pads } from "./geometry.js";
import { convFilterGradient, convForward, convInputGradient, copyWindow, flippedSubKernel, im2colTransposed, interleave, padInput, patchIndex, transposePadded } from "./loops.js";

/** Runs the backend's forward Conv2D (or depthwise conv); negative pads crop the input first. */
function forwardConv(ctx: KernelContext, x: TensorInfo, filter: TensorInfo, strides: [number, number], dilations: [number, number], pads: Pads, kernelName = "Conv2D"): TensorInfo {
  let input = x;
  if (pads.some((p) => p < 0)) {
    const [n, h, w, c] = x.shape as [number, number, number, number];
    const shape = [n, h + Math.min(pads[0], 0) + Math.min(pads[1], 0), w + Math.min(pads[2], 0) + Math.min(pads[3], 0), c];
    input = ctx.alloc(shape);
    copyWindow(ctx.data(x), x.shape, ctx.data(input), shape, -Math.min(pads[0], 0), -Math.min(pads[2], 0));
  }
  const [t, b, l, r] = pads.map((p) => Math.max(p, 0)) as Pads;
  const out = ctx.run(kernelName, { x: input, filter }, { strides, dilations, pad: [[0, 0], [t, b], [l, r], [0, 0]], dataFormat: "NHWC" });
  if (input !== x) ctx.dispose(input);
  return out;
}

/** Guards the geometry rewrites: a wrong shape here is a bug in cnnc, not in the model. */
function expectShape(info: TensorInfo, shape: number[], what: string): void {
  if (info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`cnnc kernel bug: ${what} has shape [${info.shape.join(", ")}], expected [${shape.join(", ")}]`);
  }
}

const isPointwise = (g: ConvGeometry): boolean => g.kH === 1 && g.kW === 1;
const isPlainPointwise = (g: ConvGeometry): boolean => isPointwise(g) && g.strideH === 1 && g.strideW === 1 && g.pads.every((p) => p === 0);

/** x at the positions a 1×1 kernel reads: a strided gather with zeros in the padding. */
function pointwiseInput(ctx: KernelContext, x: TensorInfo, g: ConvGeometry): TensorInfo {
  if (isPlainPointwise(g)) return x;
  const shape = [g.batch, g.outH, g.outW, g.inC];
  const out = ctx.alloc(shape);
  copyWindow(ctx.data(x), x.shape, ctx.data(out), shape, -g.pads[0], -g.pads[2], g.strideH, g.strideW);
  return out;
}

export function conv2DBackpropFilter(ctx: KernelContext, x: TensorInfo, dy: TensorInfo, g: ConvGeometry): TensorInfo {
  const filterShape = [g.kH, g.kW, g.inC, g.outC];
  if (ctx.backendName === "cpu") {
    const index = patchIndex(g);
    const dw = ctx.zeros(filterShape);
    convFilterGradient(padInput(ctx.data(x), g, index), ctx.data(dy), ctx.data(dw), index, g.outC);
    return dw;
  }
  const pixels = g.batch * g.outH * g.outW;
  if (isPointwise(g)) {
    const xs = pointwiseInput(ctx, x, g);
    const dw = ctx.run("BatchMatMul", { a: reshaped(xs, [1, pixels, g.inC]), b: reshaped(dy, [1, pixels, g.outC]) }, { transposeA: true, transposeB: false });
    if (xs !== x) ctx.dispose(xs);
    return reshaped(dw, filterShape);
  }
  if (shiftedFits(g)) return shiftedFilterGradient(ctx, x, dy, g);
  return im2colFilterGradient(ctx, x, dy, g);
}

/**
 * Most multiplications the shifted filter gradient may spend per useful one (its padded
 * grid over the output's), and the fewest input channels (thinner products are slower).
 * Measured against the im2col path on a busy 2-core machine (load 5–12, best of 9–15, so
 * rough): 0.50–0.77× the time on ResNet-20's 32×32×16 layers (waste 1.13) in every run;
 * 0.8–1.0× on ResNet-50's 56×56 and 28×28 grids (1.07, 1.15) in most runs; mixed on 16×16
 * (1.27, 0.67–2.1×) and slower on 8×8, 7×7 (1.56, 1.65) and with 3 input channels.
 */
const SHIFTED_WASTE = 1.15;
const SHIFTED_MIN_CHANNELS = 8;

/** Whether shiftedFilterGradient applies (stride 1, no cropping) and wastes little on the padded grid. */
export function shiftedFits(g: ConvGeometry, waste = SHIFTED_WASTE): boolean {
  if (g.strideH !== 1 || g.strideW !== 1 || g.pads.some((p) => p < 0) || g.inC < SHIFTED_MIN_CHANNELS) return false;
  const paddedH = g.inH + g.pads[0] + g.pads[1];
  const paddedW = g.inW + g.pads[2] + g.pads[3];
  if (g.outH + (g.kH - 1) * g.dilationH > paddedH || g.outW + (g.kW - 1) * g.dilationW > paddedW) return false;
  return (paddedH * paddedW) / (g.outH * g.outW) <= waste;
}

/**
 * dW of a stride-1 convolution without an im2col matrix. x, zero-padded and transposed to
 * channel planes [C, N·Hp·Wp] (with a zero margin after the last), already holds every
 * tap's patch matrix: tap (kh, kw) reads the plane shifted by kh·dH·Wp + kw·dW, so it is a
 * view of the same storage. dy, placed on the same padded grid with zeros off the output
 * positions, is the other operand of each tap's product [C × grid] · [grid × out], which
 * tfjs-wasm hands to XNNPACK (and which packs dy once for all taps). A view also reads
 * the neighbouring positions of off-output grid points, which dy's zeros cancel.
 */
export function shiftedFilterGradient(ctx: KernelContext, x: TensorInfo, dy: TensorInfo, g: ConvGeometry): TensorInfo {
  if (ctx.view === undefined || ctx.release === undefined) throw new Error("cnnc kernel bug: the shifted filter gradient needs tensor views (wasm)");
  const paddedH = g.inH + g.pads[0] + g.pads[1];
  const paddedW = g.inW + g.pads[2] + g.pads[3];
  const grid = g.batch * paddedH * paddedW;
  const C = g.inC;
  const margin = (g.kH - 1) * g.dilationH * paddedW + (g.kW - 1) * g.dilationW;
  const planes = ctx.zeros([C * grid + margin]);
  const spread = ctx.zeros([1, grid, g.outC]);
  const dw = ctx.alloc([g.kH, g.kW, C, g.outC]);
  transposePadded(ctx.data(x), ctx.data(planes), g, paddedH, paddedW, grid);
  const dyv = ctx.data(dy);
  const target = ctx.data(spread);
  const row = g.outW * g.outC;
  for (let n = 0; n < g.batch; n++) {
    for (let oh = 0; oh < g.outH; oh++) target.set(dyv.subarray((n * g.outH + oh) * row, (n * g.outH + oh + 1) * row), (n * paddedH + oh) * paddedW * g.outC);
  }
  for (let kh = 0; kh < g.kH; kh++) {
    for (let kw = 0; kw < g.kW; kw++) {
      const tap = ctx.view(planes, kh * g.dilationH * paddedW + kw * g.dilationW, [1, C, grid]);
      const product = ctx.run("BatchMatMul", { a: tap, b: spread }, { transposeA: false, transposeB: false });
      ctx.release(tap);
      ctx.data(dw).set(ctx.data(product), (kh * g.kW + kw) * C * g.outC);
      ctx.dispose(product);
    }
  }
  ctx.dispose(planes);
  ctx.dispose(spread);
  return dw;
}

/** The most bytes one tile's patch matrix may take on the heap. */
const PATCH_TILE_BYTES = 64 * 1024 * 1024;

/**
 * dW = Σ over tiles of output rows of patchesᵀ · dy: the transposed im2col matrix
 * [kh·kw·in, pixels] times dy [pixels, outC] is tfjs-wasm's plain product with the small
 * operand on the right (which XNNPACK packs), already in the filter's layout.
 */
export function im2colFilterGradient(ctx: KernelContext, x: TensorInfo, dy: TensorInfo, g: ConvGeometry, tileBytes = PATCH_TILE_BYTES): TensorInfo {
  const outputRows = g.batch * g.outH;
  const K = g.kH * g.kW * g.inC;
  const tileRows = Math.max(1, Math.min(outputRows, Math.floor(tileBytes / (4 * K * g.outW))));
  let sum: TensorInfo | undefined;
  for (let first = 0; first < outputRows; first += tileRows) {
    const last = Math.min(outputRows, first + tileRows);
    const pixels = (last - first) * g.outW;
    const patches = ctx.alloc([1, K, pixels]);
    const whole = pixels === g.batch * g.outH * g.outW;
    const dyTile = whole ? reshaped(dy, [1, pixels, g.outC]) : ctx.alloc([1, pixels, g.outC]);
    im2colTransposed(ctx.data(x), g, first, last, ctx.data(patches));
    if (!whole) ctx.data(dyTile).set(ctx.data(dy).subarray(first * g.outW * g.outC, last * g.outW * g.outC));
    const product = ctx.run("BatchMatMul", { a: patches, b: dyTile }, { transposeA: false, transposeB: false });
    ctx.dispose(patches);
    if (!whole) ctx.dispose(dyTile);
    if (sum === undefined) {
      sum = product;
      continue;
    }
    const total = ctx.data(sum);
    const part = ctx.data(product);
    for (let i = 0; i < total.length; i++) total[i] += part[i]!;
    ctx.dispose(product);
  }
  return reshaped(sum!, [g.kH, g.kW, g.inC, g.outC]);
}

export function conv2DBackpropInput(ctx: KernelContext, dy: TensorInfo, filter: TensorInfo, g: ConvGeometry): TensorInfo {
  const inputShape = [g.batch, g.inH, g.inW, g.inC];
  if (ctx.backendName === "cpu") {
    const index = patchIndex(g);
    const padded = index.paddedH !== g.inH || index.paddedW !== g.inW || g.pads[0] !== 0 || g.pads[2] !== 0;
    const dx = ctx.zeros(inputShape);
    const dxp = padded ? new Float32Array(g.batch * index.paddedH * index.paddedW * g.inC) : ctx.data(dx);
    convInputGradient(ctx.data(dy), ctx.data(filter), dxp, index, g.outC);
    if (padded) copyWindow(dxp, [g.batch, index.paddedH, index.paddedW, g.inC], ctx.data(dx), inputShape, g.pads[0], g.pads[2]);
    return dx;
  }
  const pixels = g.batch * g.outH * g.outW;
  if (isPointwise(g)) {
    const cols = ctx.run("BatchMatMul", { a: reshaped(dy, [1, pixels, g.outC]), b: reshaped(filter, [1, g.inC, g.outC]) }, { transposeA: false, transposeB: true });
    if (isPlainPointwise(g)) return reshaped(cols, inputShape);
    return scatterPointwise(ctx, cols, g);
  }
  if (g.strideH === 1 && g.strideW === 1) return stridedInputGradient(ctx, dy, filter, g, g.outH, g.outW);
  if (g.dilationH === 1 && g.dilationW === 1) return phasedInputGradient(ctx, dy, filter, g);
  // Stride and dilation together (which tfjs's own ops reject): insert the zeros.
  const spreadShape = [g.batch, (g.outH - 1) * g.strideH + 1, (g.outW - 1) * g.strideW + 1, g.outC];
  const spread = ctx.zeros(spreadShape);
  interleave(ctx.data(dy), dy.shape, ctx.data(spread), spreadShape, 0, 0, g.strideH, g.strideW);
  const dx = stridedInputGradient(ctx, spread, filter, g, spreadShape[1]!, spreadShape[2]!);
  ctx.dispose(spread);
  return dx;
}

/**
 * Moves the 1×1 products, computed densely as [n, oh, ow, ci], to the input positions
 * they belong to (row oh·s − pad); every other position gets zero.
 */
function scatterPointwise(ctx: KernelContext, packed: TensorInfo, g: ConvGeometry): TensorInfo {
  const inputShape = [g.batch, g.inH, g.inW, g.inC];
  const dx = ctx.zeros(inputShape);
  const source = ctx.data(packed);
  const target = ctx.data(dx);
  const C = g.inC;
  for (let n = 0; n < g.batch; n++) {
    for (let oh = 0; oh < g.outH; oh++) {
      const y = oh * g.strideH - g.pads[0];
      if (y < 0 || y >= g.inH) continue;
      for (let ow = 0; ow < g.outW; ow++) {
        const x = ow * g.strideW - g.pads[2];
        if (x < 0 || x >= g.inW) continue;
        const from = ((n * g.outH + oh) * g.outW + ow) * C;
        const to = ((n * g.inH + y) * g.inW + x) * C;
        for (let c = 0; c < C; c++) target[to + c] = source[from + c]!;
      }
    }
  }
  ctx.dispose(packed);
  return dx;
}

/** The input gradient of a stride-1 convolution (any dilation) over `outH × outW` rows of dy. */
function stridedInputGradient(ctx: KernelContext, dy: TensorInfo, filter: TensorInfo, g: ConvGeometry, outH: number, outW: number): TensorInfo {
  const flipped = ctx.alloc([g.kH, g.kW, g.outC, g.inC]);
  flippedSubKernel(ctx.data(filter), filter.shape, ctx.data(flipped), 0, 0, g.kH, g.kW, 1, 1);
  const reachH = g.dilationH * (g.kH - 1);
  const reachW = g.dilationW * (g.kW - 1);
  const top = reachH - g.pads[0];
  const left = reachW - g.pads[2];
  const pads: Pads = [top, g.inH + reachH - outH - top, left, g.inW + reachW - outW - left];
  const dx = forwardConv(ctx, dy, flipped, [1, 1], [g.dilationH, g.dilationW], pads);
  ctx.dispose(flipped);
  expectShape(dx, [g.batch, g.inH, g.inW, g.inC], "the input gradient");
  return dx;
}

/** The input gradient of a strided, undilated convolution, one stride phase at a time. */
function phasedInputGradient(ctx: KernelContext, dy: TensorInfo, filter: TensorInfo, g: ConvGeometry): TensorInfo {
  const inputShape = [g.batch, g.inH, g.inW, g.inC];
  const rows = transposedPhases(g.inH, g.outH, g.kH, g.strideH, g.pads[0]);
  const cols = transposedPhases(g.inW, g.outW, g.kW, g.strideW, g.pads[2]);
  const complete = rows.every((p) => p.taps > 0) && cols.every((p) => p.taps > 0);
  const dx = complete ? ctx.alloc(inputShape) : ctx.zeros(inputShape);
  for (const row of rows) {
    for (const col of cols) {
      if (row.taps === 0 || col.taps === 0) continue;
      const sub = ctx.alloc([row.taps, col.taps, g.outC, g.inC]);
      flippedSubKernel(ctx.data(filter), filter.shape, ctx.data(sub), row.first, col.first, row.taps, col.taps, g.strideH, g.strideW);
      const part = forwardConv(ctx, dy, sub, [1, 1], [1, 1], [row.padBefore, row.padAfter, col.padBefore, col.padAfter]);
      ctx.dispose(sub);
      expectShape(part, [g.batch, row.outputs, col.outputs, g.inC], "an input-gradient phase");
      interleave(ctx.data(part), part.shape, ctx.data(dx), inputShape, row.offset, col.offset, g.strideH, g.strideW);
      ctx.dispose(part);
    }
  }
  return dx;
}

/** The forward convolution in JavaScript, for the cpu backend (tfjs's reads elements one by one). */
export function conv2DForwardJs(ctx: KernelContext, x: TensorInfo, filter: TensorInfo, g: ConvGeometry): TensorInfo {
  const index = patchIndex(g);
  const out = ctx.alloc([g.batch, g.outH, g.outW, g.outC]);
  convForward(padInput(ctx.data(x), g, index), ctx.data(filter), ctx.data(out), index, g.outC);
  return out;
}

/**
 * The input gradient of a depthwise convolution as a forward depthwise convolution of dy
 * with the taps reversed: a gather, which both backends run faster than the scatter in
 * loops.ts (4× on wasm even counting the zeros a stride inserts into dy). With a channel
 * multiplier M, the M outputs that came from one input channel are summed afterwards.
 */
export function depthwiseInputGradientByConv(ctx: KernelContext, dy: TensorInfo, filter: TensorInfo, g: ConvGeometry): TensorInfo {
  if (g.strideH !== 1 || g.strideW !== 1) {
    const spreadShape = [g.batch, (g.outH - 1) * g.strideH + 1, (g.outW - 1) * g.strideW + 1, dy.shape[3]!];
    const spread = ctx.zeros(spreadShape);
    interleave(ctx.data(dy), dy.shape, ctx.data(spread), spreadShape, 0, 0, g.strideH, g.strideW);
    const dx = depthwiseInputGradientByConv(ctx, spread, filter, { ...g, strideH: 1, strideW: 1, outH: spreadShape[1]!, outW: spreadShape[2]! });
    ctx.dispose(spread);
    return dx;
  }
  const [kH, kW, channels, multiplier] = filter.shape as [number, number, number, number];
  const width = channels * multiplier;
  const flipped = ctx.alloc([kH, kW, width, 1]);
  const w = ctx.data(filter);
  const f = ctx.data(flipped);
  for (let a = 0; a < kH; a++) {
    for (let b = 0; b < kW; b++) f.set(w.subarray(((kH - 1 - a) * kW + (kW - 1 - b)) * width, ((kH - 1 - a) * kW + (kW - 1 - b) + 1) * width), (a * kW + b) * width);
  }
  const reachH = g.dilationH * (kH - 1);
  const reachW = g.dilationW * (kW - 1);
  const top = reachH - g.pads[0];
  const left = reachW - g.pads[2];
  const pads: Pads = [top, g.inH + reachH - g.outH - top, left, g.inW + reachW - g.outW - left];
  const spread = forwardConv(ctx, dy, flipped, [1, 1], [g.dilationH, g.dilationW], pads, "DepthwiseConv2dNative");
  ctx.dispose(flipped);
  expectShape(spread, [g.batch, g.inH, g.inW, width], "a depthwise input gradient");
  if (multiplier === 1) return spread;
  const dx = ctx.alloc([g.batch, g.inH, g.inW, channels]);
  const source = ctx.data(spread);
  const target = ctx.data(dx);
  for (let i = 0, o = 0; i < target.length; i++) {
    let sum = 0;
    for (let m = 0; m < multiplier; m++) sum += source[o++]!;
    target[i] = sum;
  }
  ctx.dispose(spread);
  return dx;
}
