// The shapes, strides, paddings, dilations and depthwise multipliers the kernel tests
// sweep. Every case is valid for tfjs (at least one output pixel).

import type { PadAttr } from "../../src/kernels/geometry.js";

export interface ConvCase {
  input: [number, number, number, number];
  filter: [number, number, number, number];
  strides: [number, number];
  dilations: [number, number];
  pad: PadAttr;
}

const PADS: PadAttr[] = [
  "valid",
  "same",
  [
    [0, 0],
    [1, 0],
    [2, 1],
    [0, 0],
  ],
];
const SIZES: [number, number][] = [
  [5, 6],
  [8, 8],
  [9, 7],
];

function outputSize(size: number, kernel: number, stride: number, dilation: number, before: number, after: number): number {
  return Math.floor((size + before + after - (kernel - 1) * dilation - 1) / stride) + 1;
}

function fits(c: ConvCase): boolean {
  if (c.pad === "same") return true;
  const [top, bottom, left, right] = c.pad === "valid" ? [0, 0, 0, 0] : typeof c.pad === "number" ? [c.pad, c.pad, c.pad, c.pad] : [c.pad[1][0], c.pad[1][1], c.pad[2][0], c.pad[2][1]];
  return outputSize(c.input[1], c.filter[0], c.strides[0], c.dilations[0], top, bottom) >= 1 && outputSize(c.input[2], c.filter[1], c.strides[1], c.dilations[1], left, right) >= 1;
}

/**
 * Regular convolutions: 1×1 to 7×7 (and non-square) kernels, strides 1 to 3 (and
 * unequal), three paddings, dilation 1 and 2 (also together with a stride, which tfjs's
 * ops reject but its kernels and cnnc's accept), with 1, 3 or 4 input channels.
 */
export function convCases(): ConvCase[] {
  const cases: ConvCase[] = [];
  const kernels: [number, number][] = [
    [1, 1],
    [2, 3],
    [3, 3],
    [5, 5],
    [7, 7],
  ];
  const strides: [number, number][] = [
    [1, 1],
    [2, 2],
    [2, 1],
    [3, 3],
  ];
  let i = 0;
  for (const [h, w] of SIZES) {
    for (const [kh, kw] of kernels) {
      for (const stride of strides) {
        for (const pad of PADS) {
          for (const dilation of [1, 2]) {
            i++;
            const inC = [1, 3, 4][i % 3]!;
            const outC = [2, 5][i % 2]!;
            const c: ConvCase = { input: [2, h, w, inC], filter: [kh, kw, inC, outC], strides: stride, dilations: [dilation, dilation], pad };
            if (fits(c)) cases.push(c);
          }
        }
      }
    }
  }
  return cases;
}

/** Depthwise convolutions with channel multipliers 1 and 2. */
export function depthwiseCases(): ConvCase[] {
  const cases: ConvCase[] = [];
  const kernels: [number, number][] = [
    [1, 1],
    [3, 3],
    [2, 3],
  ];
  for (const [h, w] of SIZES) {
    for (const [kh, kw] of kernels) {
      for (const stride of [1, 2]) {
        for (const pad of PADS) {
          for (const dilation of [1, 2]) {
            for (const multiplier of [1, 2]) {
              const c: ConvCase = { input: [2, h, w, 3], filter: [kh, kw, 3, multiplier], strides: [stride, stride], dilations: [dilation, dilation], pad };
              if (fits(c)) cases.push(c);
            }
          }
        }
      }
    }
  }
  return cases;
}

export interface PoolCase {
  input: [number, number, number, number];
  filterSize: [number, number];
  strides: [number, number];
  pad: PadAttr;
}

export function poolCases(): PoolCase[] {
  const cases: PoolCase[] = [];
  const filters: [number, number][] = [
    [2, 2],
    [3, 3],
    [2, 3],
  ];
  for (const [h, w] of SIZES) {
    for (const filterSize of filters) {
      for (const stride of [1, 2, 3]) {
        for (const pad of ["valid", "same", 1] as PadAttr[]) {
          // tfjs sizes a numeric pool padding with the filter height on both axes.
          if (pad === 1 && filterSize[0] !== filterSize[1]) continue;
          cases.push({ input: [2, h, w, 3], filterSize, strides: [stride, stride], pad });
        }
      }
    }
  }
  return cases;
}

export const describeCase = (c: ConvCase | PoolCase): string => JSON.stringify(c);
