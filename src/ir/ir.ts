// The IR: a typed, versioned graph that every target lowers from. Blocks are inlined,
// repeats unrolled, and every attribute explicit: padding is four numbers, pooling windows
// carry their resolved strides, adaptive pooling is a plain pooling window. Each op's
// attributes are declared by its definition (src/ops/); the JSON schema is documented in
// docs/ir.md (its op table generated from the registry); bump IR_VERSION on any
// incompatible change.

import type { Span } from "../diagnostics/diagnostic.js";
import type { RegisteredOp } from "../ops/registry.js";
import type { ArgValue, Pads, Pair } from "../ops/types.js";

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
  train?: IrTrainConfig;
}

/** One named setting of a `train` declaration (optimizer, scheduler, loss, metric, early stopping), every option resolved. */
export interface IrTrainChoice {
  name: string;
  config: Record<string, ArgValue | undefined>;
  span: Span;
}

/**
 * The model's checked `train` declaration. Its own type, not the checker's, so the schema
 * depends on nothing above it; the checker's TrainConfig must stay assignable to it
 * (ir/build.ts copies one into the other, so the compiler says when they drift apart).
 */
export interface IrTrainConfig {
  model: string;
  optimizer: IrTrainChoice;
  scheduler?: IrTrainChoice;
  loss: IrTrainChoice;
  metrics: IrTrainChoice[];
  batch: number;
  epochs: number;
  validationSplit: number;
  earlyStopping?: IrTrainChoice;
  seed: number;
  span: Span;
}

/**
 * How far a pooling layer's last windows run past the padded input, [bottom, right]: nonzero
 * only in ceil mode. Those elements belong to no input and never count.
 */
export function poolOverhang(attrs: { kernel: Pair; stride: Pair; padding: Pads }, input: readonly number[], output: readonly number[]): Pair {
  const past = (axis: 0 | 1, before: number, after: number): number => Math.max(0, (output[axis]! - 1) * attrs.stride[axis] + attrs.kernel[axis] - (input[axis]! + before + after));
  return [past(0, attrs.padding[0], attrs.padding[1]), past(1, attrs.padding[2], attrs.padding[3])];
}
