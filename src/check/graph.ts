// The checked model: a flat graph of layer instances with blocks inlined and repeats
// unrolled, each with its inferred shape and counts. The summary reads it; the IR is built
// from it.

import type { Span } from "../diagnostics/diagnostic.js";
import type { Args, ParamCounts } from "../ops/types.js";
import type { Call, ModelDecl } from "../syntax/ast.js";
import type { Shape } from "../shape/shape.js";
import type { SizeReason } from "./sizes.js";
import type { SizeSet } from "../shape/symbolic.js";
import type { Field } from "./receptive-field.js";

/** Why a node exists when no single source layer asked for it. */
export type NodeRole = "layer" | "input" | "shortcut" | "residual" | "gate" | "join";

export interface LayerNode {
  id: number;
  /** Unique within the model, Keras-style: `conv_3`, `batchnorm_7`. */
  name: string;
  /** A registry op name, or `input`. */
  op: string;
  args: Args;
  inputs: number[];
  shape: Shape;
  params: ParamCounts;
  macs: number;
  /** The source that produced the node: the layer call, the shortcut, the residual keyword. */
  span: Span;
  role: NodeRole;
  /** The names of the enclosing block calls, outermost first. */
  blockPath: string[];
  /** The enclosing block calls as instances (the same length as `blockPath`): each call of a block has its own id. */
  blockCalls: BlockCall[];
  /** Set on a layer with weights inside a `frozen { … }` body: training leaves its weights (and batchnorm statistics) as they are. */
  frozen?: true;
  /** Receptive field and output stride; absent for a model whose input is flat. */
  field?: Field;
}

export interface BlockCall {
  /** Unique within the compilation. */
  id: number;
  /** The call in the model's file (for a call inside an imported block, the call that reached it). */
  span: Span;
  /** The call with its arguments' values: `basic(128, 2)`. */
  label: string;
}

export interface ModelGraph {
  name: string;
  decl: ModelDecl;
  inputName: string;
  nodes: LayerNode[];
  /** The node whose shape is the model's output; undefined when the model has errors. */
  outputId?: number;
  /** `trainable` excludes the frozen layers' parameters, which `frozen` counts; total = trainable + frozen + nonTrainable. */
  params: ParamCounts & { frozen: number; total: number };
  macs: number;
  /** Whether every shape in the model is known (no errors were reported inside it). */
  complete: boolean;
  /**
   * Present when the input has named sizes (`input image: [H, W, 3]`): the sizes every layer
   * accepts, and which layers narrowed them. Shapes then hold expressions, and `macs` is NaN.
   */
  sizes?: { sets: ReadonlyMap<string, SizeSet>; reasons: readonly SizeReason[] };
}

/** What the editor shows for one call in the source: its first instantiation's facts. */
export interface CallFacts {
  kind: "op" | "block";
  name: string;
  input?: Shape;
  output?: Shape;
  params: ParamCounts;
  macs: number;
  /** The call stands in a `frozen { … }` body (its layers with weights are frozen). */
  frozen?: true;
  /**
   * For a block without a declared contract: the contract its body implies, found by running
   * it on [h, w, channels] with symbolic h and w ("[h, w, 64] -> [ceil(h/2), ceil(w/2), 128]").
   */
  inferredContract?: string;
  /** In a model with symbolic sizes, the sizes it accepts (final once it is checked), for printing shapes. */
  sizes?: ReadonlyMap<string, SizeSet>;
  /** The output's receptive field and stride, for op calls. */
  field?: Field;
}

export type CallTable = Map<Call, CallFacts>;
