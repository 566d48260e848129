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
  /** A layer with weights inside a `frozen { … }` body: training keeps its weights, and a batchnorm its running statistics. */
  frozen?: true;
}

export interface IrGraph {
  version: typeof IR_VERSION;
  model: string;
  layout: "NHWC";
  input: { name: string; node: number; shape: number[] };
  output: { node: number; shape: number[] };
  nodes: IrNode[];
  /** `trainable` excludes frozen layers, which `frozen` counts; total = trainable + frozen + nonTrainable. */
  params: { trainable: number; frozen: number; nonTrainable: number; total: number };
  macs: number;
  train?: TrainConfig;
}
