// The index arithmetic behind cnnc's backward kernels, checked by brute force.

import { describe, expect, it } from "vitest";
import { convGeometry, transposedPhases, usedTrailingPad } from "../../src/kernels/geometry.js";
import { tf } from "./setup.js";

/** Every (dy row, tap) pair that reaches input row y: y + pad = o·s + k. */
function contributions(y: number, outSize: number, kernel: number, stride: number, pad: number): string[] {
  const pairs: string[] = [];
  for (let o = 0; o < outSize; o++) {
    for (let k = 0; k < kernel; k++) if (o * stride + k === y + pad) pairs.push(`${o}:${k}`);
  }
  return pairs.sort();
}

describe("transposedPhases", () => {
  it("splits a strided transposed convolution into correlations that reach exactly the right taps", () => {
    let checked = 0;
    for (const inSize of [1, 2, 5, 8, 9, 16]) {
      for (const kernel of [1, 2, 3, 4, 5]) {
        for (const stride of [1, 2, 3]) {
          for (const pad of [0, 1, 2]) {
            if (inSize + 2 * pad < kernel) continue;
            const outSize = Math.floor((inSize + 2 * pad - kernel) / stride) + 1;
            const phases = transposedPhases(inSize, outSize, kernel, stride, pad);
            expect(phases.map((p) => p.offset)).toEqual([...Array(Math.min(stride, inSize)).keys()]);
            for (const phase of phases) {
              // The phase is a stride-1 correlation: padded length − taps + 1 outputs.
              if (phase.taps > 0) expect(outSize + phase.padBefore + phase.padAfter - phase.taps + 1).toBe(phase.outputs);
              for (let m = 0; m < phase.outputs; m++) {
                const y = phase.offset + m * stride;
                const reached: string[] = [];
                for (let j = 0; j < phase.taps; j++) {
                  const o = m + j - phase.padBefore;
                  if (o >= 0 && o < outSize) reached.push(`${o}:${phase.first + stride * (phase.taps - 1 - j)}`);
                }
                expect(reached.sort()).toEqual(contributions(y, outSize, kernel, stride, pad));
                checked++;
              }
            }
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });
});

describe("convGeometry", () => {
  it("cuts the trailing padding to what the last window reads", () => {
    // 32 rows, 3×3 stride 2, TensorFlow's `same`: 0 rows on top, 1 at the bottom.
    expect(convGeometry(tf, [1, 32, 32, 4], [3, 3, 4, 8], 2, 1, "same", undefined).pads).toEqual([0, 1, 0, 1]);
    // 32 rows, 1×1 stride 2, no padding: the last row is never read.
    expect(convGeometry(tf, [1, 32, 32, 4], [1, 1, 4, 8], 2, 1, "valid", undefined).pads).toEqual([0, -1, 0, -1]);
    // Explicit padding wider than the windows reach.
    expect(convGeometry(tf, [1, 10, 7, 4], [3, 3, 4, 8], 3, 1, [[0, 0], [2, 2], [1, 1], [0, 0]], undefined).pads).toEqual([2, 0, 1, 1]);
  });

  it("resolves dilation and depthwise multipliers as tfjs does", () => {
    const g = convGeometry(tf, [2, 9, 9, 3], [3, 3, 3, 2], 1, 2, "valid", undefined, true);
    expect([g.outH, g.outW, g.outC, g.dilationH, g.pads[1]]).toEqual([5, 5, 6, 2, 0]);
    expect(usedTrailingPad(9, 5, 3, 1, 2, 0)).toBe(0);
  });
});
