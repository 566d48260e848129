// Pooling: windowed max/avg pooling, adaptive average pooling, and global pooling.

import { channelsOf, samePadding, windowOutput, windowOutputCeil, type Dim, type Shape } from "../shape/shape.js";
import { formatDim, remainder } from "../shape/symbolic.js";
import { checkWindowFits, explicitPads, kernelArg, paddingArg, pairArg, pairOf, requireSpatial, resolvePadding, windowField } from "./common.js";
import { NO_PARAMS, type Args, type Field, type OpDef, type Padding, type Pads, type Pair, type ShapeContext } from "./types.js";

function stridesOf(args: Args): Pair {
  // PyTorch and Keras both default the stride of a pooling window to its size.
  return args["stride"] === undefined ? pairArg(args, "kernel") : pairArg(args, "stride");
}

/**
 * Max pooling ignores padding (as if it were −∞). Average pooling counts explicit padding
 * as zeros (PyTorch's count_include_pad) unless `excludePadding`, as TensorFlow's `same` does.
 * `ceilMode` windows may run past the bottom and right edges; they cover only real and padded elements.
 */
export interface PoolIr {
  op: "maxpool" | "avgpool";
  kernel: Pair;
  stride: Pair;
  padding: Pads;
  ceilMode: boolean;
  excludePadding: boolean;
}

export interface GlobalPoolIr {
  op: "global_avgpool" | "global_maxpool";
  keepdims: boolean;
}

function pool<N extends "maxpool" | "avgpool">(name: N, what: string): OpDef<PoolIr & { op: N }> {
  return {
    name,
    category: "pooling",
    doc: `${what} over a window (PyTorch ${name === "maxpool" ? "MaxPool2d" : "AvgPool2d"}); the stride defaults to the window size.`,
    args: [
      kernelArg(true, "Window size: a number or [height, width]."),
      { name: "stride", type: { kind: "pair", min: 1 }, optional: true, doc: "Step between windows; defaults to the window size." },
      { ...paddingArg, doc: "Padding on each side (at most half the window), or `same` / `valid`." },
      { name: "ceil_mode", type: { kind: "bool" }, default: false, doc: "Round the output size up, like PyTorch's ceil_mode." },
    ],
    inferShape(ctx: ShapeContext) {
      if (!requireSpatial(ctx, name)) return undefined;
      const kernel = pairArg(ctx.args, "kernel");
      const stride = stridesOf(ctx.args);
      const padding = ctx.args["padding"] as Padding;
      if (padding.mode === "explicit" && (Math.max(padding.top, padding.bottom) * 2 > kernel[0] || Math.max(padding.left, padding.right) * 2 > kernel[1])) {
        ctx.report("E0206", `padding must be at most half the window (${kernel.join("×")})`, { arg: "padding", help: `use padding ≤ ${Math.floor(kernel[0] / 2)}` });
        return undefined;
      }
      const pads = resolvePadding(padding, ctx.input, kernel, stride, [1, 1], samePadding);
      const size = ctx.args["ceil_mode"] ? windowOutputCeil : windowOutput;
      const h = size(ctx.input[0]!, kernel[0], stride[0], pads[0], pads[1], 1);
      const w = size(ctx.input[1]!, kernel[1], stride[1], pads[2], pads[3], 1);
      // In ceil mode PyTorch lets the last window run past the input, so only an empty output is an error.
      if (ctx.args["ceil_mode"] && ctx.holds(h, ">=", 1) && ctx.holds(w, ">=", 1)) return [h, w, channelsOf(ctx.input)];
      if (!checkWindowFits(ctx, ctx.input, pads, kernel, [1, 1], [h, w])) return undefined;
      return [h, w, channelsOf(ctx.input)];
    },
    params: () => NO_PARAMS,
    macs: () => 0,
    toIr(args, input) {
      const kernel = pairArg(args, "kernel");
      const stride = stridesOf(args);
      const padding = args["padding"] as Padding;
      return { op: name, kernel, stride, padding: explicitPads(padding, input, kernel, stride, [1, 1]), ceilMode: args["ceil_mode"] === true, excludePadding: padding.mode === "same" };
    },
    irDoc: "`kernel`, `stride`, `padding`, `ceilMode`, `excludePadding`",
    field: (input, args) => windowField(input, pairArg(args, "kernel"), stridesOf(args)),
    memory: name === "maxpool" ? { torch: "inputs", torchExtraPerOutput: 8, tfjs: 1, tfjsInputs: 1 } : { torch: "inputs", tfjs: 1, tfjsInputs: 1 },
    weights: "none",
  };
}

/** A window over the whole input (or a fixed fraction of it): over a symbolic size, an unbounded field. */
function wholeInputField(input: Field, inputShape: Shape, size: Pair): Field {
  const extent = (d: Dim, by: number): number => (typeof d === "number" ? d / by : Number.POSITIVE_INFINITY);
  const window: Pair = [extent(inputShape[0]!, size[0]), extent(inputShape[1]!, size[1])];
  return windowField(input, window, window);
}

export const maxpool = pool("maxpool", "Maximum");
export const avgpool = pool("avgpool", "Average");

export const adaptiveAvgpool: OpDef<PoolIr> = {
  name: "adaptive_avgpool",
  category: "pooling",
  doc: "Average pooling to a fixed output size (PyTorch AdaptiveAvgPool2d); the input must divide evenly.",
  args: [{ name: "size", type: { kind: "pair", min: 1 }, positional: true, doc: "Output [height, width], or one number for both." }],
  inferShape(ctx) {
    if (!requireSpatial(ctx, "adaptive_avgpool")) return undefined;
    const [h, w] = pairOf(ctx.args["size"]);
    const [inH, inW] = [ctx.input[0]!, ctx.input[1]!];
    const divides = (size: Dim, by: number): boolean => ctx.holds(remainder(size, by), "==", 0);
    if (!divides(inH, h) || !divides(inW, w)) {
      // Uneven adaptive windows overlap and vary in size; no tfjs layer computes them.
      ctx.report("E0206", `to ${h}×${w} needs an input whose size is a multiple of it, but gets ${formatDim(inH)}×${formatDim(inW)}`, {
        arg: "size",
        help: `choose a size that divides ${formatDim(inH)}×${formatDim(inW)}, or change the input size`,
      });
      return undefined;
    }
    return [h, w, channelsOf(ctx.input)];
  },
  params: () => NO_PARAMS,
  macs: () => 0,
  toIr(args, input) {
    const size = pairOf(args["size"]);
    const window: Pair = [input[0]! / size[0], input[1]! / size[1]];
    return { op: "avgpool", kernel: window, stride: window, padding: [0, 0, 0, 0], ceilMode: false, excludePadding: false };
  },
  irDoc: "lowered to `avgpool` whose window and stride are input ÷ output",
  field: (input, args, inputShape) => wholeInputField(input, inputShape, pairOf(args["size"])),
  memory: { torch: "inputs", tfjs: "unprobed" },
  weights: "none",
};

function globalPool<N extends "global_avgpool" | "global_maxpool">(name: N, what: string): OpDef<GlobalPoolIr & { op: N }> {
  return {
    name,
    category: "pooling",
    doc: `${what} over height and width, giving [channels] (or [1, 1, channels] with keepdims).`,
    args: [{ name: "keepdims", type: { kind: "bool" }, default: false, doc: "Keep a 1×1 spatial shape, as squeeze-and-excitation needs." }],
    inferShape(ctx) {
      if (!requireSpatial(ctx, name.replace("_", " "))) return undefined;
      const channels = channelsOf(ctx.input);
      return ctx.args["keepdims"] ? [1, 1, channels] : [channels];
    },
    params: () => NO_PARAMS,
    macs: () => 0,
    toIr: (args) => ({ op: name, keepdims: args["keepdims"] === true }),
    irDoc: "`keepdims`",
    field: (input, _args, inputShape) => wholeInputField(input, inputShape, [1, 1]),
    memory: name === "global_maxpool" ? { torch: "inputs", torchExtraPerOutput: 8, tfjs: 1, tfjsInputs: 1 } : { torch: "none", tfjs: 1, tfjsInputs: 1 },
    weights: "none",
  };
}

export const globalAvgpool = globalPool("global_avgpool", "Average");
export const globalMaxpool = globalPool("global_maxpool", "Maximum");
