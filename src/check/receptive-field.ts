// Receptive field and output stride: how many input pixels, along height and width, can
// influence one element of a layer's output, and how far apart (in input pixels) two
// neighbouring output elements are. Computed per layer from its inputs' fields with the
// usual recurrence: size' = size + (effective kernel − 1) · stride, stride' = stride · step.

import type { Args } from "../ops/types.js";
import type { Shape } from "./shape.js";

export interface Field {
  /** Receptive field [height, width], in input pixels. */
  size: [number, number];
  /** Output stride [height, width]: below 1 after upsampling. */
  stride: [number, number];
}

const pair = (value: unknown, fallback: number): [number, number] =>
  value === undefined ? [fallback, fallback] : Array.isArray(value) ? [value[0] as number, value[1] as number] : [value as number, value as number];

function windowed(input: Field, kernel: [number, number], step: [number, number], dilation: [number, number] = [1, 1]): Field {
  return {
    size: [0, 1].map((i) => input.size[i]! + dilation[i]! * (kernel[i]! - 1) * input.stride[i]!) as [number, number],
    stride: [0, 1].map((i) => input.stride[i]! * step[i]!) as [number, number],
  };
}

/** The field of a new node, from its op, arguments and the fields and shapes of its inputs. */
export function fieldOf(op: string, args: Args, inputs: readonly (Field | undefined)[], inputShapes: readonly Shape[]): Field | undefined {
  if (op === "input") return { size: [1, 1], stride: [1, 1] };
  const first = inputs[0];
  if (first === undefined || inputs.some((f) => f === undefined)) return undefined;
  switch (op) {
    case "conv":
    case "depthwise_conv":
    case "separable_conv":
      return windowed(first, pair(args["kernel"], 1), pair(args["stride"], 1), pair(args["dilation"], 1));
    case "maxpool":
    case "avgpool": {
      const kernel = pair(args["kernel"], 1);
      return windowed(first, kernel, args["stride"] === undefined ? kernel : pair(args["stride"], 1));
    }
    case "adaptive_avgpool":
    case "global_avgpool":
    case "global_maxpool": {
      const input = inputShapes[0]!;
      const size = op === "adaptive_avgpool" ? pair(args["size"], 1) : ([1, 1] as [number, number]);
      // Over a symbolic size the window is the whole input, whatever its size: an unbounded field.
      const extent = (d: Shape[number], by: number): number => (typeof d === "number" ? d / by : Number.POSITIVE_INFINITY);
      const window: [number, number] = [extent(input[0]!, size[0]), extent(input[1]!, size[1])];
      return windowed(first, window, window);
    }
    case "transposed_conv": {
      const step = pair(args["stride"], 1);
      const upsampled = { size: first.size, stride: [first.stride[0] / step[0], first.stride[1] / step[1]] as [number, number] };
      return windowed(upsampled, pair(args["kernel"], 1), [1, 1]);
    }
    case "upsample": {
      const scale = pair(args["scale"], 2);
      return { size: first.size, stride: [first.stride[0] / scale[0], first.stride[1] / scale[1]] };
    }
    case "concat":
    case "add":
    case "multiply":
      return {
        size: [Math.max(...inputs.map((f) => f!.size[0])), Math.max(...inputs.map((f) => f!.size[1]))],
        stride: [Math.max(...inputs.map((f) => f!.stride[0])), Math.max(...inputs.map((f) => f!.stride[1]))],
      };
    default:
      // Element-wise layers, normalisation, padding, flatten and dense see what their input saw.
      return first;
  }
}

export function formatField(field: Field | undefined): { receptiveField: string; stride: string } {
  if (field === undefined) return { receptiveField: "", stride: "" };
  const show = (pair: [number, number]): string => {
    const [h, w] = pair.map((x) => (x === Number.POSITIVE_INFINITY ? "all" : Number.isInteger(x) ? String(x) : x.toFixed(2).replace(/0+$/, "")));
    return h === w ? h! : `${h}×${w}`;
  };
  return { receptiveField: show(field.size), stride: show(field.stride) };
}
