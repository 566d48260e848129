// The shape of an op definition. Each layer kind is described once, by an `OpDef`: its
// arguments, its shape rule and its counts. The checker, the summary, and the editor
// features (completion, signature help, hovers) all read these definitions.

import type { Code, DiagnosticExtras } from "../diagnostics/codes.js";
import type { Dim, Shape } from "../check/shape.js";

/** Padding after resolution: a mode, or explicit amounts on each side. */
export type Padding =
  | { mode: "same" }
  | { mode: "valid" }
  | { mode: "explicit"; top: number; bottom: number; left: number; right: number };

export type ArgType =
  | { kind: "int"; min?: number; max?: number }
  | { kind: "float"; min?: number; max?: number; maxExclusive?: boolean }
  | { kind: "bool" }
  | { kind: "enum"; values: readonly string[] }
  /** A whole number, or `[height, width]`. */
  | { kind: "pair"; min: number }
  /** A number, `[h, w]`, `[top, bottom, left, right]`, or one of the modes. */
  | { kind: "padding"; modes: readonly ("same" | "valid")[] }
  /** The name of a tensor bound with `as NAME` (merge ops only). */
  | { kind: "tensor" };

export type ArgValue = number | boolean | string | readonly [number, number] | Padding;

export interface ArgSpec {
  name: string;
  type: ArgType;
  /** Absent: the argument is required (unless `optional`). */
  default?: ArgValue;
  /** An optional argument with no default, such as a PyTorch-style `in_channels` assertion. */
  optional?: boolean;
  /** Whether the argument may be given by position (in declaration order). */
  positional?: boolean;
  /** Takes every remaining positional argument (merge ops' tensor names). */
  variadic?: boolean;
  doc: string;
}

export type Args = Readonly<Record<string, ArgValue | undefined>>;

/** What a shape rule sees: the known input shapes and the resolved arguments. */
export interface ShapeContext {
  /** The single input, or the first input of a merge. */
  input: Shape;
  inputs: readonly Shape[];
  args: Args;
  /** Reports a diagnostic at the call, or at the named argument where given. */
  report(code: Code, message: string, extras?: DiagnosticExtras & { arg?: string }): void;
  /**
   * Whether `a relation b` holds. Plain comparison for whole numbers; for symbolic sizes it
   * holds when it does for every accepted size, or narrows the accepted sizes so that it does,
   * and fails only when no accepted size satisfies it.
   */
  holds(a: Dim, relation: ">=" | "==", b: Dim): boolean;
}

/** A shape for counting: symbolic dimensions are NaN, so counts that depend on them are NaN. */
export type NumericShape = readonly number[];

export interface ParamCounts {
  trainable: number;
  nonTrainable: number;
}

export type OpCategory = "convolution" | "pooling" | "normalization" | "activation" | "core" | "reshape" | "merge";

export interface OpDef {
  name: string;
  category: OpCategory;
  /** One line, shown in hovers, completion and `cnnc ops`. */
  doc: string;
  args: readonly ArgSpec[];
  /** Merge ops take the current tensor plus named tensors. */
  merge?: boolean;
  /** Returns the output shape, or undefined after reporting why there is none. */
  inferShape(ctx: ShapeContext): Shape | undefined;
  params?(input: NumericShape, output: NumericShape, args: Args): ParamCounts;
  macs?(input: NumericShape, output: NumericShape, args: Args): number;
}

export const NO_PARAMS: ParamCounts = { trainable: 0, nonTrainable: 0 };

/** An argument's default in its resolved form: numbers become explicit padding or pairs. */
export function defaultValue(spec: ArgSpec): ArgValue | undefined {
  const value = spec.default;
  if (typeof value !== "number") return value;
  if (spec.type.kind === "padding") return { mode: "explicit", top: value, bottom: value, left: value, right: value };
  if (spec.type.kind === "pair") return [value, value] as const;
  return value;
}
