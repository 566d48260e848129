// Matching a state_dict to a model by structure (src/convert/match.ts), on synthetic
// state_dicts: order, shapes, out-of-order modules, pins and the flatten reordering.

import { describe, expect, it } from "vitest";
import { explainMatch, matchStateDict, MatchError, parsePins } from "../src/convert/match.js";
import { weightMap, type Tensor } from "../src/convert/weights.js";
import { lowerText } from "./tfjs-helpers.js";

const MODEL = `model Net {
  input image: [2, 2, 3]
  conv 4, kernel: 1, bias: false -> batchnorm
  conv 4, kernel: 1
  flatten
  dense 5
}
`;

const tensor = (shape: number[], fill: (i: number) => number = (i) => i): Tensor => ({ shape, dtype: "float32", data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => fill(i)) });

function foreign(entries: [string, number[]][]): Map<string, Tensor> {
  return new Map(entries.map(([key, shape]) => [key, tensor(shape)]));
}

const { ir, spec } = lowerText(MODEL);
const map = weightMap(ir, spec);
const TORCHVISION_STYLE: [string, number[]][] = [
  ["stem.conv.weight", [4, 3, 1, 1]],
  ["stem.bn.weight", [4]],
  ["stem.bn.bias", [4]],
  ["stem.bn.running_mean", [4]],
  ["stem.bn.running_var", [4]],
  ["body.weight", [4, 4, 1, 1]],
  ["body.bias", [4]],
  ["fc.weight", [5, 16]],
  ["fc.bias", [5]],
];

describe("matching a state_dict by structure", () => {
  it("pairs modules with layers by order and shape, whatever the keys", () => {
    const report = matchStateDict(ir, map, foreign(TORCHVISION_STYLE));
    expect(report.matches.map((m) => [m.layer.prefix, m.module.prefix, m.how])).toEqual([
      ["conv_1", "stem.conv", "order"],
      ["batchnorm_1", "stem.bn", "order"],
      ["conv_2", "body", "order"],
      ["dense_1", "fc", "order"],
    ]);
    expect(report.skipped).toEqual([]);
    expect(report.unused).toEqual([]);
    expect([...report.state.keys()]).toEqual(map.pairs.map((p) => p.torch));
  });

  it("reorders a dense layer's columns from PyTorch's channels-first flattening", () => {
    const report = matchStateDict(ir, map, foreign(TORCHVISION_STYLE));
    const weight = report.state.get("dense_1.weight")!.data as Float32Array;
    // PyTorch's column c·4 + h·2 + w is cnnc's column (h·2 + w)·4 + c.
    for (let c = 0; c < 4; c++) for (let p = 0; p < 4; p++) expect(weight[p * 4 + c]).toBe(c * 4 + p);
  });

  it("takes model.py's own state_dict by name, without reordering", () => {
    const own = new Map(map.pairs.map((p) => [p.torch, tensor(p.torchShape)]));
    const report = matchStateDict(ir, map, own);
    expect(report.matches.every((m) => m.how === "name")).toBe(true);
    expect(Array.from(report.state.get("dense_1.weight")!.data as Float32Array)).toEqual(Array.from(own.get("dense_1.weight")!.data as Float32Array));
    // A map file still starts a layer fresh, here the head of another task of the same size.
    const fresh = matchStateDict(ir, map, own, parsePins('{ "dense_1": null }'));
    expect(fresh.skipped.map((s) => s.layer.prefix)).toEqual(["dense_1"]);
    expect(fresh.state.has("dense_1.weight")).toBe(false);
    expect(fresh.unused).toEqual([]);
  });

  it("a module registered out of order still matches, and says so", () => {
    const swapped = [...TORCHVISION_STYLE.slice(5, 7), ...TORCHVISION_STYLE.slice(0, 5), ...TORCHVISION_STYLE.slice(7)];
    const report = matchStateDict(ir, map, foreign(swapped));
    expect(report.matches.find((m) => m.layer.prefix === "conv_2")).toMatchObject({ module: { prefix: "body" } });
    expect(report.matches.filter((m) => m.how === "out of order")).toHaveLength(1);
    expect(explainMatch(report)).toContain("[out of order]");
  });

  it("a head of another size is skipped with the module in its place; pins override", () => {
    const other = TORCHVISION_STYLE.map(([k, s]): [string, number[]] => (k === "fc.weight" ? [k, [9, 16]] : k === "fc.bias" ? [k, [9]] : [k, s]));
    const report = matchStateDict(ir, map, foreign(other));
    expect(report.skipped.map((s) => [s.layer.prefix, s.candidate?.prefix])).toEqual([["dense_1", "fc"]]);
    expect(report.unused.map((m) => m.prefix)).toEqual(["fc"]);
    const fresh = matchStateDict(ir, map, foreign(TORCHVISION_STYLE), parsePins('{ "dense_1": null }'));
    expect(fresh.skipped).toMatchObject([{ pinned: true }]);
    expect(() => matchStateDict(ir, map, foreign(TORCHVISION_STYLE), parsePins('{ "conv_1": "fc" }'))).toThrow(MatchError);
    expect(() => parsePins("[1]")).toThrow(/JSON object/);
  });
});
