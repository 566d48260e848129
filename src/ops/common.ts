// Argument specs and checks shared by several op definitions.

import type { ArgSpec, Args, Field, Padding, Pads, Pair, ShapeContext } from "./types.js";
import type { Shape } from "../shape/shape.js";
import { formatShape, samePadding, type Dim } from "../shape/shape.js";
import { add, formatDim, isSymbolic } from "../shape/symbolic.js";

/** A number or `[height, width]` argument as a pair. */
export const pairOf = (value: unknown): Pair => (Array.isArray(value) ? [value[0] as number, value[1] as number] : [value as number, value as number]);

export function kernelArg(positional = true, doc = "Window size: a number or [height, width]."): ArgSpec {
  return { name: "kernel", type: { kind: "pair", min: 1 }, positional, doc };
}

export const strideArg = (doc = "Step between windows: a number or [height, width]."): ArgSpec => ({
  name: "stride",
  type: { kind: "pair", min: 1 },
  default: 1,
  doc,
});

export const paddingArg: ArgSpec = {
  name: "padding",
  type: { kind: "padding", modes: ["same", "valid"] },
  default: 0,
  doc: "Zeros added around the input: a number, [h, w], [top, bottom, left, right], `same` or `valid`.",
};

export const dilationArg: ArgSpec = { name: "dilation", type: { kind: "pair", min: 1 }, default: 1, doc: "Spacing between kernel taps." };
export const biasArg: ArgSpec = { name: "bias", type: { kind: "bool" }, default: true, doc: "Whether the layer adds a learned bias." };
export const inChannelsArg: ArgSpec = {
  name: "in_channels",
  type: { kind: "int", min: 1 },
  optional: true,
  doc: "The input channels you expect, PyTorch-style; the checker verifies them.",
};

/** Requires a [height, width, channels] input; reports E0308 otherwise. */
export function requireSpatial(ctx: ShapeContext, op: string): boolean {
  if (ctx.input.length === 3) return true;
  ctx.report("E0308", `needs a [height, width, channels] input, but gets ${formatShape(ctx.input)}`, {
    help: ctx.input.length === 1 ? `${op} cannot follow flatten or global pooling; move it before them` : undefined,
  });
  return false;
}

/** Verifies a stated `in_channels` (or `in_features`) against the incoming channels. */
export function checkStatedChannels(ctx: ShapeContext, argName: string, actual: Dim, what = "input channels"): void {
  const stated = ctx.args[argName];
  if (typeof stated !== "number" || ctx.holds(actual, "==", stated)) return;
  ctx.report("E0301", `expects ${stated} ${what}, but the incoming tensor ${formatShape(ctx.input)} has ${formatDim(actual)}`, {
    arg: argName,
    label: `stated here as ${stated}`,
    help: `write \`${argName}: ${formatDim(actual)}\`, or change the layer before it to produce ${stated}`,
    fixes: [],
  });
}

/** Explicit padding amounts for one spatial input, resolving `same` and `valid`. */
export function resolvePadding(padding: Padding, input: Shape, kernel: readonly [number, number], stride: readonly [number, number], dilation: readonly [number, number], same: (i: Dim, k: number, s: number, d: number) => [Dim, Dim]): [Dim, Dim, Dim, Dim] {
  if (padding.mode === "valid") return [0, 0, 0, 0];
  if (padding.mode === "explicit") return [padding.top, padding.bottom, padding.left, padding.right];
  const [top, bottom] = same(input[0]!, kernel[0], stride[0], dilation[0]);
  const [left, right] = same(input[1]!, kernel[1], stride[1], dilation[1]);
  return [top, bottom, left, right];
}

/** Kernel-vs-input and positive-output checks shared by convolutions and pooling. */
export function checkWindowFits(ctx: ShapeContext, input: Shape, pads: readonly Dim[], kernel: readonly [number, number], dilation: readonly [number, number], output: readonly [Dim, Dim]): boolean {
  const paddedH = add(add(input[0]!, pads[0]!), pads[1]!);
  const paddedW = add(add(input[1]!, pads[2]!), pads[3]!);
  const effH = dilation[0] * (kernel[0] - 1) + 1;
  const effW = dilation[1] * (kernel[1] - 1) + 1;
  if (!ctx.holds(paddedH, ">=", effH) || !ctx.holds(paddedW, ">=", effW)) {
    const padded = formatDim(paddedH) !== formatDim(input[0]!) || formatDim(paddedW) !== formatDim(input[1]!) ? ` (padded to ${formatDim(paddedH)}×${formatDim(paddedW)})` : "";
    const symbolic = isSymbolic(paddedH) || isSymbolic(paddedW);
    ctx.report("E0305", `window ${effH}×${effW} is larger than its input ${formatDim(input[0]!)}×${formatDim(input[1]!)}${padded}`, {
      arg: "kernel",
      help:
        dilation[0] > 1 || dilation[1] > 1
          ? `the dilation spreads the kernel over ${effH}×${effW}: reduce the dilation or the kernel, or add padding`
          : symbolic
            ? "allow larger input sizes, use a smaller kernel, add padding, or remove a downsampling layer before it"
            : `use a kernel of at most ${Math.min(paddedH as number, paddedW as number)}, add padding, or remove a downsampling layer before it`,
    });
    return false;
  }
  if (!ctx.holds(output[0], ">=", 1) || !ctx.holds(output[1], ">=", 1)) {
    ctx.report("E0306", `would output ${formatDim(output[0])}×${formatDim(output[1])}, which has no elements`, { help: "reduce the stride or add padding" });
    return false;
  }
  return true;
}

export function pairArg(args: Args, name: string): Pair {
  return pairOf(args[name]);
}

/** Padding as four numbers for a concrete input, resolving `same` and `valid`. */
export function explicitPads(padding: Padding, input: readonly number[], kernel: Pair, stride: Pair, dilation: Pair): Pads {
  return resolvePadding(padding, input, kernel, stride, dilation, samePadding) as Pads;
}

/** The field after a window of `kernel` taps (spread by `dilation`) moving by `step`. */
export function windowField(input: Field, kernel: Pair, step: Pair, dilation: Pair = [1, 1]): Field {
  return {
    size: [0, 1].map((i) => input.size[i]! + dilation[i]! * (kernel[i]! - 1) * input.stride[i]!) as Pair,
    stride: [0, 1].map((i) => input.stride[i]! * step[i]!) as Pair,
  };
}
