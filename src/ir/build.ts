// Lowers a checked model graph to the IR: resolves `same`/`valid` padding to numbers,
// defaults to explicit values, and adaptive pooling to a fixed window.

import type { LayerNode, ModelGraph } from "../check/graph.js";
import { isConcreteShape, samePadding } from "../check/shape.js";
import type { TrainConfig } from "../check/train.js";
import type { Args, Padding } from "../ops/types.js";
import { LineIndex } from "../syntax/line-index.js";
import { IR_VERSION, type IrAttrs, type IrGraph, type IrNode, type Pads, type Pair } from "./ir.js";

const pair = (value: unknown): Pair => (Array.isArray(value) ? [value[0] as number, value[1] as number] : [value as number, value as number]);

function pads(padding: Padding, input: readonly number[], kernel: Pair, stride: Pair, dilation: Pair): Pads {
  if (padding.mode === "valid") return [0, 0, 0, 0];
  if (padding.mode === "explicit") return [padding.top, padding.bottom, padding.left, padding.right];
  const [top, bottom] = samePadding(input[0]!, kernel[0], stride[0], dilation[0]) as [number, number];
  const [left, right] = samePadding(input[1]!, kernel[1], stride[1], dilation[1]) as [number, number];
  return [top, bottom, left, right];
}

/** TensorFlow's `same` for a transposed convolution crops max(k − s, 0), the smaller half first. */
function transposedSamePads(kernel: Pair, stride: Pair): Pads {
  const crop = (k: number, s: number): [number, number] => {
    const total = Math.max(k - s, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  };
  const [top, bottom] = crop(kernel[0], stride[0]);
  const [left, right] = crop(kernel[1], stride[1]);
  return [top, bottom, left, right];
}

function attrsOf(node: LayerNode, input: readonly number[] | undefined): IrAttrs {
  const a: Args = node.args;
  const op = node.op;
  switch (op) {
    case "input":
      return { op };
    case "conv":
    case "depthwise_conv":
    case "separable_conv": {
      const kernel = pair(a["kernel"]);
      const stride = pair(a["stride"]);
      const dilation = pair(a["dilation"]);
      const padding = pads(a["padding"] as Padding, input!, kernel, stride, dilation);
      const bias = a["bias"] as boolean;
      if (op === "conv") return { op, filters: a["filters"] as number, kernel, stride, padding, dilation, groups: a["groups"] as number, bias };
      const multiplier = a["multiplier"] as number;
      if (op === "depthwise_conv") return { op, kernel, stride, padding, dilation, multiplier, bias };
      return { op, filters: a["filters"] as number, kernel, stride, padding, dilation, multiplier, bias };
    }
    case "transposed_conv": {
      const kernel = pair(a["kernel"]);
      const stride = pair(a["stride"]);
      const padding = a["padding"] as Padding;
      const explicit: Pads = padding.mode === "same" ? transposedSamePads(kernel, stride) : padding.mode === "valid" ? [0, 0, 0, 0] : [padding.top, padding.bottom, padding.left, padding.right];
      return { op, filters: a["filters"] as number, kernel, stride, padding: explicit, outputPadding: pair(a["output_padding"]), bias: a["bias"] as boolean };
    }
    case "maxpool":
    case "avgpool": {
      const kernel = pair(a["kernel"]);
      const stride = a["stride"] === undefined ? kernel : pair(a["stride"]);
      const padding = a["padding"] as Padding;
      return { op, kernel, stride, padding: pads(padding, input!, kernel, stride, [1, 1]), ceilMode: a["ceil_mode"] === true, excludePadding: padding.mode === "same" };
    }
    case "adaptive_avgpool": {
      const size = pair(a["size"]);
      const window: Pair = [input![0]! / size[0], input![1]! / size[1]];
      return { op: "avgpool", kernel: window, stride: window, padding: [0, 0, 0, 0], ceilMode: false, excludePadding: false };
    }
    case "global_avgpool":
    case "global_maxpool":
      return { op, keepdims: a["keepdims"] === true };
    case "batchnorm":
      return { op, epsilon: a["epsilon"] as number, momentum: a["momentum"] as number };
    case "layernorm":
      return { op, epsilon: a["epsilon"] as number };
    case "dropout":
      return { op, rate: a["rate"] as number };
    case "leaky_relu":
    case "elu":
      return { op, alpha: a["alpha"] as number };
    case "dense":
      return { op, units: a["units"] as number, bias: a["bias"] as boolean };
    case "upsample":
      return { op, scale: pair(a["scale"]), mode: a["mode"] as "nearest" | "bilinear" };
    case "zero_pad": {
      const p = a["padding"] as Padding & { mode: "explicit" };
      return { op, padding: [p.top, p.bottom, p.left, p.right] };
    }
    case "relu":
    case "relu6":
    case "sigmoid":
    case "tanh":
    case "swish":
    case "silu":
    case "gelu":
    case "softmax":
    case "flatten":
    case "concat":
    case "add":
    case "multiply":
      return { op };
    default:
      throw new Error(`no IR lowering for op ${op}`);
  }
}

/** Builds the IR of a model that checked without errors. */
export function buildIr(model: ModelGraph, text: string, train?: TrainConfig): IrGraph {
  if (!model.complete || model.outputId === undefined) throw new Error(`model ${model.name} has errors; check it first`);
  // Front ends refuse symbolic models with a message (see symbolicSizesError); reaching here is a bug.
  if (!model.nodes.every((n) => isConcreteShape(n.shape))) throw new Error(`model ${model.name} has symbolic sizes; fix them with --shape first`);
  const index = new LineIndex(text);
  const nodes: IrNode[] = model.nodes.map((node) => {
    const input = node.inputs.length > 0 ? (model.nodes[node.inputs[0]!]!.shape as readonly number[]) : undefined;
    const position = index.position(node.span.start);
    return {
      id: node.id,
      name: node.name,
      attrs: attrsOf(node, input),
      inputs: [...node.inputs],
      shape: [...(node.shape as readonly number[])],
      params: { ...node.params },
      macs: node.macs,
      source: { line: position.line + 1, column: position.character + 1, start: node.span.start, end: node.span.end },
      block: [...node.blockPath],
      role: node.role,
      ...(node.frozen ? { frozen: true as const } : {}),
    };
  });
  const inputNode = nodes.find((n) => n.attrs.op === "input")!;
  const output = nodes[model.outputId]!;
  return {
    version: IR_VERSION,
    model: model.name,
    layout: "NHWC",
    input: { name: inputNode.name, node: inputNode.id, shape: [...inputNode.shape] },
    output: { node: output.id, shape: [...output.shape] },
    nodes,
    params: { ...model.params },
    macs: model.macs,
    ...(train ? { train } : {}),
  };
}
