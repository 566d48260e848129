// The IR: a typed, versioned graph that every target lowers from. Blocks are inlined,
// repeats unrolled, and every attribute explicit: padding is four numbers, pooling windows
// carry their resolved strides, adaptive pooling is a plain pooling window. Each op's
// attributes are declared by its definition (src/ops/); the JSON schema is documented in
// docs/ir.md (its op table generated from the registry); bump IR_VERSION on any
// incompatible change.

import type { TrainConfig } from "../check/train.js";
import type { RegisteredOp } from "../ops/registry.js";

export const IR_VERSION = 1;

export type { Pads, Pair } from "../ops/types.js";

export interface SourceLocation {
  /** 1-based line and column of the source that produced the node. */
  line: number;
  column: number;
  start: number;
  end: number;
}

type IrFormOf<T> = T extends { toIr(...args: never[]): infer A } ? A : never;

/** Every op's IR form, as its definition in src/ops/ declares it, and the model's input. */
export type IrAttrs = { op: "input" } | IrFormOf<RegisteredOp>;

/** The attributes of one IR op. */
export type IrAttrsOf<K extends IrOp> = Extract<IrAttrs, { op: K }>;

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
