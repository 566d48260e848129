// Lowers the IR to an ONNX graph (opset 17, NCHW), one table entry per IR op: the compiler
// checks that every op has one. Weights are the PyTorch target's state_dict (same names,
// same layouts), so a model's ONNX initializers are named like its model.py parameters;
// each ONNX node is named after the layer it computes (its extra steps `<layer>/<step>`).
//
// Every lowering is exact and reads no input size, so one graph serves every size a
// symbolic model accepts: asymmetric padding goes into the operators' own pads, and
// ceil-mode average pooling divides by a count computed in the graph.

import { poolOverhang, type IrAttrs, type IrAttrsOf, type IrGraph, type IrNode, type IrOp, type Pads } from "../../ir/ir.js";
import type { Tensor } from "../../convert/weights.js";
import { torchIdentifiers } from "../pytorch/model.js";
import { DataType, float, type AttributeValue, type OnnxDim, type OnnxGraph, type OnnxModel, type OnnxNode, type OnnxTensor } from "./proto.js";

export const ONNX_OPSET = 17;
/** The IR version that opset 17 goes with (ONNX 1.12). */
export const ONNX_IR_VERSION = 8;

export type InputLayout = "nchw" | "nhwc";

export interface OnnxLoweringOptions {
  /** The model's weights as the PyTorch target's state_dict: keys and layouts of model.py. */
  weights: ReadonlyMap<string, Tensor>;
  /** `nhwc` adds a transpose, so that the graph takes channels-last images as tfjs does. */
  inputLayout?: InputLayout;
  /** Names for the input's symbolic sizes and the output's dimensions (without the batch), in cnnc's channels-last order; default: the IR's sizes. */
  inputDims?: OnnxDim[];
  outputDims?: OnnxDim[];
  producerVersion?: string;
  metadata?: Record<string, string>;
}

interface NodeContext<A extends IrAttrs> {
  attrs: A;
  node: IrNode;
  /** The value names of the node's inputs; `x` is the first. */
  inputs: string[];
  x: string;
  /** The first input's shape, channels last, without the batch. */
  inShape: readonly number[];
  spatial: boolean;
  /** Adds an ONNX node. Without `step` it is the layer's own node, named after it; a lowering's last node must be that one. */
  emit(opType: string, inputs: string[], attributes?: Record<string, AttributeValue>, step?: string): string;
  /** The initializer holding the layer's weight `key` (`weight`, `bias`, `depthwise.weight`, …). */
  weight(key: string): string;
  /** A constant initializer of this node. */
  constant(step: string, dataType: DataType, values: number[], dims?: number[]): string;
}

type Lowering<K extends IrOp> = (c: NodeContext<IrAttrsOf<K>>) => string;

/** ONNX pads: all starts, then all ends, over [N, C, H, W]'s spatial axes. */
const onnxPads = (p: Pads): number[] => [p[0], p[2], p[1], p[3]];
/** Pad's pads over all four axes of NCHW. */
const padInput = (p: Pads): number[] => [0, 0, p[0], p[2], 0, 0, p[1], p[3]];
const TO_NHWC = [0, 2, 3, 1];
const TO_NCHW = [0, 3, 1, 2];

function convolution(c: NodeContext<IrAttrsOf<"conv" | "depthwise_conv" | "separable_conv">>, group: number, weight: string, bias: boolean, step?: string): string {
  const a = c.attrs;
  const attributes = { kernel_shape: a.kernel, strides: a.stride, pads: onnxPads(a.padding), dilations: a.dilation, group };
  return c.emit("Conv", [c.x, c.weight(weight), ...(bias ? [c.weight("bias")] : [])], attributes, step);
}

function pool(c: NodeContext<IrAttrsOf<"maxpool" | "avgpool">>): string {
  const a = c.attrs;
  const [bottom, right] = poolOverhang(a, c.inShape, c.node.shape);
  const window = { kernel_shape: a.kernel, strides: a.stride };
  // ONNX Runtime refuses a pad as large as the window; such padding is added by a Pad node.
  const fits = (p: Pads): boolean => p[0] < a.kernel[0] && p[1] < a.kernel[0] && p[2] < a.kernel[1] && p[3] < a.kernel[1];
  if (a.op === "maxpool") {
    // Max pooling's pads never win, like the IR's padding and the windows' overhang.
    const full: Pads = [a.padding[0], a.padding[1] + bottom, a.padding[2], a.padding[3] + right];
    if (fits(full)) return c.emit("MaxPool", [c.x], { ...window, pads: onnxPads(full) });
    const padded = c.emit("Pad", [c.x, c.constant("pads", DataType.INT64, padInput(full)), c.constant("pad_value", DataType.FLOAT, [-Infinity], [])], {}, "pad");
    return c.emit("MaxPool", [padded], window);
  }
  if (bottom === 0 && right === 0 && fits(a.padding)) {
    return c.emit("AveragePool", [c.x], { ...window, pads: onnxPads(a.padding), count_include_pad: a.excludePadding ? 0 : 1 });
  }
  if (bottom === 0 && right === 0 && !a.excludePadding) {
    const padded = c.emit("Pad", [c.x, c.constant("pads", DataType.INT64, padInput(a.padding))], {}, "pad");
    return c.emit("AveragePool", [padded], window);
  }
  // The mean over each window's counted elements: the mean of the zero-padded input divided
  // by the mean of a mask that is 1 where an element counts (real ones, and padding unless
  // excluded), both over whole windows.
  const full: Pads = [a.padding[0], a.padding[1] + bottom, a.padding[2], a.padding[3] + right];
  const padded = c.emit("Pad", [c.x, c.constant("pads", DataType.INT64, padInput(full))], {}, "pad");
  const sums = c.emit("AveragePool", [padded], window, "window_mean");
  const shape = c.emit("Shape", [c.x], { start: 2 }, "spatial_size");
  const size = c.emit("Concat", [c.constant("mask_batch_channels", DataType.INT64, [1, 1]), shape], { axis: 0 }, "mask_size");
  const ones = c.emit("ConstantOfShape", [size], { value: { name: "", dataType: DataType.FLOAT, dims: [1], data: new Float32Array([1]) } }, "ones");
  const counted = a.excludePadding
    ? c.emit("Pad", [ones, c.constant("mask_pads", DataType.INT64, padInput(full))], {}, "mask")
    : c.emit(
        "Pad",
        [c.emit("Pad", [ones, c.constant("padding_pads", DataType.INT64, padInput(a.padding)), c.constant("one", DataType.FLOAT, [1], [])], {}, "mask_padding"), c.constant("overhang_pads", DataType.INT64, padInput([0, bottom, 0, right]))],
        {},
        "mask",
      );
  const counts = c.emit("AveragePool", [counted], window, "mask_mean");
  return c.emit("Div", [sums, counts]);
}

function globalPool(c: NodeContext<IrAttrsOf<"global_avgpool" | "global_maxpool">>, opType: string): string {
  if (c.attrs.keepdims) return c.emit(opType, [c.x]);
  return c.emit("Flatten", [c.emit(opType, [c.x], {}, "pool")], { axis: 1 });
}

/** Applies a per-pixel operation on channels last, as tfjs does on NHWC tensors. */
function channelsLast(c: NodeContext<IrAttrs>, apply: (x: string) => string): string {
  if (!c.spatial) return apply(c.x);
  const moved = c.emit("Transpose", [c.x], { perm: TO_NHWC }, "to_nhwc");
  return c.emit("Transpose", [apply(moved)], { perm: TO_NCHW });
}

const ONNX_LOWERINGS: { [K in IrOp]: Lowering<K> } = {
  input: (c) => c.x,
  conv: (c) => convolution(c, c.attrs.groups, "weight", c.attrs.bias),
  depthwise_conv: (c) => convolution(c, c.inShape[2]!, "weight", c.attrs.bias),
  separable_conv: (c) => {
    const a = c.attrs;
    const depthwise = convolution({ ...c, attrs: { ...a, bias: false } }, c.inShape[2]!, "depthwise.weight", false, "depthwise");
    return c.emit("Conv", [depthwise, c.weight("pointwise.weight"), ...(a.bias ? [c.weight("pointwise.bias")] : [])], { kernel_shape: [1, 1] });
  },
  transposed_conv: (c) => {
    const a = c.attrs;
    const attributes = { kernel_shape: a.kernel, strides: a.stride, pads: onnxPads(a.padding), output_padding: a.outputPadding };
    return c.emit("ConvTranspose", [c.x, c.weight("weight"), ...(a.bias ? [c.weight("bias")] : [])], attributes);
  },
  maxpool: pool,
  avgpool: pool,
  global_avgpool: (c) => globalPool(c, "GlobalAveragePool"),
  global_maxpool: (c) => globalPool(c, "GlobalMaxPool"),
  // ONNX's momentum is the weight of the running value, PyTorch's (and the IR's) that of the batch.
  batchnorm: (c) =>
    c.emit("BatchNormalization", [c.x, c.weight("weight"), c.weight("bias"), c.weight("running_mean"), c.weight("running_var")], { epsilon: float(c.attrs.epsilon), momentum: float(1 - c.attrs.momentum) }),
  layernorm: (c) =>
    channelsLast(c, (x) => {
      const attributes = { axis: -1, epsilon: float(c.attrs.epsilon) };
      const inputs = [x, c.weight("weight"), c.weight("bias")];
      return c.spatial ? c.emit("LayerNormalization", inputs, attributes, "normalize") : c.emit("LayerNormalization", inputs, attributes);
    }),
  dropout: (c) => c.emit("Identity", [c.x]),
  relu: (c) => c.emit("Relu", [c.x]),
  relu6: (c) => c.emit("Clip", [c.x, c.constant("min", DataType.FLOAT, [0], []), c.constant("max", DataType.FLOAT, [6], [])]),
  sigmoid: (c) => c.emit("Sigmoid", [c.x]),
  tanh: (c) => c.emit("Tanh", [c.x]),
  swish: (c) => c.emit("Mul", [c.x, c.emit("Sigmoid", [c.x], {}, "sigmoid")]),
  silu: (c) => c.emit("Mul", [c.x, c.emit("Sigmoid", [c.x], {}, "sigmoid")]),
  // The exact GELU, x·Φ(x) = x·(1 + erf(x/√2))/2, as tfjs and PyTorch compute it (opset 17 has no Gelu).
  gelu: (c) => {
    const erf = c.emit("Erf", [c.emit("Mul", [c.x, c.constant("inverse_sqrt2", DataType.FLOAT, [Math.SQRT1_2], [])], {}, "scale")], {}, "erf");
    const plusOne = c.emit("Add", [erf, c.constant("one", DataType.FLOAT, [1], [])], {}, "plus_one");
    const half = c.emit("Mul", [c.x, c.constant("half", DataType.FLOAT, [0.5], [])], {}, "half");
    return c.emit("Mul", [half, plusOne]);
  },
  // PyTorch's hard activations: relu6(x + 3) / 6, times x for hardswish (ONNX's HardSigmoid defaults to Keras's slope 0.2).
  hardswish: (c) => c.emit("HardSwish", [c.x]),
  hardsigmoid: (c) => c.emit("HardSigmoid", [c.x], { alpha: float(1 / 6), beta: float(0.5) }),
  layer_scale: (c) => {
    const scale = c.spatial ? c.emit("Reshape", [c.weight("weight"), c.constant("per_channel", DataType.INT64, [-1, 1, 1])], {}, "per_channel") : c.weight("weight");
    return c.emit("Mul", [c.x, scale]);
  },
  // Identity at inference, as in PyTorch's eval mode.
  stochastic_depth: (c) => c.emit("Identity", [c.x]),
  channel_split: (c) => {
    const { start, size } = c.attrs;
    return c.emit("Slice", [c.x, c.constant("starts", DataType.INT64, [start]), c.constant("ends", DataType.INT64, [start + size]), c.constant("axes", DataType.INT64, [1])]);
  },
  // Channels as [groups, channels / groups], transposed, whatever the height and width.
  channel_shuffle: (c) => {
    const groups = c.attrs.groups;
    const shape = c.emit("Shape", [c.x], {}, "shape");
    const grouped = c.emit("Reshape", [c.x, c.constant("grouped_shape", DataType.INT64, [0, groups, c.inShape[2]! / groups, -1])], {}, "grouped");
    const swapped = c.emit("Transpose", [grouped], { perm: [0, 2, 1, 3] }, "transpose");
    return c.emit("Reshape", [swapped, shape]);
  },
  // Over the channels: tfjs's last axis, NCHW's axis 1.
  softmax: (c) => c.emit("Softmax", [c.x], { axis: 1 }),
  leaky_relu: (c) => c.emit("LeakyRelu", [c.x], { alpha: float(c.attrs.alpha) }),
  elu: (c) => c.emit("Elu", [c.x], { alpha: float(c.attrs.alpha) }),
  dense: (c) => c.emit("Gemm", [c.x, c.weight("weight"), ...(c.attrs.bias ? [c.weight("bias")] : [])], { transB: 1 }),
  // cnnc flattens in height, width, channel order.
  flatten: (c) => (c.spatial ? c.emit("Flatten", [c.emit("Transpose", [c.x], { perm: TO_NHWC }, "to_nhwc")], { axis: 1 }) : c.emit("Identity", [c.x])),
  // `asymmetric` maps output pixel i to input position i / scale: nearest with floor repeats
  // pixels, linear interpolates as tfjs's upSampling2d (no corner alignment, no half-pixel shift).
  upsample: (c) => {
    const a = c.attrs;
    const scales = c.constant("scales", DataType.FLOAT, [1, 1, a.scale[0], a.scale[1]]);
    const mode: Record<string, string> = a.mode === "nearest" ? { mode: "nearest", nearest_mode: "floor" } : { mode: "linear" };
    return c.emit("Resize", [c.x, "", scales], { ...mode, coordinate_transformation_mode: "asymmetric" });
  },
  zero_pad: (c) => c.emit("Pad", [c.x, c.constant("pads", DataType.INT64, padInput(c.attrs.padding))]),
  concat: (c) => c.emit("Concat", c.inputs, { axis: 1 }),
  add: (c) => c.emit(c.inputs.length === 2 ? "Add" : "Sum", c.inputs),
  multiply: (c) => c.inputs.slice(1).reduce((product, factor, i) => c.emit("Mul", [product, factor], {}, i === c.inputs.length - 2 ? undefined : `product_${i + 1}`), c.inputs[0]!),
};

/** Channels-last [H, W, C] or [F] to NCHW [C, H, W] or [F]. */
const toNchw = <T>(shape: readonly T[]): T[] => (shape.length === 3 ? [shape[2]!, shape[0]!, shape[1]!] : [...shape]);

export const BATCH_DIM = "N";

/** The ONNX model of an IR graph with the given weights. */
export function lowerToOnnx(ir: IrGraph, options: OnnxLoweringOptions): OnnxModel {
  const ids = torchIdentifiers(ir);
  const byId = new Map(ir.nodes.map((n) => [n.id, n]));
  const nodes: OnnxNode[] = [];
  const initializers: OnnxTensor[] = [];
  const initialized = new Set<string>();
  const values = new Map<number, string>();
  const layout = options.inputLayout ?? "nchw";
  const inputDims = options.inputDims ?? ir.input.shape;
  const spatialInput = ir.input.shape.length === 3;

  for (const node of ir.nodes) {
    const isInput = node.attrs.op === "input";
    const inputs = isInput ? [node.name] : node.inputs.map((id) => values.get(id)!);
    const inShape = isInput ? node.shape : byId.get(node.inputs[0]!)!.shape;
    let named = false;
    const context: NodeContext<IrAttrs> = {
      attrs: node.attrs,
      node,
      inputs,
      x: inputs[0]!,
      inShape,
      spatial: inShape.length === 3,
      emit(opType, inputs, attributes = {}, step) {
        const name = step === undefined ? node.name : `${node.name}/${step}`;
        if (step === undefined) named = true;
        nodes.push({ name, opType, inputs, outputs: [name], attributes });
        return name;
      },
      weight(key) {
        const name = `${ids.get(node.id)}.${key}`;
        const tensor = options.weights.get(name);
        if (tensor === undefined || tensor.dtype !== "float32") throw new Error(`no float32 weight ${name} for the ONNX model`);
        if (!initialized.has(name)) {
          initialized.add(name);
          initializers.push({ name, dataType: DataType.FLOAT, dims: tensor.shape, data: tensor.data });
        }
        return name;
      },
      constant(step, dataType, numbers, dims = [numbers.length]) {
        // Named like the weights (`conv_1.weight`), apart from the steps' values (`conv_1/pad`).
        const name = `${node.name}.${step}`;
        const data = dataType === DataType.INT64 ? BigInt64Array.from(numbers.map(BigInt)) : Float32Array.from(numbers);
        initializers.push({ name, dataType, dims, data });
        return name;
      },
    };
    if (isInput && layout === "nhwc" && spatialInput) {
      values.set(node.id, context.emit("Transpose", [node.name], { perm: TO_NCHW }, "to_nchw"));
      continue;
    }
    const value = (ONNX_LOWERINGS[node.attrs.op] as Lowering<IrOp>)(context as NodeContext<never>);
    if (!isInput && !named) throw new Error(`the ONNX lowering of ${node.attrs.op} did not emit the layer's own node`);
    values.set(node.id, value);
  }

  const graphInputDims = layout === "nhwc" || !spatialInput ? inputDims : toNchw(inputDims);
  const graph: OnnxGraph = {
    name: ir.model,
    nodes,
    initializers,
    inputs: [{ name: ir.input.name, dataType: DataType.FLOAT, shape: [BATCH_DIM, ...graphInputDims] }],
    outputs: [{ name: values.get(ir.output.node)!, dataType: DataType.FLOAT, shape: [BATCH_DIM, ...toNchw(options.outputDims ?? ir.output.shape)] }],
  };
  return {
    irVersion: ONNX_IR_VERSION,
    opset: ONNX_OPSET,
    producerName: "cnnc",
    producerVersion: options.producerVersion ?? "",
    graph,
    metadata: options.metadata ?? {},
  };
}
