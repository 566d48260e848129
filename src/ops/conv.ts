// Convolutions: conv (with groups), depthwise_conv, separable_conv and transposed_conv.

import { channelsOf, samePadding, transposedOutput, windowOutput, type Dim, type Shape } from "../shape/shape.js";
import { formatDim, mul, remainder } from "../shape/symbolic.js";
import { biasArg, checkStatedChannels, checkWindowFits, dilationArg, explicitPads, inChannelsArg, kernelArg, paddingArg, pairArg, requireSpatial, resolvePadding, strideArg, windowField } from "./common.js";
import { convKernel, depthwiseKernel, transposedKernel, vector } from "./layout.js";
import type { Args, FieldRule, OpDef, Padding, Pads, Pair, ShapeContext, WeightPair } from "./types.js";

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

/** The window attributes every convolution's IR form has, in the IR's order. */
function windowIr(args: Args, input: readonly number[]): { kernel: Pair; stride: Pair; padding: Pads; dilation: Pair } {
  const kernel = pairArg(args, "kernel");
  const stride = pairArg(args, "stride");
  const dilation = pairArg(args, "dilation");
  return { kernel, stride, padding: explicitPads(args["padding"] as Padding, input, kernel, stride, dilation), dilation };
}

const convField: FieldRule = (input, args) => windowField(input, pairArg(args, "kernel"), pairArg(args, "stride"), pairArg(args, "dilation"));

const biasOf = (bias: boolean, layer: string, torch: string, channels: number): WeightPair[] => (bias ? [vector(`${layer}/bias`, `${torch}.bias`, channels)] : []);

function kernelArea(args: Args): number {
  const [kh, kw] = pairArg(args, "kernel");
  return kh * kw;
}

export interface ConvIr {
  op: "conv";
  filters: number;
  kernel: Pair;
  stride: Pair;
  padding: Pads;
  dilation: Pair;
  groups: number;
  bias: boolean;
}

export const conv: OpDef<ConvIr> = {
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
  toIr: (args, input) => ({ op: "conv", filters: args["filters"] as number, ...windowIr(args, input), groups: args["groups"] as number, bias: args["bias"] as boolean }),
  irDoc: "`filters`, `kernel`, `stride`, `padding`, `dilation`, `groups`, `bias`",
  field: convField,
  memory: { torch: "inputs", tfjs: 2 },
  weights(a, { layer, torch, inChannels, outChannels }) {
    const [kh, kw] = a.kernel;
    // groups = channels is lowered to a tfjs depthwise layer, other groups keep one kernel with in/groups inputs.
    const kernel =
      a.groups > 1 && a.groups === inChannels
        ? depthwiseKernel(`${layer}/depthwise_kernel`, `${torch}.weight`, kh, kw, inChannels, a.filters / inChannels)
        : convKernel(`${layer}/kernel`, `${torch}.weight`, kh, kw, inChannels / a.groups, a.filters);
    return [kernel, ...biasOf(a.bias, layer, torch, outChannels)];
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

export interface DepthwiseConvIr {
  op: "depthwise_conv";
  kernel: Pair;
  stride: Pair;
  padding: Pads;
  dilation: Pair;
  multiplier: number;
  bias: boolean;
}

export const depthwiseConv: OpDef<DepthwiseConvIr> = {
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
  toIr: (args, input) => ({ op: "depthwise_conv", ...windowIr(args, input), multiplier: args["multiplier"] as number, bias: args["bias"] as boolean }),
  irDoc: "`kernel`, `stride`, `padding`, `dilation`, `multiplier`, `bias`",
  field: convField,
  memory: { torch: "inputs", tfjs: 3 },
  weights: (a, { layer, torch, inChannels, outChannels }) => [
    depthwiseKernel(`${layer}/depthwise_kernel`, `${torch}.weight`, a.kernel[0], a.kernel[1], inChannels, a.multiplier),
    ...biasOf(a.bias, layer, torch, outChannels),
  ],
};

export interface SeparableConvIr {
  op: "separable_conv";
  filters: number;
  kernel: Pair;
  stride: Pair;
  padding: Pads;
  dilation: Pair;
  multiplier: number;
  bias: boolean;
}

export const separableConv: OpDef<SeparableConvIr> = {
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
  toIr: (args, input) => ({ op: "separable_conv", filters: args["filters"] as number, ...windowIr(args, input), multiplier: args["multiplier"] as number, bias: args["bias"] as boolean }),
  irDoc: "`filters`, `kernel`, `stride`, `padding`, `dilation`, `multiplier`, `bias`",
  field: convField,
  memory: { torch: "inputs", tfjs: 5 },
  weights(a, { layer, torch, inChannels, outChannels }) {
    const [kh, kw] = a.kernel;
    const depthwiseOut = inChannels * a.multiplier;
    const bias = a.bias ? [vector(`${layer}/bias`, `${torch}.pointwise.bias`, outChannels)] : [];
    // With a multiplier above 1 the tfjs lowering uses a depthwise layer and a 1x1 conv (see tfjs-lowering.ts).
    if (a.multiplier === 1) {
      return [depthwiseKernel(`${layer}/depthwise_kernel`, `${torch}.depthwise.weight`, kh, kw, inChannels, 1), convKernel(`${layer}/pointwise_kernel`, `${torch}.pointwise.weight`, 1, 1, depthwiseOut, a.filters), ...bias];
    }
    return [depthwiseKernel(`${layer}_depthwise/depthwise_kernel`, `${torch}.depthwise.weight`, kh, kw, inChannels, a.multiplier), convKernel(`${layer}/kernel`, `${torch}.pointwise.weight`, 1, 1, depthwiseOut, a.filters), ...bias];
  },
};

/** PyTorch's convention: `padding` rows and columns are removed from the full output, `outputPadding` added at the bottom and right. */
export interface TransposedConvIr {
  op: "transposed_conv";
  filters: number;
  kernel: Pair;
  stride: Pair;
  padding: Pads;
  outputPadding: Pair;
  bias: boolean;
}

/** TensorFlow's `same` for a transposed convolution crops max(k − s, 0), the smaller half first. */
function transposedSamePads(kernel: Pair, stride: Pair): Pads {
  const crop = (k: number, s: number): [number, number] => {
    const total = Math.max(k - s, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  };
  const [top, bottom] = crop(kernel[0], stride[0]);
  const [left, right] = crop(kernel[1], stride[1]);
  return [top, bottom, left, right];
}

export const transposedConv: OpDef<TransposedConvIr> = {
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
  toIr(args) {
    const kernel = pairArg(args, "kernel");
    const stride = pairArg(args, "stride");
    const p = args["padding"] as Padding;
    const padding: Pads = p.mode === "same" ? transposedSamePads(kernel, stride) : p.mode === "valid" ? [0, 0, 0, 0] : [p.top, p.bottom, p.left, p.right];
    return { op: "transposed_conv", filters: args["filters"] as number, kernel, stride, padding, outputPadding: pairArg(args, "output_padding"), bias: args["bias"] as boolean };
  },
  irDoc: "`filters`, `kernel`, `stride`, `padding` (rows and columns cropped from the full output, PyTorch's convention), `outputPadding`, `bias`",
  field(input, args) {
    const step = pairArg(args, "stride");
    const upsampled = { size: input.size, stride: [input.stride[0] / step[0], input.stride[1] / step[1]] as Pair };
    return windowField(upsampled, pairArg(args, "kernel"), [1, 1]);
  },
  memory: { torch: "inputs", tfjs: 4.25 },
  weights(a, { layer, torch, inChannels, outChannels, tfLayers }) {
    // The lowering names the uncropped layer `<name>_full` when it crops after it.
    const tfLayer = tfLayers.has(`${layer}_full`) ? `${layer}_full` : layer;
    return [transposedKernel(`${tfLayer}/kernel`, `${torch}.weight`, a.kernel[0], a.kernel[1], inChannels, a.filters), ...biasOf(a.bias, tfLayer, torch, outChannels)];
  },
};

export type { Shape };
