// Merges: the current tensor joined with named tensors (`concat skip`, `add shortcut`).
// The `concat { branch … }` statement and residual connections use the same rules.

import { formatShape, type Dim, type Shape } from "../shape/shape.js";
import { add as addDims, formatDim } from "../shape/symbolic.js";
import { NO_PARAMS, type OpDef, type ShapeContext } from "./types.js";

const tensorsArg = { name: "tensors", type: { kind: "tensor" }, positional: true, variadic: true, doc: "Names of tensors (bound with `as NAME`) to join with the current one." } as const;

type Holds = ShapeContext["holds"];

/** Whether two shapes are equal in every dimension (narrowing symbolic sizes where needed). */
export function sameShape(a: Shape, b: Shape, holds: Holds): boolean {
  return a.length === b.length && a.every((d, axis) => holds(d, "==", b[axis]!));
}

/**
 * Of dimensions proven equal, the one with the shortest expression: after a skip joins
 * [2*floor(H/2), …] to [H, …], the layers below read H.
 */
export function simplest(dims: readonly Dim[]): Dim {
  return dims.reduce((best, d) => (formatDim(d).length < formatDim(best).length ? d : best));
}

/** Shapes proven equal, merged dimension by dimension into the simplest expressions. */
export function simplestShape(shapes: readonly Shape[]): Shape {
  return shapes[0]!.map((_, axis) => simplest(shapes.map((s) => s[axis]!)));
}

/** Concatenation along the channels; every other dimension must agree. */
export function concatShapes(inputs: readonly Shape[], holds: Holds): { shape?: Shape; mismatch?: number } {
  const first = inputs[0]!;
  let channels: Dim = 0;
  for (let i = 0; i < inputs.length; i++) {
    const shape = inputs[i]!;
    if (shape.length !== first.length || !shape.slice(0, -1).every((d, axis) => holds(d, "==", first[axis]!))) return { mismatch: i };
    channels = addDims(channels, shape[shape.length - 1]!);
  }
  return { shape: [...first.slice(0, -1).map((_, axis) => simplest(inputs.map((s) => s[axis]!))), channels] };
}

function reportMismatch(ctx: ShapeContext, code: "E0303" | "E0304", what: string, index: number): undefined {
  const [a, b] = [ctx.inputs[0]!, ctx.inputs[index]!];
  // A flat tensor and a feature map cannot be resized into each other; the feature map has to be flattened too.
  const flatAndSpatial = a.length !== b.length && Math.min(a.length, b.length) === 1;
  const help = flatAndSpatial
    ? `one side is flat and the other a feature map: ${what} them while both are feature maps, or make the feature map flat too (\`flatten\` or \`global avgpool\`)`
    : code === "E0303"
      ? "resize one side (pooling, stride or upsample) so the spatial sizes match"
      : "make both sides produce the same shape, for example with a 1x1 conv";
  const needs = a.length !== b.length ? "tensors of the same rank" : code === "E0303" ? "equal height and width" : "equal shapes";
  ctx.report(code, `${what} needs ${needs}, but gets ${formatShape(a)} and ${formatShape(b)}`, { help });
  return undefined;
}

export const concat: OpDef<{ op: "concat" }> = {
  name: "concat",
  category: "merge",
  merge: true,
  doc: "Joins the current tensor with named tensors along the channels.",
  args: [tensorsArg],
  inferShape(ctx) {
    const { shape, mismatch } = concatShapes(ctx.inputs, ctx.holds);
    return shape ?? reportMismatch(ctx, "E0303", "concat", mismatch!);
  },
  params: () => NO_PARAMS,
  macs: () => 0,
  toIr: () => ({ op: "concat" }),
  irDoc: "— (along the channels)",
  field: "merge",
  memory: { torch: "none", tfjs: 2 },
  weights: "none",
};

function elementwise<N extends "add" | "multiply">(name: N, doc: string): OpDef<{ op: N }> {
  return {
    name,
    category: "merge",
    merge: true,
    doc,
    args: [tensorsArg],
    inferShape(ctx) {
      const mismatch = ctx.inputs.findIndex((s) => !sameShape(s, ctx.inputs[0]!, ctx.holds));
      return mismatch === -1 ? simplestShape(ctx.inputs) : reportMismatch(ctx, "E0304", name, mismatch);
    },
    params: () => NO_PARAMS,
    macs: () => 0,
    toIr: () => ({ op: name }),
    irDoc: name === "multiply" ? "— (the second input may be `[1, 1, C]`)" : "—",
    field: "merge",
    memory: name === "multiply" ? { torch: "inputs", tfjs: 4 } : { torch: "none", tfjs: 3 },
    weights: "none",
  };
}

export const add = elementwise("add", "Adds the current tensor and named tensors element-wise.");
export const multiply = elementwise("multiply", "Multiplies the current tensor and named tensors element-wise.");
