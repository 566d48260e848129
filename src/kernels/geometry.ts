// Shapes and paddings of 2-D convolutions and pools, resolved once from tfjs's kernel
// attributes. The backward kernels re-express their work as forward convolutions over
// rearranged tensors; every such rewrite is plain arithmetic on these numbers, kept here
// so that it can be tested without a backend.

import type { Tf } from "../runtime/tf.js";

export type Pair = [number, number];
/** [top, bottom, left, right]; entries may be negative where rows or columns go unread. */
export type Pads = [number, number, number, number];

/** tfjs's padding attribute: a mode, one number for every side, or explicit NHWC pairs. */
export type PadAttr = "valid" | "same" | number | [[number, number], [number, number], [number, number], [number, number]];
export type RoundingMode = "floor" | "round" | "ceil";

export interface ConvGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  /**
   * The padding that the forward pass actually reads: top and left as tfjs computed them,
   * bottom and right cut to the last row and column that a window reaches (negative where
   * trailing input rows or columns are never read).
   */
  pads: Pads;
}

export const pair = (value: number | number[]): Pair => (typeof value === "number" ? [value, value] : [value[0]!, value[1] ?? value[0]!]);

/** The bottom (or right) padding that the last window of a convolution reaches. */
export function usedTrailingPad(inSize: number, outSize: number, kernel: number, stride: number, dilation: number, leadingPad: number): number {
  return (outSize - 1) * stride + (kernel - 1) * dilation + 1 - inSize - leadingPad;
}

/**
 * Resolves a convolution (or, with `depthwise`, a depthwise convolution whose filter is
 * [kh, kw, in, multiplier]) the way tfjs's own kernels do.
 */
export function convGeometry(
  tf: Tf,
  xShape: number[],
  filterShape: number[],
  strides: number | number[],
  dilations: number | number[],
  pad: PadAttr,
  dimRoundingMode: RoundingMode | undefined,
  depthwise = false,
): ConvGeometry {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    pair(strides),
    pair(dilations),
    pad,
    dimRoundingMode,
    depthwise,
    "channelsLast",
  );
  const { padInfo } = info;
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    outC: info.outChannels,
    kH: info.filterHeight,
    kW: info.filterWidth,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    dilationH: info.dilationHeight,
    dilationW: info.dilationWidth,
    pads: [
      padInfo.top,
      usedTrailingPad(info.inHeight, info.outHeight, info.filterHeight, info.strideHeight, info.dilationHeight, padInfo.top),
      padInfo.left,
      usedTrailingPad(info.inWidth, info.outWidth, info.filterWidth, info.strideWidth, info.dilationWidth, padInfo.left),
    ],
  };
}

export interface PoolGeometry {
  batch: number;
  inH: number;
  inW: number;
  channels: number;
  outH: number;
  outW: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
}

export function poolGeometry(tf: Tf, xShape: number[], filterSize: number | number[], strides: number | number[], pad: PadAttr, dimRoundingMode?: RoundingMode): PoolGeometry {
  const info = tf.backend_util.computePool2DInfo(xShape as [number, number, number, number], pair(filterSize), pair(strides), 1, pad, dimRoundingMode);
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    channels: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    kH: info.filterHeight,
    kW: info.filterWidth,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/**
 * One phase of a strided transposed convolution. The input gradient of a stride-s conv,
 * restricted to the rows y ≡ `offset` (mod s), is a stride-1 correlation of dy with the
 * kernel taps `first`, `first + s`, … (flipped): `taps` of them, dy padded by `padBefore`
 * rows before and `padAfter` after (negative values crop), producing `outputs` rows.
 */
export interface Phase {
  offset: number;
  first: number;
  taps: number;
  padBefore: number;
  padAfter: number;
  outputs: number;
}

/**
 * Splits one spatial axis of a transposed convolution (dilation 1) into its stride
 * phases. Derivation: an input row y receives dy row o through tap k where
 * y + pad = o·s + k. For y = s·m + r, the taps are k = c + s·j with c = (r + pad) mod s,
 * and o = m + q − j with q = (r + pad − c) / s. Reversing j turns this into a correlation.
 */
export function transposedPhases(inSize: number, outSize: number, kernel: number, stride: number, padBefore: number): Phase[] {
  const phases: Phase[] = [];
  for (let offset = 0; offset < stride; offset++) {
    const outputs = Math.ceil((inSize - offset) / stride);
    if (outputs <= 0) continue;
    const first = (((offset + padBefore) % stride) + stride) % stride;
    const taps = first < kernel ? Math.ceil((kernel - first) / stride) : 0;
    const q = (offset + padBefore - first) / stride;
    const before = taps - 1 - q;
    phases.push({ offset, first, taps, padBefore: before, padAfter: outputs + taps - 1 - outSize - before, outputs });
  }
  return phases;
}
