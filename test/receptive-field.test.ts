// Receptive field and output stride, against the values published for classic networks
// (Araujo et al., "Computing Receptive Fields of Convolutional Neural Networks", Distill 2019).

import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { compile } from "../src/compile.js";
import { summarize } from "../src/summary/summary.js";
import { EXAMPLES, read } from "./helpers.js";
import { outputOf } from "./check-helpers.js";

function layers(name: string) {
  const text = read(join(EXAMPLES, `${name}.cnn`));
  return summarize(compile(text).models.at(-1)!, text).layers;
}

function lastOf(name: string, op: string) {
  return layers(name).filter((l) => l.op === op).at(-1)!;
}

describe("receptive field", () => {
  it("AlexNet's last max pool sees 195 pixels at stride 32", () => {
    expect(lastOf("alexnet", "maxpool")).toMatchObject({ receptiveField: [195, 195], outputStride: [32, 32] });
  });
  it("VGG-16's last conv sees 196 pixels and its last pool 212", () => {
    expect(lastOf("vgg16", "conv")).toMatchObject({ receptiveField: [196, 196], outputStride: [16, 16] });
    expect(lastOf("vgg16", "maxpool")).toMatchObject({ receptiveField: [212, 212], outputStride: [32, 32] });
  });
  it("ResNet-18's last conv sees 435 pixels at stride 32", () => {
    expect(lastOf("resnet18", "conv")).toMatchObject({ receptiveField: [435, 435], outputStride: [32, 32] });
  });
  it("dilation widens the field; upsampling shrinks the stride", () => {
    const dilated = compile("model M {\n  input x: [32, 32, 3]\n  conv 4, kernel: 3, dilation: 2\n}\n").models[0]!;
    expect(dilated.nodes.at(-1)!.field).toEqual({ size: [5, 5], stride: [1, 1] });
    const up = compile("model M {\n  input x: [32, 32, 3]\n  conv 4, kernel: 2, stride: 2\n  upsample 2\n  conv 4, kernel: 3, padding: 1\n}\n").models[0]!;
    expect(up.nodes.at(-1)!.field).toEqual({ size: [4, 4], stride: [1, 1] });
  });
  it("flat-input models have no field", () => {
    expect(outputOf([16], "dense 4").codes).toEqual([]);
    expect(compile("model M {\n  input x: [16]\n  dense 4\n}\n").models[0]!.nodes.at(-1)!.field).toBeUndefined();
  });
});
