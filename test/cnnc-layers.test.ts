// cnnc's own tfjs layers (src/runtime/layers.ts) where PyTorch parity cannot see them:
// stochastic depth while training, and the channel shuffle's order on known values.

import { beforeAll, describe, expect, it } from "vitest";
import { buildTfjsModel } from "../src/emit/tfjs-build.js";
import type { Tf } from "../src/runtime/tf.js";
import { loadTfjs } from "../src/runtime/backend.js";
import { lowerText } from "./tfjs-helpers.js";

let tf: Tf;
beforeAll(async () => {
  tf = (await loadTfjs("cpu")).tf;
});

const model = (body: string, input: string): ReturnType<typeof buildTfjsModel> => buildTfjsModel(tf, lowerText(`model M {\n  input x: ${input}\n  ${body}\n}\n`, 1).spec);

describe("cnnc's tfjs layers", () => {
  it("stochastic depth drops whole examples while training, scaling the rest, and is the identity at inference", () => {
    const m = model("stochastic_depth 0.5", "[2, 2, 3]");
    const ones = tf.ones([64, 2, 2, 3]);
    const trained = (m.apply(ones, { training: true }) as ReturnType<Tf["tensor"]>).reshape([64, 12]).arraySync() as number[][];
    for (const example of trained) expect(new Set(example).size).toBe(1);
    const kept = trained.filter((example) => example[0] === 2).length;
    expect(trained.every((example) => example[0] === 0 || example[0] === 2)).toBe(true);
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(64);
    expect(Array.from((m.predict(ones) as ReturnType<Tf["tensor"]>).dataSync())).toEqual(new Array(64 * 12).fill(1));
  });

  it("channel shuffle moves channel i·(C/groups) + j to j·groups + i, and a split takes its slice", () => {
    const channels = tf.range(0, 6).reshape([1, 1, 1, 6]);
    expect(Array.from((model("channel_shuffle 2", "[1, 1, 6]").predict(channels) as ReturnType<Tf["tensor"]>).dataSync())).toEqual([0, 3, 1, 4, 2, 5]);
    expect(Array.from((model("channel_shuffle 3", "[1, 1, 6]").predict(channels) as ReturnType<Tf["tensor"]>).dataSync())).toEqual([0, 2, 4, 1, 3, 5]);
    expect(Array.from((model("channel_split 3, part: 1", "[1, 1, 6]").predict(channels) as ReturnType<Tf["tensor"]>).dataSync())).toEqual([2, 3]);
  });

  it("hard-sigmoid and hard-swish are PyTorch's", () => {
    const x = tf.tensor([-4, -3, -1.5, 0, 1.5, 3, 4]).reshape([1, 1, 1, 7]);
    const out = (body: string): number[] => Array.from((model(body, "[1, 1, 7]").predict(x) as ReturnType<Tf["tensor"]>).dataSync());
    const gate = [-4, -3, -1.5, 0, 1.5, 3, 4].map((v) => Math.min(Math.max(v + 3, 0), 6) / 6);
    out("hardsigmoid").forEach((v, i) => expect(v).toBeCloseTo(gate[i]!, 6));
    out("hardswish").forEach((v, i) => expect(v).toBeCloseTo([-4, -3, -1.5, 0, 1.5, 3, 4][i]! * gate[i]!, 6));
  });
});
