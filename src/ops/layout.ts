// Weight layouts, tfjs ⇄ PyTorch, for op definitions' `weights`:
//   conv kernel        tfjs [kh, kw, in, out]   ↔ torch [out, in, kh, kw]
//   depthwise kernel   tfjs [kh, kw, in, mult]  ↔ torch [in·mult, 1, kh, kw]
//   transposed kernel  tfjs [kh, kw, out, in]   ↔ torch [in, out, kh, kw]
//   dense kernel       tfjs [in, out]           ↔ torch [out, in]
//   vectors (biases, scales, statistics) are the same in both.

import type { WeightPair } from "./types.js";

export function convKernel(tfjs: string, torch: string, kh: number, kw: number, inC: number, outC: number): WeightPair {
  return { tfjs, torch, permutation: [3, 2, 0, 1], tfjsShape: [kh, kw, inC, outC], torchShape: [outC, inC, kh, kw] };
}

export function depthwiseKernel(tfjs: string, torch: string, kh: number, kw: number, channels: number, multiplier: number): WeightPair {
  return { tfjs, torch, permutation: [2, 3, 0, 1], tfjsShape: [kh, kw, channels, multiplier], torchShape: [channels * multiplier, 1, kh, kw] };
}

export function transposedKernel(tfjs: string, torch: string, kh: number, kw: number, inC: number, outC: number): WeightPair {
  return { tfjs, torch, permutation: [3, 2, 0, 1], tfjsShape: [kh, kw, outC, inC], torchShape: [inC, outC, kh, kw] };
}

export function denseKernel(tfjs: string, torch: string, inC: number, outC: number): WeightPair {
  return { tfjs, torch, permutation: [1, 0], tfjsShape: [inC, outC], torchShape: [outC, inC] };
}

export function vector(tfjs: string, torch: string, length: number): WeightPair {
  return { tfjs, torch, permutation: [0], tfjsShape: [length], torchShape: [length] };
}
