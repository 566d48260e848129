// Convolution and pooling arithmetic over plain Float32Arrays in NHWC layout, shared by
// the cpu and wasm kernels (on wasm the arrays are views of the heap).
//
// The three convolution routines index a zero-padded copy of the input through two
// tables: `pixelBase[p]`, the offset of output pixel p's window corner, and
// `patchOffset[k]`, the offset of patch element k = (kh, kw, ci) from that corner. The
// patch order equals the filter layout [kh, kw, in, out], so the filter is a K × out
// matrix and every routine is a matrix product with implicit im2col. The inner loops
// keep a 4 × 4 block of sums in locals: V8 holds them in registers, which measured
// ≈ 4× faster than the row-at-a-time form.

import type { ConvGeometry, PoolGeometry } from "./geometry.js";

/**
 * dst[n, y, x, c] = src[n, offH + y·stepH, offW + x·stepW, c], or 0 outside src: a crop,
 * a zero pad, or a strided gather, depending on the arguments.
 */
export function copyWindow(src: Float32Array, srcShape: number[], dst: Float32Array, dstShape: number[], offH: number, offW: number, stepH = 1, stepW = 1): void {
  const [n, h, w, c] = srcShape as [number, number, number, number];
  const [, dh, dw] = dstShape as [number, number, number, number];
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < dh; y++) {
      const sy = offH + y * stepH;
      const rowOut = (b * dh + y) * dw * c;
      if (sy < 0 || sy >= h) {
        dst.fill(0, rowOut, rowOut + dw * c);
        continue;
      }
      const rowIn = (b * h + sy) * w * c;
      if (stepW === 1 && offW >= 0 && offW + dw <= w) {
        dst.set(src.subarray(rowIn + offW * c, rowIn + (offW + dw) * c), rowOut);
        continue;
      }
      for (let x = 0; x < dw; x++) {
        const sx = offW + x * stepW;
        const o = rowOut + x * c;
        if (sx < 0 || sx >= w) dst.fill(0, o, o + c);
        else dst.set(src.subarray(rowIn + sx * c, rowIn + sx * c + c), o);
      }
    }
  }
}

/** dst[n, offH + m·stepH, offW + k·stepW, c] = src[n, m, k, c]; other elements untouched. */
export function interleave(src: Float32Array, srcShape: number[], dst: Float32Array, dstShape: number[], offH: number, offW: number, stepH: number, stepW: number): void {
  const [n, mh, mw, c] = srcShape as [number, number, number, number];
  const [, h, w] = dstShape as [number, number, number, number];
  for (let b = 0; b < n; b++) {
    for (let m = 0; m < mh; m++) {
      const y = offH + m * stepH;
      const rowIn = (b * mh + m) * mw * c;
      const rowOut = (b * h + y) * w * c;
      for (let k = 0; k < mw; k++) {
        const o = rowOut + (offW + k * stepW) * c;
        const i = rowIn + k * c;
        for (let ch = 0; ch < c; ch++) dst[o + ch] = src[i + ch]!;
      }
    }
  }
}

/**
 * A flipped sub-kernel for the input gradient, with in and out channels swapped:
 * dst[a, b, co, ci] = w[firstH + stepH·(tapsH − 1 − a), firstW + stepW·(tapsW − 1 − b), ci, co].
 */
export function flippedSubKernel(w: Float32Array, wShape: number[], dst: Float32Array, firstH: number, firstW: number, tapsH: number, tapsW: number, stepH: number, stepW: number): void {
  const [, kw, ci, co] = wShape as [number, number, number, number];
  let o = 0;
  for (let a = 0; a < tapsH; a++) {
    const kh = firstH + stepH * (tapsH - 1 - a);
    for (let b = 0; b < tapsW; b++) {
      const kx = firstW + stepW * (tapsW - 1 - b);
      const base = (kh * kw + kx) * ci * co;
      for (let j = 0; j < co; j++) {
        for (let i = 0; i < ci; i++) dst[o++] = w[base + i * co + j]!;
      }
    }
  }
}

/** Padded input dimensions and the two offset tables of a convolution (see the file comment). */
export interface PatchIndex {
  paddedH: number;
  paddedW: number;
  pixelBase: Int32Array;
  patchOffset: Int32Array;
}

export function patchIndex(g: ConvGeometry, channels = g.inC, tapsPerPixel = true): PatchIndex {
  const paddedH = Math.max(g.inH + g.pads[0] + g.pads[1], g.inH + g.pads[0]);
  const paddedW = Math.max(g.inW + g.pads[2] + g.pads[3], g.inW + g.pads[2]);
  const pixels = g.batch * g.outH * g.outW;
  const pixelBase = new Int32Array(pixels);
  let p = 0;
  for (let n = 0; n < g.batch; n++) {
    for (let oh = 0; oh < g.outH; oh++) {
      for (let ow = 0; ow < g.outW; ow++) pixelBase[p++] = ((n * paddedH + oh * g.strideH) * paddedW + ow * g.strideW) * channels;
    }
  }
  const perTap = tapsPerPixel ? channels : 1;
  const patchOffset = new Int32Array(g.kH * g.kW * perTap);
  let k = 0;
  for (let kh = 0; kh < g.kH; kh++) {
    for (let kw = 0; kw < g.kW; kw++) {
      for (let c = 0; c < perTap; c++) patchOffset[k++] = (kh * g.dilationH * paddedW + kw * g.dilationW) * channels + c;
    }
  }
  return { paddedH, paddedW, pixelBase, patchOffset };
}

/** x zero-padded to the geometry's padded size (x itself when no padding is needed). */
export function padInput(x: Float32Array, g: ConvGeometry, index: PatchIndex, channels = g.inC): Float32Array {
  if (index.paddedH === g.inH && index.paddedW === g.inW && g.pads[0] === 0 && g.pads[2] === 0) return x;
  const padded = new Float32Array(g.batch * index.paddedH * index.paddedW * channels);
  copyWindow(x, [g.batch, g.inH, g.inW, channels], padded, [g.batch, index.paddedH, index.paddedW, channels], -g.pads[0], -g.pads[2]);
  return padded;
}

/**
 * The transposed im2col matrix of output rows [firstRow, lastRow) (a row is one (n, oh)):
 * patches[(kh, kw, ci), p] = x[n, oh·s + kh·d − top, ow·s + kw·d − left, ci], 0 outside x,
 * for the tile's pixels p. Row order is the filter's [kh, kw, in], so patches · dy is the
 * filter gradient in the filter's layout. Writing it directly measured faster than a
 * row-major im2col plus a transpose (in JavaScript or tfjs-wasm), and faster than blocking
 * the output rows.
 */
export function im2colTransposed(x: Float32Array, g: ConvGeometry, firstRow: number, lastRow: number, patches: Float32Array): void {
  const C = g.inC;
  const W = g.outW;
  const pixels = (lastRow - firstRow) * W;
  const step = g.strideW * C;
  for (let kh = 0; kh < g.kH; kh++) {
    for (let kw = 0; kw < g.kW; kw++) {
      const tapRow = (kh * g.kW + kw) * C;
      const shift = kw * g.dilationW - g.pads[2];
      // Output columns whose input column lies inside x: [owFirst, owLast).
      const owFirst = Math.min(W, Math.max(0, Math.ceil(-shift / g.strideW)));
      const owLast = Math.max(owFirst, Math.min(W, Math.ceil((g.inW - shift) / g.strideW)));
      for (let row = firstRow; row < lastRow; row++) {
        const y = (row % g.outH) * g.strideH + kh * g.dilationH - g.pads[0];
        const p0 = (row - firstRow) * W;
        if (y < 0 || y >= g.inH) {
          for (let ci = 0; ci < C; ci++) patches.fill(0, (tapRow + ci) * pixels + p0, (tapRow + ci) * pixels + p0 + W);
          continue;
        }
        const n = Math.floor(row / g.outH);
        const source = ((n * g.inH + y) * g.inW + owFirst * g.strideW + shift) * C;
        for (let ci = 0; ci < C; ci++) {
          const out = (tapRow + ci) * pixels + p0;
          for (let ow = 0; ow < owFirst; ow++) patches[out + ow] = 0;
          for (let ow = owFirst, i = source + ci; ow < owLast; ow++, i += step) patches[out + ow] = x[i]!;
          for (let ow = owLast; ow < W; ow++) patches[out + ow] = 0;
        }
      }
    }
  }
}

/**
 * planes[ci·grid + (n·Hp + y + top)·Wp + x + left] = x[n, y, x, ci]: x transposed to
 * channel planes on the zero-padded grid (the padding itself is left as it is: zero).
 */
export function transposePadded(x: Float32Array, planes: Float32Array, g: ConvGeometry, paddedH: number, paddedW: number, grid: number): void {
  const C = g.inC;
  const [top, , left] = g.pads;
  for (let n = 0; n < g.batch; n++) {
    for (let y = 0; y < g.inH; y++) {
      const rowIn = (n * g.inH + y) * g.inW * C;
      const rowOut = (n * paddedH + y + top) * paddedW + left;
      let c = 0;
      for (; c + 4 <= C; c += 4) {
        const o0 = c * grid + rowOut, o1 = o0 + grid, o2 = o1 + grid, o3 = o2 + grid;
        for (let xx = 0, i = rowIn + c; xx < g.inW; xx++, i += C) {
          planes[o0 + xx] = x[i]!;
          planes[o1 + xx] = x[i + 1]!;
          planes[o2 + xx] = x[i + 2]!;
          planes[o3 + xx] = x[i + 3]!;
        }
      }
      for (; c < C; c++) {
        const o = c * grid + rowOut;
        for (let xx = 0, i = rowIn + c; xx < g.inW; xx++, i += C) planes[o + xx] = x[i]!;
      }
    }
  }
}

/** out[p, co] = Σ_k patch[p, k] · w[k, co]: the forward convolution. */
export function convForward(xp: Float32Array, w: Float32Array, out: Float32Array, index: PatchIndex, outC: number): void {
  const { pixelBase, patchOffset } = index;
  const pixels = pixelBase.length;
  const K = patchOffset.length;
  const C = outC;
  const rowEnd = pixels - (pixels % 4);
  const colEnd = C - (C % 4);
  for (let p = 0; p < rowEnd; p += 4) {
    const b0 = pixelBase[p]!, b1 = pixelBase[p + 1]!, b2 = pixelBase[p + 2]!, b3 = pixelBase[p + 3]!;
    for (let j = 0; j < colEnd; j += 4) {
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      for (let k = 0, wk = j; k < K; k++, wk += C) {
        const o = patchOffset[k]!;
        const x0 = xp[b0 + o]!, x1 = xp[b1 + o]!, x2 = xp[b2 + o]!, x3 = xp[b3 + o]!;
        const w0 = w[wk]!, w1 = w[wk + 1]!, w2 = w[wk + 2]!, w3 = w[wk + 3]!;
        s00 += x0 * w0; s01 += x0 * w1; s02 += x0 * w2; s03 += x0 * w3;
        s10 += x1 * w0; s11 += x1 * w1; s12 += x1 * w2; s13 += x1 * w3;
        s20 += x2 * w0; s21 += x2 * w1; s22 += x2 * w2; s23 += x2 * w3;
        s30 += x3 * w0; s31 += x3 * w1; s32 += x3 * w2; s33 += x3 * w3;
      }
      let o = p * C + j;
      out[o] = s00; out[o + 1] = s01; out[o + 2] = s02; out[o + 3] = s03; o += C;
      out[o] = s10; out[o + 1] = s11; out[o + 2] = s12; out[o + 3] = s13; o += C;
      out[o] = s20; out[o + 1] = s21; out[o + 2] = s22; out[o + 3] = s23; o += C;
      out[o] = s30; out[o + 1] = s31; out[o + 2] = s32; out[o + 3] = s33;
    }
    for (let j = colEnd; j < C; j++) {
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = 0, wk = j; k < K; k++, wk += C) {
        const o = patchOffset[k]!;
        const wv = w[wk]!;
        s0 += xp[b0 + o]! * wv; s1 += xp[b1 + o]! * wv; s2 += xp[b2 + o]! * wv; s3 += xp[b3 + o]! * wv;
      }
      out[p * C + j] = s0; out[(p + 1) * C + j] = s1; out[(p + 2) * C + j] = s2; out[(p + 3) * C + j] = s3;
    }
  }
  for (let p = rowEnd; p < pixels; p++) {
    const b = pixelBase[p]!;
    for (let j = 0; j < C; j++) {
      let s = 0;
      for (let k = 0, wk = j; k < K; k++, wk += C) s += xp[b + patchOffset[k]!]! * w[wk]!;
      out[p * C + j] = s;
    }
  }
}

/** Pixels per chunk of the filter gradient: small enough that a chunk's inputs stay in cache. */
const FILTER_CHUNK = 256;

/** dw[k, co] += Σ_p patch[p, k] · dy[p, co]: the filter gradient, accumulated into dw. */
export function convFilterGradient(xp: Float32Array, dy: Float32Array, dw: Float32Array, index: PatchIndex, outC: number): void {
  const { pixelBase, patchOffset } = index;
  const pixels = pixelBase.length;
  const K = patchOffset.length;
  const C = outC;
  const kEnd = K - (K % 4);
  const colEnd = C - (C % 4);
  for (let start = 0; start < pixels; start += FILTER_CHUNK) {
    const stop = Math.min(pixels, start + FILTER_CHUNK);
    for (let k = 0; k < kEnd; k += 4) {
      const o0 = patchOffset[k]!, o1 = patchOffset[k + 1]!, o2 = patchOffset[k + 2]!, o3 = patchOffset[k + 3]!;
      for (let j = 0; j < colEnd; j += 4) {
        let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
        let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
        for (let p = start, d = start * C + j; p < stop; p++, d += C) {
          const b = pixelBase[p]!;
          const x0 = xp[b + o0]!, x1 = xp[b + o1]!, x2 = xp[b + o2]!, x3 = xp[b + o3]!;
          const g0 = dy[d]!, g1 = dy[d + 1]!, g2 = dy[d + 2]!, g3 = dy[d + 3]!;
          s00 += x0 * g0; s01 += x0 * g1; s02 += x0 * g2; s03 += x0 * g3;
          s10 += x1 * g0; s11 += x1 * g1; s12 += x1 * g2; s13 += x1 * g3;
          s20 += x2 * g0; s21 += x2 * g1; s22 += x2 * g2; s23 += x2 * g3;
          s30 += x3 * g0; s31 += x3 * g1; s32 += x3 * g2; s33 += x3 * g3;
        }
        let o = k * C + j;
        dw[o] += s00; dw[o + 1] += s01; dw[o + 2] += s02; dw[o + 3] += s03; o += C;
        dw[o] += s10; dw[o + 1] += s11; dw[o + 2] += s12; dw[o + 3] += s13; o += C;
        dw[o] += s20; dw[o + 1] += s21; dw[o + 2] += s22; dw[o + 3] += s23; o += C;
        dw[o] += s30; dw[o + 1] += s31; dw[o + 2] += s32; dw[o + 3] += s33;
      }
      for (let j = colEnd; j < C; j++) {
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (let p = start, d = start * C + j; p < stop; p++, d += C) {
          const b = pixelBase[p]!;
          const g = dy[d]!;
          s0 += xp[b + o0]! * g; s1 += xp[b + o1]! * g; s2 += xp[b + o2]! * g; s3 += xp[b + o3]! * g;
        }
        dw[k * C + j] += s0; dw[(k + 1) * C + j] += s1; dw[(k + 2) * C + j] += s2; dw[(k + 3) * C + j] += s3;
      }
    }
    for (let k = kEnd; k < K; k++) {
      const o = patchOffset[k]!;
      for (let j = 0; j < C; j++) {
        let s = 0;
        for (let p = start, d = start * C + j; p < stop; p++, d += C) s += xp[pixelBase[p]! + o]! * dy[d]!;
        dw[k * C + j] += s;
      }
    }
  }
}

/**
 * dxp[pixelBase[p] + patchOffset[k]] += Σ_co dy[p, co] · w[k, co]: the input gradient,
 * scattered into a zero-initialised padded buffer.
 */
export function convInputGradient(dy: Float32Array, w: Float32Array, dxp: Float32Array, index: PatchIndex, outC: number): void {
  const { pixelBase, patchOffset } = index;
  const pixels = pixelBase.length;
  const K = patchOffset.length;
  const C = outC;
  const rowEnd = pixels - (pixels % 4);
  const kEnd = K - (K % 4);
  for (let p = 0; p < rowEnd; p += 4) {
    const b0 = pixelBase[p]!, b1 = pixelBase[p + 1]!, b2 = pixelBase[p + 2]!, b3 = pixelBase[p + 3]!;
    const d0 = p * C, d1 = d0 + C, d2 = d1 + C, d3 = d2 + C;
    for (let k = 0; k < kEnd; k += 4) {
      const w0 = k * C, w1 = w0 + C, w2 = w1 + C, w3 = w2 + C;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      for (let j = 0; j < C; j++) {
        const g0 = dy[d0 + j]!, g1 = dy[d1 + j]!, g2 = dy[d2 + j]!, g3 = dy[d3 + j]!;
        const v0 = w[w0 + j]!, v1 = w[w1 + j]!, v2 = w[w2 + j]!, v3 = w[w3 + j]!;
        s00 += g0 * v0; s01 += g0 * v1; s02 += g0 * v2; s03 += g0 * v3;
        s10 += g1 * v0; s11 += g1 * v1; s12 += g1 * v2; s13 += g1 * v3;
        s20 += g2 * v0; s21 += g2 * v1; s22 += g2 * v2; s23 += g2 * v3;
        s30 += g3 * v0; s31 += g3 * v1; s32 += g3 * v2; s33 += g3 * v3;
      }
      const o0 = patchOffset[k]!, o1 = patchOffset[k + 1]!, o2 = patchOffset[k + 2]!, o3 = patchOffset[k + 3]!;
      dxp[b0 + o0] += s00; dxp[b0 + o1] += s01; dxp[b0 + o2] += s02; dxp[b0 + o3] += s03;
      dxp[b1 + o0] += s10; dxp[b1 + o1] += s11; dxp[b1 + o2] += s12; dxp[b1 + o3] += s13;
      dxp[b2 + o0] += s20; dxp[b2 + o1] += s21; dxp[b2 + o2] += s22; dxp[b2 + o3] += s23;
      dxp[b3 + o0] += s30; dxp[b3 + o1] += s31; dxp[b3 + o2] += s32; dxp[b3 + o3] += s33;
    }
    for (let k = kEnd; k < K; k++) {
      const wk = k * C;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let j = 0; j < C; j++) {
        const v = w[wk + j]!;
        s0 += dy[d0 + j]! * v; s1 += dy[d1 + j]! * v; s2 += dy[d2 + j]! * v; s3 += dy[d3 + j]! * v;
      }
      const o = patchOffset[k]!;
      dxp[b0 + o] += s0; dxp[b1 + o] += s1; dxp[b2 + o] += s2; dxp[b3 + o] += s3;
    }
  }
  for (let p = rowEnd; p < pixels; p++) {
    const b = pixelBase[p]!;
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let j = 0; j < C; j++) s += dy[p * C + j]! * w[k * C + j]!;
      dxp[b + patchOffset[k]!] += s;
    }
  }
}

/**
 * Depthwise convolution with channel multiplier M: out[p, c·M + m] =
 * Σ_tap patch[p, tap, c] · w[tap, c, m]. `index` must be built with `tapsPerPixel = false`.
 */
export function depthwiseForward(xp: Float32Array, w: Float32Array, out: Float32Array, index: PatchIndex, channels: number, multiplier: number): void {
  const { pixelBase, patchOffset } = index;
  const T = patchOffset.length;
  const C = channels;
  if (multiplier === 1) {
    for (let p = 0; p < pixelBase.length; p++) {
      const b = pixelBase[p]!;
      const o = p * C;
      let c = 0;
      for (; c + 4 <= C; c += 4) {
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (let t = 0, wo = c; t < T; t++, wo += C) {
          const xo = b + patchOffset[t]! + c;
          s0 += xp[xo]! * w[wo]!;
          s1 += xp[xo + 1]! * w[wo + 1]!;
          s2 += xp[xo + 2]! * w[wo + 2]!;
          s3 += xp[xo + 3]! * w[wo + 3]!;
        }
        out[o + c] = s0;
        out[o + c + 1] = s1;
        out[o + c + 2] = s2;
        out[o + c + 3] = s3;
      }
      for (; c < C; c++) {
        let s = 0;
        for (let t = 0; t < T; t++) s += xp[b + patchOffset[t]! + c]! * w[t * C + c]!;
        out[o + c] = s;
      }
    }
    return;
  }
  const CM = C * multiplier;
  out.fill(0);
  for (let p = 0; p < pixelBase.length; p++) {
    const o = p * CM;
    for (let t = 0; t < T; t++) {
      const xo = pixelBase[p]! + patchOffset[t]!;
      const wo = t * CM;
      for (let c = 0; c < C; c++) {
        const xv = xp[xo + c]!;
        for (let m = 0; m < multiplier; m++) out[o + c * multiplier + m] += xv * w[wo + c * multiplier + m]!;
      }
    }
  }
}

/**
 * dw[tap, c, m] += Σ_p patch[p, tap, c] · dy[p, c·M + m], over chunks of pixels that stay
 * in cache, four channels at a time with the sums in locals.
 */
export function depthwiseFilterGradient(xp: Float32Array, dy: Float32Array, dw: Float32Array, index: PatchIndex, channels: number, multiplier: number): void {
  const { pixelBase, patchOffset } = index;
  const P = pixelBase.length;
  const C = channels;
  const M = multiplier;
  const CM = C * M;
  for (let start = 0; start < P; start += FILTER_CHUNK) {
    const stop = Math.min(P, start + FILTER_CHUNK);
    for (let t = 0; t < patchOffset.length; t++) {
      const off = patchOffset[t]!;
      if (M === 1) {
        let c = 0;
        for (; c + 4 <= C; c += 4) {
          let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
          for (let p = start, d = start * C + c; p < stop; p++, d += C) {
            const xo = pixelBase[p]! + off + c;
            s0 += xp[xo]! * dy[d]!;
            s1 += xp[xo + 1]! * dy[d + 1]!;
            s2 += xp[xo + 2]! * dy[d + 2]!;
            s3 += xp[xo + 3]! * dy[d + 3]!;
          }
          const wo = t * C + c;
          dw[wo] += s0;
          dw[wo + 1] += s1;
          dw[wo + 2] += s2;
          dw[wo + 3] += s3;
        }
        for (; c < C; c++) {
          let s = 0;
          for (let p = start; p < stop; p++) s += xp[pixelBase[p]! + off + c]! * dy[p * C + c]!;
          dw[t * C + c] += s;
        }
        continue;
      }
      const wo = t * CM;
      for (let c = 0; c < C; c++) {
        for (let m = 0; m < M; m++) {
          let s = 0;
          for (let p = start; p < stop; p++) s += xp[pixelBase[p]! + off + c]! * dy[p * CM + c * M + m]!;
          dw[wo + c * M + m] += s;
        }
      }
    }
  }
}

/**
 * The max pool gradient: each window's dy goes to the first position holding the
 * window's maximum (NaN counts as a maximum, as in PyTorch), whatever its sign.
 */
export function maxPoolGradient(x: Float32Array, dy: Float32Array, dx: Float32Array, g: PoolGeometry): void {
  const C = g.channels;
  const best = new Float32Array(C);
  const at = new Int32Array(C);
  dx.fill(0);
  for (let n = 0; n < g.batch; n++) {
    for (let oh = 0; oh < g.outH; oh++) {
      const y0 = Math.max(0, oh * g.strideH - g.padTop);
      const y1 = Math.min(g.inH, oh * g.strideH - g.padTop + g.kH);
      for (let ow = 0; ow < g.outW; ow++) {
        const x0 = Math.max(0, ow * g.strideW - g.padLeft);
        const x1 = Math.min(g.inW, ow * g.strideW - g.padLeft + g.kW);
        let first = true;
        for (let y = y0; y < y1; y++) {
          for (let xx = x0; xx < x1; xx++) {
            const base = ((n * g.inH + y) * g.inW + xx) * C;
            if (first) {
              for (let c = 0; c < C; c++) {
                best[c] = x[base + c]!;
                at[c] = base + c;
              }
              first = false;
              continue;
            }
            for (let c = 0; c < C; c++) {
              const v = x[base + c]!;
              const b = best[c]!;
              if (v > b || (v !== v && b === b)) {
                best[c] = v;
                at[c] = base + c;
              }
            }
          }
        }
        if (first) continue;
        const d = ((n * g.outH + oh) * g.outW + ow) * C;
        for (let c = 0; c < C; c++) dx[at[c]!] += dy[d + c]!;
      }
    }
  }
}

/**
 * The average pool gradient, for windows that average only the input elements they
 * cover (padding excluded), as tfjs's forward average pool does.
 */
export function avgPoolGradient(dy: Float32Array, dx: Float32Array, g: PoolGeometry): void {
  const C = g.channels;
  dx.fill(0);
  for (let n = 0; n < g.batch; n++) {
    for (let oh = 0; oh < g.outH; oh++) {
      const y0 = Math.max(0, oh * g.strideH - g.padTop);
      const y1 = Math.min(g.inH, oh * g.strideH - g.padTop + g.kH);
      for (let ow = 0; ow < g.outW; ow++) {
        const x0 = Math.max(0, ow * g.strideW - g.padLeft);
        const x1 = Math.min(g.inW, ow * g.strideW - g.padLeft + g.kW);
        const count = (y1 - y0) * (x1 - x0);
        if (count <= 0) continue;
        const scale = 1 / count;
        const d = ((n * g.outH + oh) * g.outW + ow) * C;
        for (let y = y0; y < y1; y++) {
          for (let xx = x0; xx < x1; xx++) {
            const base = ((n * g.inH + y) * g.inW + xx) * C;
            for (let c = 0; c < C; c++) dx[base + c] += dy[d + c]! * scale;
          }
        }
      }
    }
  }
}
