// Convolutions: conv (with groups), depthwise_conv, separable_conv and transposed_conv.

import { channelsOf, samePadding, transposedOutput, windowOutput, type Dim, type Shape } from "../check/shape.js";
import { formatDim, mul, remainder } from "../check/symbolic.js";
import { biasArg, checkStatedChannels, checkWindowFits, dilationArg, inChannelsArg, kernelArg, paddingArg, pairArg, requireSpatial, resolvePadding, strideArg } from "./common.js";
import type { Args, OpDef, ShapeContext } from "./types.js";

/** Spatial output of a window op, after its fit checks; undefined when it does not fit. */
export function windowedSpatial(ctx: ShapeContext, kernelName = "kernel"): { h: Dim; w: Dim; pads: Dim[] } | undefined {
  const kernel = pairArg(ctx.args, kernelName);
  const stride = pairArg(ctx.args, "stride");
  const dilation = ctx.args["dilation"] === undefined ? ([1, 1] as const) : pairArg(ctx.args, "dilation");
  const padding = ctx.args["padding"] as Parameters<typeof resolvePadding>[0];
  const pads = resolvePadding(padding, ctx.input, kernel, stride, dilation, samePadding);
  const h = windowOutput(ctx.input[0]!, kernel[0], stride[0], pads[0], pads[1], dilation[0]);
  const w = windowOutput(ctx.input[1]!, kernel[1], stride[1], pads[2], pads[3], dilation[1]);
  if (!checkWindowFits(ctx, ctx.input, pads, kernel, dilation, [h, w])) return undefined;
  return { h, w, pads };
}

function kernelArea(args: Args): number {
  const [kh, kw] = pairArg(args, "kernel");
  return kh * kw;
}

export const conv: OpDef = {
  name: "conv",
  category: "convolution",
  doc: "2-D convolution (PyTorch Conv2d, tfjs conv2d): `filters` output channels from a kernel window.",
  args: [
    { name: "filters", type: { kind: "int", min: 1 }, positional: true, doc: "Number of output channels." },
    kernelArg(),
    strideArg(),
    paddingArg,
    dilationArg,
    { name: "groups", type: { kind: "int", min: 1 }, default: 1, doc: "Split channels into independent groups (groups = channels is depthwise)." },
    biasArg,
    inChannelsArg,
  ],
  inferShape(ctx) {
    if (!requireSpatial(ctx, "conv")) return undefined;
    const inChannels = channelsOf(ctx.input);
    checkStatedChannels(ctx, "in_channels", inChannels);
    const groups = ctx.args["groups"] as number;
    const filters = ctx.args["filters"] as number;
    const inputDivides = ctx.holds(remainder(inChannels, groups), "==", 0);
    if (!inputDivides || filters % groups !== 0) {
      const bad = !inputDivides ? `the ${typeof inChannels === "number" ? plural(inChannels, "input channel") : `${formatDim(inChannels)} input channels`}` : `the ${plural(filters, "filter")}`;
      ctx.report("E0309", `groups: ${groups} does not divide ${bad}`, {
        arg: "groups",
        help: typeof inChannels === "number" ? groupsHelp(inChannels, filters) : `use a number of groups that divides ${filters}`,
      });
      return undefined;
    }
    const spatial = windowedSpatial(ctx);
    return spatial && [spatial.h, spatial.w, filters];
  },
  params(input, output, args) {
    const groups = args["groups"] as number;
    const weights = kernelArea(args) * (channelsOf(input) / groups) * channelsOf(output);
    return { trainable: weights + (args["bias"] ? channelsOf(output) : 0), nonTrainable: 0 };
  },
  macs(input, output, args) {
    return output[0]! * output[1]! * channelsOf(output) * (channelsOf(input) / (args["groups"] as number)) * kernelArea(args);
  },
};

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function groupsHelp(inChannels: number, filters: number): string {
  let x = inChannels;
  let y = filters;
  while (y !== 0) [x, y] = [y, x % y];
  if (x === 1) return `${inChannels} and ${filters} have no common divisor above 1: use groups: 1`;
  if (inChannels === filters) return `use a divisor of ${inChannels}, such as ${x} for a depthwise convolution`;
  return `use a number of groups that divides both ${inChannels} and ${filters}, such as ${x}`;
}

export const depthwiseConv: OpDef = {
  name: "depthwise_conv",
  category: "convolution",
  doc: "Depthwise 2-D convolution: one kernel per input channel (`multiplier` outputs each).",
  args: [
    kernelArg(),
    strideArg(),
    paddingArg,
    dilationArg,
    { name: "multiplier", type: { kind: "int", min: 1 }, default: 1, doc: "Output channels per input channel." },
    biasArg,
    inChannelsArg,
  ],
  inferShape(ctx) {
    if (!requireSpatial(ctx, "depthwise_conv")) return undefined;
    checkStatedChannels(ctx, "in_channels", channelsOf(ctx.input));
    const spatial = windowedSpatial(ctx);
    return spatial && [spatial.h, spatial.w, mul(channelsOf(ctx.input), ctx.args["multiplier"] as number)];
  },
  params(_input, output, args) {
    return { trainable: kernelArea(args) * channelsOf(output) + (args["bias"] ? channelsOf(output) : 0), nonTrainable: 0 };
  },
  macs(_input, output, args) {
    return output[0]! * output[1]! * channelsOf(output) * kernelArea(args);
  },
};

export const separableConv: OpDef = {
  name: "separable_conv",
  category: "convolution",
  doc: "Depthwise convolution followed by a 1x1 pointwise convolution to `filters` channels.",
  args: [
    { name: "filters", type: { kind: "int", min: 1 }, positional: true, doc: "Number of output channels." },
    kernelArg(),
    strideArg(),
    paddingArg,
    dilationArg,
    { name: "multiplier", type: { kind: "int", min: 1 }, default: 1, doc: "Depthwise output channels per input channel." },
    biasArg,
    inChannelsArg,
  ],
  inferShape(ctx) {
    if (!requireSpatial(ctx, "separable_conv")) return undefined;
    checkStatedChannels(ctx, "in_channels", channelsOf(ctx.input));
    const spatial = windowedSpatial(ctx);
    return spatial && [spatial.h, spatial.w, ctx.args["filters"] as number];
  },
  params(input, output, args) {
    const depthwiseOut = channelsOf(input) * (args["multiplier"] as number);
    const trainable = kernelArea(args) * depthwiseOut + depthwiseOut * channelsOf(output) + (args["bias"] ? channelsOf(output) : 0);
    return { trainable, nonTrainable: 0 };
  },
  macs(input, output, args) {
    const depthwiseOut = channelsOf(input) * (args["multiplier"] as number);
    return output[0]! * output[1]! * (depthwiseOut * kernelArea(args) + depthwiseOut * channelsOf(output));
  },
};

export const transposedConv: OpDef = {
  name: "transposed_conv",
  category: "convolution",
  doc: "Transposed 2-D convolution (PyTorch ConvTranspose2d): learned upsampling.",
  args: [
    { name: "filters", type: { kind: "int", min: 1 }, positional: true, doc: "Number of output channels." },
    kernelArg(),
    strideArg(),
    { ...paddingArg, doc: "PyTorch-style padding removed from the output: a number, [h, w], [top, bottom, left, right], `same` (output = input × stride) or `valid`." },
    { name: "output_padding", type: { kind: "pair", min: 0 }, default: 0, doc: "Extra rows and columns added to one side of the output." },
    biasArg,
    inChannelsArg,
  ],
  inferShape(ctx) {
    if (!requireSpatial(ctx, "transposed_conv")) return undefined;
    checkStatedChannels(ctx, "in_channels", channelsOf(ctx.input));
    const kernel = pairArg(ctx.args, "kernel");
    const stride = pairArg(ctx.args, "stride");
    const outputPadding = pairArg(ctx.args, "output_padding");
    if (outputPadding[0] >= stride[0] || outputPadding[1] >= stride[1]) {
      ctx.report("E0206", `output_padding must be smaller than the stride (${stride.join("×")})`, { arg: "output_padding", help: "reduce output_padding or increase the stride" });
      return undefined;
    }
    const padding = ctx.args["padding"] as Parameters<typeof resolvePadding>[0];
    let h: Dim;
    let w: Dim;
    if (padding.mode === "same") {
      h = mul(ctx.input[0]!, stride[0]);
      w = mul(ctx.input[1]!, stride[1]);
    } else {
      const pads = padding.mode === "valid" ? [0, 0, 0, 0] : [padding.top, padding.bottom, padding.left, padding.right];
      h = transposedOutput(ctx.input[0]!, kernel[0], stride[0], pads[0]!, pads[1]!, outputPadding[0], 1);
      w = transposedOutput(ctx.input[1]!, kernel[1], stride[1], pads[2]!, pads[3]!, outputPadding[1], 1);
    }
    if (!ctx.holds(h, ">=", 1) || !ctx.holds(w, ">=", 1)) {
      ctx.report("E0306", `would output ${formatDim(h)}×${formatDim(w)}, which has no elements`, { arg: "padding", help: "reduce the padding" });
      return undefined;
    }
    return [h, w, ctx.args["filters"] as number];
  },
  params(input, output, args) {
    return { trainable: kernelArea(args) * channelsOf(input) * channelsOf(output) + (args["bias"] ? channelsOf(output) : 0), nonTrainable: 0 };
  },
  macs(input, output, args) {
    // Every input pixel is multiplied by the whole kernel for every output channel.
    return input[0]! * input[1]! * channelsOf(input) * channelsOf(output) * kernelArea(args);
  },
};

export type { Shape };
