// Dense layers, flattening, and spatial resizing (upsample, zero_pad).

import { channelsOf, elementCount, formatShape } from "../shape/shape.js";
import { add, formatDim, mul } from "../shape/symbolic.js";
import { checkStatedChannels, pairOf, requireSpatial } from "./common.js";
import { denseKernel, vector } from "./layout.js";
import { NO_PARAMS, type OpDef, type Padding, type Pads, type Pair } from "./types.js";

export const dense: OpDef<{ op: "dense"; units: number; bias: boolean }> = {
  name: "dense",
  category: "core",
  doc: "Fully connected layer (PyTorch Linear, Keras Dense) on a flat [features] tensor.",
  args: [
    { name: "units", type: { kind: "int", min: 1 }, positional: true, doc: "Number of outputs." },
    { name: "bias", type: { kind: "bool" }, default: true, doc: "Whether the layer adds a learned bias." },
    { name: "in_features", type: { kind: "int", min: 1 }, optional: true, doc: "The input features you expect, PyTorch-style; the checker verifies them." },
  ],
  inferShape(ctx) {
    if (ctx.input.length !== 1) {
      ctx.report("E0307", `needs a flat [features] input, but gets ${formatShape(ctx.input)}`, {
        help: `insert \`flatten\` (giving [${formatDim(elementCount(ctx.input))}]) or \`global avgpool\` (giving [${formatDim(channelsOf(ctx.input))}]) before it`,
        fixes: [],
      });
      return undefined;
    }
    checkStatedChannels(ctx, "in_features", ctx.input[0]!, "input features");
    return [ctx.args["units"] as number];
  },
  params(input, output, args) {
    return { trainable: input[0]! * output[0]! + (args["bias"] ? output[0]! : 0), nonTrainable: 0 };
  },
  macs: (input, output) => input[0]! * output[0]!,
  toIr: (args) => ({ op: "dense", units: args["units"] as number, bias: args["bias"] as boolean }),
  irDoc: "`units`, `bias`",
  field: "pointwise",
  memory: { torch: "inputs", tfjs: 2 },
  weights: (a, { layer, torch, inChannels }) => [denseKernel(`${layer}/kernel`, `${torch}.weight`, inChannels, a.units), ...(a.bias ? [vector(`${layer}/bias`, `${torch}.bias`, a.units)] : [])],
};

export const flatten: OpDef<{ op: "flatten" }> = {
  name: "flatten",
  category: "reshape",
  doc: "Flattens [height, width, channels] into [features], in channels-last order.",
  args: [],
  inferShape: (ctx) => [elementCount(ctx.input)],
  params: () => NO_PARAMS,
  macs: () => 0,
  toIr: () => ({ op: "flatten" }),
  irDoc: "— (channels-last order: H, then W, then C)",
  field: "pointwise",
  memory: { torch: "none", tfjs: 1 },
  weights: "none",
};

export const upsample: OpDef<{ op: "upsample"; scale: Pair; mode: "nearest" | "bilinear" }> = {
  name: "upsample",
  category: "reshape",
  doc: "Repeats (nearest) or interpolates (bilinear) pixels to scale height and width.",
  args: [
    { name: "scale", type: { kind: "pair", min: 1 }, positional: true, default: 2, doc: "Whole-number scale factor: a number or [height, width]." },
    { name: "mode", type: { kind: "enum", values: ["nearest", "bilinear"] }, default: "nearest", doc: "Interpolation: `nearest` or `bilinear`." },
  ],
  inferShape(ctx) {
    if (!requireSpatial(ctx, "upsample")) return undefined;
    const [sh, sw] = pairOf(ctx.args["scale"]);
    return [mul(ctx.input[0]!, sh), mul(ctx.input[1]!, sw), channelsOf(ctx.input)];
  },
  params: () => NO_PARAMS,
  macs: () => 0,
  toIr: (args) => ({ op: "upsample", scale: pairOf(args["scale"]), mode: args["mode"] as "nearest" | "bilinear" }),
  irDoc: "`scale`, `mode` (`nearest` or `bilinear`)",
  field(input, args) {
    const [sh, sw] = pairOf(args["scale"]);
    return { size: input.size, stride: [input.stride[0] / sh, input.stride[1] / sw] };
  },
  memory: { torch: "none", tfjs: 3.25 },
  weights: "none",
};

export const zeroPad: OpDef<{ op: "zero_pad"; padding: Pads }> = {
  name: "zero_pad",
  category: "reshape",
  doc: "Adds rows and columns of zeros around the input.",
  args: [
    { name: "padding", type: { kind: "padding", modes: [] }, positional: true, default: 1, doc: "A number, [h, w], or [top, bottom, left, right]." },
  ],
  inferShape(ctx) {
    if (!requireSpatial(ctx, "zero_pad")) return undefined;
    const p = ctx.args["padding"] as Padding & { mode: "explicit" };
    return [add(ctx.input[0]!, p.top + p.bottom), add(ctx.input[1]!, p.left + p.right), channelsOf(ctx.input)];
  },
  params: () => NO_PARAMS,
  macs: () => 0,
  toIr(args) {
    const p = args["padding"] as Padding & { mode: "explicit" };
    return { op: "zero_pad", padding: [p.top, p.bottom, p.left, p.right] };
  },
  irDoc: "`padding`",
  field: "pointwise",
  memory: { torch: "none", tfjs: 1.6 },
  weights: "none",
};
