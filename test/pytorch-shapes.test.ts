// Cross-checks the shape rules of conv, transposed_conv, maxpool and avgpool against
// PyTorch itself over a grid of sizes, kernels, strides, paddings, dilations and groups:
// cnnc must give PyTorch's output shape, and report an error exactly where PyTorch fails.
// Needs Debian's python3-torch (installed by .ci/run).

import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { outputOf } from "./check-helpers.js";
import { ROOT } from "./helpers.js";

interface Case {
  op: "conv" | "transposed_conv" | "maxpool" | "avgpool";
  input: [number, number, number];
  kernel: number;
  stride: number;
  padding: number;
  dilation: number;
  groups: number;
  filters: number;
  output_padding: number;
  ceil_mode: boolean;
}

function grid(): Case[] {
  const cases: Case[] = [];
  const base = { dilation: 1, groups: 1, filters: 4, output_padding: 0, ceil_mode: false };
  for (const size of [1, 2, 3, 5, 7, 8, 13, 16]) {
    for (const kernel of [1, 2, 3, 5]) {
      for (const stride of [1, 2, 3]) {
        for (const padding of [0, 1, 2]) {
          for (const dilation of [1, 2]) cases.push({ ...base, op: "conv", input: [size, size + 1, 4], kernel, stride, padding, dilation, groups: dilation === 2 ? 2 : 1 });
          for (const ceil_mode of [false, true]) {
            cases.push({ ...base, op: "maxpool", input: [size, size + 2, 3], kernel, stride, padding, ceil_mode });
            cases.push({ ...base, op: "avgpool", input: [size, size, 3], kernel, stride, padding, ceil_mode });
          }
          for (const output_padding of [0, 1]) cases.push({ ...base, op: "transposed_conv", input: [size, size, 3], kernel, stride, padding, output_padding });
        }
      }
    }
  }
  return cases;
}

function layerText(c: Case): string {
  switch (c.op) {
    case "conv":
      return `conv ${c.filters}, kernel: ${c.kernel}, stride: ${c.stride}, padding: ${c.padding}, dilation: ${c.dilation}, groups: ${c.groups}`;
    case "transposed_conv":
      return `transposed_conv ${c.filters}, kernel: ${c.kernel}, stride: ${c.stride}, padding: ${c.padding}, output_padding: ${c.output_padding}`;
    default:
      return `${c.op} ${c.kernel}, stride: ${c.stride}, padding: ${c.padding}, ceil_mode: ${c.ceil_mode}`;
  }
}

describe("shape rules agree with PyTorch", () => {
  const cases = grid();
  const torchShapes = JSON.parse(
    execFileSync("/usr/bin/python3", [join(ROOT, "test", "pytorch", "shapes.py")], { input: JSON.stringify(cases), encoding: "utf8", maxBuffer: 64 << 20 }),
  ) as (number[] | "error")[];

  it(`over ${cases.length} cases`, () => {
    const disagreements: string[] = [];
    cases.forEach((c, i) => {
      const ours = outputOf(c.input, layerText(c));
      const theirs = torchShapes[i]!;
      const mine = ours.shape === undefined ? "error" : JSON.stringify(ours.shape);
      if (mine !== (theirs === "error" ? "error" : JSON.stringify(theirs))) {
        disagreements.push(`${JSON.stringify(c.input)} ${layerText(c)}: cnnc ${mine} (${ours.codes.join(",")}), PyTorch ${JSON.stringify(theirs)}`);
      }
    });
    expect(disagreements.slice(0, 60)).toEqual([]);
    expect(cases.length).toBeGreaterThan(1000);
  });
});
