// Unit tests of each op's shape rule and counts, one describe per layer kind.

import { describe, expect, it } from "vitest";
import { outputOf, paramsOf } from "./check-helpers.js";

describe("conv", () => {
  it.each([
    [[32, 32, 3], "conv 8, kernel: 3", [30, 30, 8]],
    [[32, 32, 3], "conv 8, kernel: 3, padding: 1", [32, 32, 8]],
    [[32, 32, 3], "conv 8, kernel: 3, padding: same", [32, 32, 8]],
    [[32, 32, 3], "conv 8, kernel: 3, padding: valid", [30, 30, 8]],
    [[32, 32, 3], "conv 8, kernel: 3, stride: 2, padding: same", [16, 16, 8]],
    [[33, 33, 3], "conv 8, kernel: 3, stride: 2, padding: same", [17, 17, 8]],
    [[224, 224, 3], "conv 64, kernel: 7, stride: 2, padding: 3", [112, 112, 64]],
    [[32, 32, 3], "conv 8, kernel: 3, dilation: 2", [28, 28, 8]],
    [[32, 20, 3], "conv 8, kernel: [3, 5], padding: [1, 2]", [32, 20, 8]],
    [[32, 32, 3], "conv 8, kernel: 3, padding: [0, 1, 2, 3]", [31, 35, 8]],
    [[32, 32, 4], "conv 8, 3, groups: 2", [30, 30, 8]],
  ])("%j → %s", (input, layer, expected) => {
    expect(outputOf(input, layer)).toMatchObject({ shape: expected, codes: [] });
  });

  it("counts weights per group, bias per filter, and MACs per output element", () => {
    expect(paramsOf([8, 8, 4], "conv 8, kernel: 3, groups: 2, padding: 1")).toEqual({ trainable: 3 * 3 * 2 * 8 + 8, nonTrainable: 0, macs: 8 * 8 * 8 * 2 * 9 });
    expect(paramsOf([8, 8, 4], "conv 8, kernel: 1, bias: false")).toEqual({ trainable: 32, nonTrainable: 0, macs: 8 * 8 * 8 * 4 });
  });

  it.each([
    [[4, 4, 3], "conv 8, kernel: 5", "E0305"],
    [[8, 8, 6], "conv 8, kernel: 3, groups: 4", "E0309"],
    [[8, 8, 4], "conv 6, kernel: 3, groups: 4", "E0309"],
    [[8, 8, 3], "conv 8, kernel: 3, stride: 0", "E0206"],
    [[8, 8, 3], "conv 8, kernel: 3, padding: -1", "E0206"],
    [[8, 8, 3], "conv 8, kernel: 3, in_channels: 4", "E0301"],
    [[48], "conv 8, kernel: 3", "E0308"],
    [[8, 8, 3], "conv 8", "E0203"],
    [[8, 8, 3], "conv 8, kernel: 3, padding: sme", "E0205"],
    [[8, 8, 3], "conv 8, kernal: 3", "E0202"],
  ])("%j → %s reports %s", (input, layer, code) => {
    const result = outputOf(input, layer);
    expect(result.codes).toContain(code);
    expect(result.shape).toBeUndefined();
  });
});

describe("depthwise_conv and separable_conv", () => {
  it("keeps channels times the multiplier", () => {
    expect(outputOf([16, 16, 8], "depthwise_conv kernel: 3, padding: 1, multiplier: 2").shape).toEqual([16, 16, 16]);
    expect(paramsOf([16, 16, 8], "depthwise_conv kernel: 3, padding: 1, bias: false")).toEqual({ trainable: 72, nonTrainable: 0, macs: 16 * 16 * 8 * 9 });
  });
  it("separable conv counts depthwise and pointwise weights", () => {
    expect(outputOf([16, 16, 8], "separable_conv 32, kernel: 3, padding: 1").shape).toEqual([16, 16, 32]);
    expect(paramsOf([16, 16, 8], "separable_conv 32, kernel: 3, padding: 1").trainable).toBe(72 + 8 * 32 + 32);
  });
});

describe("transposed_conv", () => {
  it.each([
    [[16, 16, 8], "transposed_conv 4, kernel: 2, stride: 2", [32, 32, 4]],
    [[16, 16, 8], "transposed_conv 4, kernel: 3, stride: 2, padding: 1, output_padding: 1", [32, 32, 4]],
    [[16, 16, 8], "transposed_conv 4, kernel: 3, stride: 2, padding: 1", [31, 31, 4]],
    [[16, 16, 8], "transposed_conv 4, kernel: 3, stride: 2, padding: same", [32, 32, 4]],
  ])("%j → %s", (input, layer, expected) => {
    expect(outputOf(input, layer)).toMatchObject({ shape: expected, codes: [] });
  });
  it("rejects output_padding not smaller than the stride", () => {
    expect(outputOf([16, 16, 8], "transposed_conv 4, kernel: 3, stride: 2, output_padding: 2").codes).toEqual(["E0206"]);
  });
});

describe("pooling", () => {
  it.each([
    [[32, 32, 3], "maxpool 2", [16, 16, 3]],
    [[112, 112, 64], "maxpool 3, stride: 2, padding: 1", [56, 56, 64]],
    [[111, 111, 64], "maxpool 3, stride: 2", [55, 55, 64]],
    [[111, 111, 64], "maxpool 3, stride: 2, ceil_mode: true", [55, 55, 64]],
    [[56, 56, 64], "maxpool 3, stride: 2, ceil_mode: true", [28, 28, 64]],
    [[55, 55, 64], "maxpool 3, stride: 2, ceil_mode: true", [27, 27, 64]],
    [[13, 13, 8], "avgpool 2, ceil_mode: true", [7, 7, 8]],
    [[7, 7, 8], "avgpool 2, stride: 2, padding: same", [4, 4, 8]],
    [[14, 14, 8], "adaptive_avgpool 7", [7, 7, 8]],
    [[7, 7, 8], "global avgpool", [8]],
    [[7, 7, 8], "global maxpool, keepdims: true", [1, 1, 8]],
  ])("%j → %s", (input, layer, expected) => {
    expect(outputOf(input, layer)).toMatchObject({ shape: expected, codes: [] });
  });
  it.each([
    [[1, 1, 8], "maxpool 2", "E0305"],
    [[8, 8, 8], "maxpool 2, padding: 2", "E0206"],
    [[10, 10, 8], "adaptive_avgpool 3", "E0206"],
    [[8], "global avgpool", "E0308"],
  ])("%j → %s reports %s", (input, layer, code) => {
    expect(outputOf(input, layer).codes).toEqual([code]);
  });
});

describe("normalisation, dropout and activations", () => {
  it("batchnorm has two trainable and two running values per channel", () => {
    expect(paramsOf([8, 8, 16], "batchnorm")).toEqual({ trainable: 32, nonTrainable: 32, macs: 0 });
    expect(outputOf([8, 8, 16], "batchnorm, in_channels: 8").codes).toEqual(["E0301"]);
  });
  it("layernorm has a scale and shift per channel", () => {
    expect(paramsOf([8, 8, 16], "layernorm")).toEqual({ trainable: 32, nonTrainable: 0, macs: 0 });
  });
  it("dropout keeps the shape and needs a rate in [0, 1)", () => {
    expect(outputOf([10], "dropout 0.2").shape).toEqual([10]);
    expect(outputOf([10], "dropout 1.5").codes).toEqual(["E0206"]);
    expect(outputOf([10], "dropout 1").codes).toEqual(["E0206"]);
  });
  it.each(["relu", "relu6", "leaky_relu 0.2", "elu", "sigmoid", "tanh", "swish", "silu", "gelu", "softmax"])("%s keeps the shape", (layer) => {
    expect(outputOf([4, 4, 3], layer)).toMatchObject({ shape: [4, 4, 3], codes: [] });
  });
});

describe("dense, flatten, upsample, zero_pad", () => {
  it("dense needs a flat input and counts in·out + out", () => {
    expect(paramsOf([400], "dense 120")).toEqual({ trainable: 48_120, nonTrainable: 0, macs: 48_000 });
    expect(outputOf([5, 5, 16], "dense 120").codes).toEqual(["E0307"]);
    expect(outputOf([400], "dense 120, in_features: 300").codes).toEqual(["E0301"]);
  });
  it("flatten multiplies out every dimension", () => {
    expect(outputOf([5, 5, 16], "flatten").shape).toEqual([400]);
  });
  it("upsample scales height and width", () => {
    expect(outputOf([5, 6, 16], "upsample 2").shape).toEqual([10, 12, 16]);
    expect(outputOf([5, 6, 16], "upsample [2, 3], mode: bilinear").shape).toEqual([10, 18, 16]);
    expect(outputOf([5, 6, 16], "upsample 2, mode: cubic").codes).toEqual(["E0205"]);
  });
  it("zero_pad adds rows and columns", () => {
    expect(outputOf([5, 6, 16], "zero_pad 1").shape).toEqual([7, 8, 16]);
    expect(outputOf([5, 6, 16], "zero_pad [0, 1, 2, 3]").shape).toEqual([6, 11, 16]);
  });
});

describe("merges", () => {
  it("concat sums channels and needs equal height and width", () => {
    expect(outputOf([8, 8, 3], "conv 4, 1 as a\n  conv 5, 1\n  concat a").shape).toEqual([8, 8, 9]);
    expect(outputOf([8, 8, 3], "conv 4, 1 as a\n  maxpool 2\n  concat a").codes).toEqual(["E0303"]);
  });
  it("add needs equal shapes", () => {
    expect(outputOf([8, 8, 3], "conv 4, 1 as a\n  conv 4, 1\n  add a").shape).toEqual([8, 8, 4]);
    expect(outputOf([8, 8, 3], "conv 4, 1 as a\n  conv 5, 1\n  add a").codes).toEqual(["E0304"]);
  });
  it("join statements apply the same rules to branches", () => {
    expect(outputOf([8, 8, 3], "concat {\n branch {}\n branch { conv 5, 1 }\n }").shape).toEqual([8, 8, 8]);
    expect(outputOf([8, 8, 3], "add {\n branch {}\n branch { conv 5, 1 }\n }").codes).toEqual(["E0304"]);
  });
});

describe("channel_split and channel_shuffle", () => {
  it("split gives one of the equal slices; shuffle keeps the shape", () => {
    expect(outputOf([7, 7, 116], "channel_split 2, part: 1")).toMatchObject({ shape: [7, 7, 58], codes: [] });
    expect(outputOf([7, 7, 116], "channel_shuffle 2")).toMatchObject({ shape: [7, 7, 116], codes: [] });
    expect(paramsOf([7, 7, 116], "channel_shuffle 4")).toEqual({ trainable: 0, nonTrainable: 0, macs: 0 });
  });

  it.each([
    [[7, 7, 9], "channel_split 2, part: 0", "E0312"],
    [[7, 7, 8], "channel_split 2, part: 2", "E0206"],
    [[7, 7, 8], "channel_split 2", "E0203"],
    [[7, 7, 10], "channel_shuffle 4", "E0312"],
    [[40], "channel_shuffle 2", "E0308"],
  ])("%j → %s reports %s", (input, layer, code) => {
    const result = outputOf(input, layer);
    expect(result.codes).toContain(code);
    expect(result.shape).toBeUndefined();
  });
});

describe("hardswish, hardsigmoid, layer_scale and stochastic_depth", () => {
  it("keep the shape; layer scale learns one scale per channel", () => {
    for (const layer of ["hardswish", "hardsigmoid", "stochastic_depth 0.1", "layer_scale"]) expect(outputOf([5, 5, 12], layer)).toMatchObject({ shape: [5, 5, 12], codes: [] });
    expect(paramsOf([5, 5, 12], "layer_scale 0.000001")).toEqual({ trainable: 12, nonTrainable: 0, macs: 0 });
    expect(paramsOf([5, 5, 12], "stochastic_depth 0.2")).toEqual({ trainable: 0, nonTrainable: 0, macs: 0 });
  });

  it("stochastic depth's rate is a probability below 1", () => {
    expect(outputOf([5, 5, 12], "stochastic_depth 1").codes).toContain("E0206");
  });
});
