// The shape of an op definition. Each layer kind is described once, by an `OpDef`: its
// arguments, its shape rule, its counts, its receptive field, its IR form, the layout of
// its weights in tfjs and PyTorch, and what a training step keeps of it. The checker, the summary, the IR, weight conversion and
// the editor features all read these definitions; the targets' lowerings are one table per
// target keyed by IR op, which the compiler checks for completeness.

import type { Code, DiagnosticExtras } from "../diagnostics/codes.js";
import type { Dim, Shape } from "../shape/shape.js";

/** Padding after resolution: a mode, or explicit amounts on each side. */
export type Padding =
  | { mode: "same" }
  | { mode: "valid" }
  | { mode: "explicit"; top: number; bottom: number; left: number; right: number };

/** [top, bottom, left, right]. */
export type Pads = [number, number, number, number];
/** [height, width]. */
export type Pair = [number, number];

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

/** Receptive field and output stride along [height, width], in input pixels. */
export interface Field {
  size: [number, number];
  /** Below 1 after upsampling. */
  stride: [number, number];
}

/**
 * How an op changes the receptive field: `pointwise` ops see what their input saw, `merge`
 * ops the widest of their inputs; windowed ops compute it.
 */
export type FieldRule = "pointwise" | "merge" | ((input: Field, args: Args, inputShape: Shape) => Field);

/** One weight tensor in both frameworks: torch axis i is tfjs axis permutation[i]. */
export interface WeightPair {
  tfjs: string;
  torch: string;
  permutation: number[];
  tfjsShape: number[];
  torchShape: number[];
}

/** What an op's weight layout sees of a node. */
export interface WeightContext {
  /** The node's name, which its tfjs layer carries. */
  layer: string;
  /** The node's attribute path in the generated PyTorch module. */
  torch: string;
  inChannels: number;
  outChannels: number;
  /** Every tfjs layer name of the model, for ops whose lowering names helper layers. */
  tfLayers: ReadonlySet<string>;
}

/** Method syntax keeps a definition with specific attributes assignable to `OpDef`. */
export type WeightRule<A> = { rule(attrs: A, node: WeightContext): WeightPair[] }["rule"];

/**
 * What a training step keeps of a layer, for the memory estimate (src/summary/memory.ts).
 * The two runtimes keep different things, so each has its own figure.
 */
export interface MemoryRule {
  /**
   * What PyTorch's backward formula for the op keeps of full size: its inputs (a conv), its
   * output (a relu), or nothing (an add). Each tensor counts once however many ops keep it.
   */
  torch: "inputs" | "output" | "none";
  /** Extra bytes per output element PyTorch keeps: max-pool's int64 indices, dropout's bool mask. */
  torchExtraPerOutput?: number;
  /**
   * Output-sized tensors a tfjs training step leaves alive until it ends: the output, the
   * gradient with respect to it and the kernels' intermediates (a batchnorm's centred and
   * squared input, …), measured per op on tfjs 4.22's cpu backend by bench/memory/probe.ts.
   * `unprobed` (not yet measured) counts 2: the output and its gradient.
   */
  tfjs: number | "unprobed";
  /** Input-sized tensors it leaves alive too: the gradient a pooling layer passes back is its input's size. */
  tfjsInputs?: number;
}

/** The IR form of a layer: its op name and every attribute explicit. */
export interface IrForm {
  op: string;
}

export interface OpDef<A extends IrForm = IrForm> {
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
  /** The IR attributes of a checked layer, from its resolved arguments and its (concrete) input shape. */
  toIr(args: Args, input: readonly number[]): A;
  /** One line per IR attribute set, for docs/ir.md: what the attributes mean. */
  irDoc: string;
  field: FieldRule;
  /** The weights the IR form holds, tfjs ⇄ PyTorch; `none` for ops without weights. */
  weights: "none" | WeightRule<A>;
  /** What a training step keeps of the layer, in PyTorch and in tfjs. */
  memory: MemoryRule;
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

/** Every argument's default, resolved: the arguments of a layer the compiler adds itself. */
export function defaultArgs(op: OpDef): Record<string, ArgValue> {
  const args: Record<string, ArgValue> = {};
  for (const spec of op.args) {
    const value = defaultValue(spec);
    if (value !== undefined) args[spec.name] = value;
  }
  return args;
}
