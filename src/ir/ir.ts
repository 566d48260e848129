// The IR: a typed, versioned graph that every target lowers from. Blocks are inlined,
// repeats unrolled, and every attribute explicit: padding is four numbers, pooling windows
// carry their resolved strides, adaptive pooling is a plain pooling window. The JSON
// schema is documented in docs/ir.md; bump IR_VERSION on any incompatible change.

import type { TrainConfig } from "../check/train.js";

export const IR_VERSION = 1;

/** [top, bottom, left, right]. */
export type Pads = [number, number, number, number];
export type Pair = [number, number];

export interface SourceLocation {
  /** 1-based line and column of the source that produced the node. */
  line: number;
  column: number;
  start: number;
  end: number;
}

export type IrAttrs =
  | { op: "input" }
  | { op: "conv"; filters: number; kernel: Pair; stride: Pair; padding: Pads; dilation: Pair; groups: number; bias: boolean }
  | { op: "depthwise_conv"; kernel: Pair; stride: Pair; padding: Pads; dilation: Pair; multiplier: number; bias: boolean }
  | { op: "separable_conv"; filters: number; kernel: Pair; stride: Pair; padding: Pads; dilation: Pair; multiplier: number; bias: boolean }
  /** PyTorch's convention: `padding` rows and columns are removed from the full output, `outputPadding` added at the bottom and right. */
  | { op: "transposed_conv"; filters: number; kernel: Pair; stride: Pair; padding: Pads; outputPadding: Pair; bias: boolean }
  /**
   * Max pooling ignores padding (as if it were −∞). Average pooling counts explicit padding
   * as zeros (PyTorch's count_include_pad) unless `excludePadding`, as TensorFlow's `same` does.
   * `ceilMode` windows may run past the bottom and right edges; they cover only real and padded elements.
   */
  | { op: "maxpool" | "avgpool"; kernel: Pair; stride: Pair; padding: Pads; ceilMode: boolean; excludePadding: boolean }
  | { op: "global_avgpool" | "global_maxpool"; keepdims: boolean }
  | { op: "batchnorm"; epsilon: number; momentum: number }
  | { op: "layernorm"; epsilon: number }
  | { op: "dropout"; rate: number }
  | { op: "relu" | "relu6" | "sigmoid" | "tanh" | "swish" | "silu" | "gelu" | "softmax" }
  | { op: "leaky_relu" | "elu"; alpha: number }
  | { op: "dense"; units: number; bias: boolean }
  | { op: "flatten" }
  | { op: "upsample"; scale: Pair; mode: "nearest" | "bilinear" }
  | { op: "zero_pad"; padding: Pads }
  | { op: "concat" | "add" | "multiply" };

export type IrOp = IrAttrs["op"];

export interface IrNode {
  id: number;
  name: string;
  attrs: IrAttrs;
  inputs: number[];
  /** Output shape without the batch dimension, channels last. */
  shape: number[];
  params: { trainable: number; nonTrainable: number };
  macs: number;
  source: SourceLocation;
  /** Enclosing block calls, outermost first. */
  block: string[];
  /** Why the node exists: a layer the source wrote, or one the compiler added (shortcut, residual add, gate multiply, join). */
  role: string;
}

export interface IrGraph {
  version: typeof IR_VERSION;
  model: string;
  layout: "NHWC";
  input: { name: string; node: number; shape: number[] };
  output: { node: number; shape: number[] };
  nodes: IrNode[];
  params: { trainable: number; nonTrainable: number; total: number };
  macs: number;
  train?: TrainConfig;
}

/**
 * How far a pooling layer's last windows run past the padded input, [bottom, right]: nonzero
 * only in ceil mode. Those elements belong to no input and never count.
 */
export function poolOverhang(attrs: { kernel: Pair; stride: Pair; padding: Pads }, input: readonly number[], output: readonly number[]): Pair {
  const past = (axis: 0 | 1, before: number, after: number): number => Math.max(0, (output[axis]! - 1) * attrs.stride[axis] + attrs.kernel[axis] - (input[axis]! + before + after));
  return [past(0, attrs.padding[0], attrs.padding[1]), past(1, attrs.padding[2], attrs.padding[3])];
}
