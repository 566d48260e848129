// Receptive field and output stride: how many input pixels, along height and width, can
// influence one element of a layer's output, and how far apart (in input pixels) two
// neighbouring output elements are. Computed per layer from its inputs' fields with the
// usual recurrence: size' = size + (effective kernel − 1) · stride, stride' = stride · step.
// Each op's definition states its rule (src/ops/).

import { lookupOp } from "../ops/registry.js";
import type { Args, Field } from "../ops/types.js";
import type { Shape } from "../shape/shape.js";

export type { Field };

/** The field of a new node, from its op's rule, its arguments and the fields and shapes of its inputs. */
export function fieldOf(op: string, args: Args, inputs: readonly (Field | undefined)[], inputShapes: readonly Shape[]): Field | undefined {
  if (op === "input") return { size: [1, 1], stride: [1, 1] };
  const first = inputs[0];
  if (first === undefined || inputs.some((f) => f === undefined)) return undefined;
  const rule = lookupOp(op)!.field;
  if (rule === "pointwise") return first;
  if (rule === "merge") {
    return {
      size: [Math.max(...inputs.map((f) => f!.size[0])), Math.max(...inputs.map((f) => f!.size[1]))],
      stride: [Math.max(...inputs.map((f) => f!.stride[0])), Math.max(...inputs.map((f) => f!.stride[1]))],
    };
  }
  return rule(first, args, inputShapes[0]!);
}

export function formatField(field: Field | undefined): { receptiveField: string; stride: string } {
  if (field === undefined) return { receptiveField: "", stride: "" };
  const show = (pair: [number, number]): string => {
    const [h, w] = pair.map((x) => (x === Number.POSITIVE_INFINITY ? "all" : Number.isInteger(x) ? String(x) : x.toFixed(2).replace(/0+$/, "")));
    return h === w ? h! : `${h}×${w}`;
  };
  return { receptiveField: show(field.size), stride: show(field.stride) };
}
