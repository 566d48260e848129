// Lowers the IR to TensorFlow.js layer specs: plain data naming a `tf.layers` factory and
// its config for every layer. The in-process builder and the TypeScript emitter both
// interpret these specs, so the two targets cannot drift apart.
//
// Lowering is exact or it fails: where tfjs's `same`/`valid` cannot say what the IR says,
// explicit padding layers are added; where no tfjs layer computes the IR's function, a
// LoweringError names the node, and the CLI reports it at the node's source line.

import { poolOverhang, type IrAttrsOf, type IrGraph, type IrNode, type IrOp, type Pads, type Pair } from "../ir/ir.js";

export interface TfLayerSpec {
  /** Unique layer name in the tfjs model. */
  name: string;
  /** A factory of `tf.layers`, such as `conv2d`. */
  factory: string;
  config: Record<string, unknown>;
  /** Names of the specs (or the input) this layer is applied to. */
  inputs: string[];
}

export interface TfModelSpec {
  name: string;
  input: { name: string; shape: number[] };
  layers: TfLayerSpec[];
  output: string;
}

export class LoweringError extends Error {
  constructor(
    readonly node: IrNode,
    message: string,
    readonly help?: string,
    /** The diagnostic code: E0601 for a layer tfjs cannot express, E0640 for a model too deep. */
    readonly code: "E0601" | "E0640" = "E0601",
  ) {
    super(message);
  }
}

/**
 * The longest chain of layers, input to output, that cnnc lowers for tfjs. tfjs-layers
 * builds, saves and loads a model by recursive graph walks that overflowed Node's default
 * stack at 4,400 to 4,700 layers here (test/tfjs-depth.test.ts builds one at the limit);
 * the margin leaves room for deeper callers.
 */
export const TFJS_MAX_DEPTH = 3_000;

const isZero = (p: Pads): boolean => p.every((x) => x === 0);

/** TensorFlow's `same` padding for one input size. */
function tfSamePads(input: number[], kernel: Pair, stride: Pair, dilation: Pair): Pads {
  const side = (size: number, k: number, s: number, d: number): [number, number] => {
    const out = Math.ceil(size / s);
    const total = Math.max((out - 1) * s + d * (k - 1) + 1 - size, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  };
  const [t, b] = side(input[0]!, kernel[0], stride[0], dilation[0]);
  const [l, r] = side(input[1]!, kernel[1], stride[1], dilation[1]);
  return [t, b, l, r];
}

const samePads = (a: Pads, b: Pads): boolean => a.every((x, i) => x === b[i]);

/** A seeded initializer, kept as data so both the builder and the TypeScript emitter can express it. */
export interface SeededInitializer {
  initializer: "glorotUniform";
  seed: number;
}

export function isSeededInitializer(value: unknown): value is SeededInitializer {
  return typeof value === "object" && value !== null && (value as SeededInitializer).initializer !== undefined;
}

export interface LoweringOptions {
  /** Seeds every weight initializer, so that builds are reproducible. */
  seed?: number;
}

const INITIALIZER_KEYS: Record<string, string[]> = {
  conv2d: ["kernelInitializer"],
  conv2dTranspose: ["kernelInitializer"],
  dense: ["kernelInitializer"],
  depthwiseConv2d: ["depthwiseInitializer"],
  separableConv2d: ["depthwiseInitializer", "pointwiseInitializer"],
};

/** The factories whose layers hold weights: a frozen node's layers among them get `trainable: false`. */
const WEIGHTED_FACTORIES: ReadonlySet<string> = new Set(["conv2d", "conv2dTranspose", "dense", "depthwiseConv2d", "separableConv2d", "batchNormalization", "layerNormalization", "groupedConv2d", "layerScale"]);

class Lowerer {
  readonly layers: TfLayerSpec[] = [];
  private readonly outputs = new Map<number, string>();
  private readonly shapes = new Map<string, number[]>();
  /** The number of layers on the longest path from the input to each layer. */
  private readonly depths = new Map<string, number>();
  private nextSeed: number;

  constructor(
    private readonly ir: IrGraph,
    private readonly options: LoweringOptions,
  ) {
    this.nextSeed = options.seed ?? 0;
  }

  run(): TfModelSpec {
    for (const node of this.ir.nodes) {
      if (node.attrs.op === "input") {
        this.outputs.set(node.id, node.name);
        this.shapes.set(node.name, node.shape);
        continue;
      }
      const inputs = node.inputs.map((id) => this.outputs.get(id)!);
      const first = this.layers.length;
      const out = this.lower(node, inputs);
      const depth = this.depths.get(out) ?? 0;
      if (depth > TFJS_MAX_DEPTH) {
        throw new LoweringError(
          node,
          `the model is ${depth.toLocaleString("en-US")} tfjs layers deep here, over TensorFlow.js's limit of ${TFJS_MAX_DEPTH.toLocaleString("en-US")}`,
          "tfjs-layers overflows the stack on longer chains; make the model shallower, or build it for PyTorch (`--target pytorch`), which has no such limit",
          "E0640",
        );
      }
      if (node.frozen) for (const layer of this.layers.slice(first)) if (WEIGHTED_FACTORIES.has(layer.factory)) layer.config["trainable"] = false;
      this.outputs.set(node.id, out);
      this.shapes.set(out, node.shape);
    }
    return { name: this.ir.model, input: { name: this.ir.input.name, shape: this.ir.input.shape }, layers: this.layers, output: this.outputs.get(this.ir.output.node)! };
  }

  add(name: string, factory: string, config: Record<string, unknown>, inputs: string[], shape?: number[]): string {
    const seeded: Record<string, unknown> = {};
    if (this.options.seed !== undefined) {
      for (const key of INITIALIZER_KEYS[factory] ?? []) seeded[key] = { initializer: "glorotUniform", seed: this.nextSeed++ } satisfies SeededInitializer;
      // cnnc's grouped convolution takes its seed as a number, which its saved config keeps.
      if (factory === "groupedConv2d") seeded["seed"] = this.nextSeed++;
    }
    this.layers.push({ name, factory, config: { name, ...config, ...seeded }, inputs });
    this.depths.set(name, 1 + Math.max(...inputs.map((input) => this.depths.get(input) ?? 0)));
    if (shape) this.shapes.set(name, shape);
    return name;
  }

  zeroPad(input: string, pads: Pads, name: string): string {
    const [t, b, l, r] = pads;
    const shape = this.shapes.get(input)!;
    return this.add(name, "zeroPadding2d", { padding: [[t, b], [l, r]] }, [input], [shape[0]! + t + b, shape[1]! + l + r, shape[2]!]);
  }

  /**
   * Pads by repeating edge rows and columns, using only cropping and concatenation. For a
   * max pool whose windows always contain a real element (PyTorch requires padding ≤ half
   * the window), this equals padding with −∞.
   */
  replicatePad(node: IrNode, input: string, pads: Pads): string {
    let current = input;
    const sides: [number, "top" | "bottom" | "left" | "right"][] = [[pads[0], "top"], [pads[1], "bottom"], [pads[2], "left"], [pads[3], "right"]];
    for (const [amount, side] of sides) {
      if (amount === 0) continue;
      const [h, w, c] = this.shapes.get(current)!;
      const vertical = side === "top" || side === "bottom";
      const cropping = side === "top" ? [[0, h! - 1], [0, 0]] : side === "bottom" ? [[h! - 1, 0], [0, 0]] : side === "left" ? [[0, 0], [0, w! - 1]] : [[0, 0], [w! - 1, 0]];
      const edge = this.add(`${node.name}_${side}_edge`, "cropping2D", { cropping }, [current], vertical ? [1, w!, c!] : [h!, 1, c!]);
      const copies = Array.from({ length: amount }, () => edge);
      const parts = side === "top" || side === "left" ? [...copies, current] : [current, ...copies];
      current = this.add(`${node.name}_${side}_pad`, "concatenate", { axis: vertical ? 1 : 2 }, parts, vertical ? [h! + amount, w!, c!] : [h!, w! + amount, c!]);
    }
    return current;
  }

  private lower(node: IrNode, inputs: string[]): string {
    const lowering: TfLowering<IrOp> = TFJS_LOWERINGS[node.attrs.op];
    return lowering(this, node.attrs, node, inputs, this.shapes.get(inputs[0]!)!);
  }

}

/** One IR op's lowering: adds its layers and returns the name of the layer that gives its value. */
type TfLowering<K extends IrOp> = { lower(l: Lowerer, a: IrAttrsOf<K>, node: IrNode, inputs: string[], inShape: number[]): string }["lower"];

function lowerConv(l: Lowerer, a: IrAttrsOf<"conv" | "depthwise_conv" | "separable_conv">, node: IrNode, input: string, inShape: number[]): string {
  if ((a.stride[0] > 1 || a.stride[1] > 1) && (a.dilation[0] > 1 || a.dilation[1] > 1)) {
    throw new LoweringError(node, "tfjs cannot combine a stride above 1 with a dilation above 1", "use stride 1 with dilation, then pool or stride in a separate layer");
  }
  const depthwise = a.op !== "conv" || (a.groups > 1 && a.groups === inShape[2]);
  if (depthwise && (a.dilation[0] > 1 || a.dilation[1] > 1)) {
    // tfjs-layers 4.22's depthwise layers ignore dilationRate and would compute an undilated conv.
    throw new LoweringError(node, "tfjs's depthwise and separable convolution layers ignore dilation", "use dilation 1 for depthwise convolutions, or a regular conv");
  }
  let source = input;
  let padding: "same" | "valid" = "valid";
  if (!isZero(a.padding)) {
    if (samePads(a.padding, tfSamePads(inShape, a.kernel, a.stride, a.dilation))) padding = "same";
    else source = l.zeroPad(input, a.padding, `${node.name}_pad`);
  }
  const common = { kernelSize: a.kernel, strides: a.stride, padding, dilationRate: a.dilation, useBias: a.bias };
  if (a.op === "depthwise_conv") return l.add(node.name, "depthwiseConv2d", { ...common, depthMultiplier: a.multiplier }, [source]);
  if (a.op === "separable_conv") {
    if (a.multiplier === 1) return l.add(node.name, "separableConv2d", { filters: a.filters, ...common, depthMultiplier: 1 }, [source]);
    // tfjs 4.22 saves a separable conv without its depth multiplier, so a saved model with
    // multiplier > 1 cannot be reloaded; the same function as two layers round-trips.
    const depthwiseLayer = l.add(`${node.name}_depthwise`, "depthwiseConv2d", { ...common, useBias: false, depthMultiplier: a.multiplier }, [source]);
    return l.add(node.name, "conv2d", { filters: a.filters, kernelSize: [1, 1], strides: [1, 1], padding: "valid", useBias: a.bias }, [depthwiseLayer]);
  }
  const channels = inShape[2]!;
  if (a.groups === 1) return l.add(node.name, "conv2d", { filters: a.filters, ...common }, [source]);
  if (a.groups === channels) return l.add(node.name, "depthwiseConv2d", { ...common, depthMultiplier: a.filters / channels }, [source]);
  // tfjs has no grouped convolution: cnnc's layer convolves each group's slice (src/runtime/layers.ts), on an explicitly padded input.
  if (padding === "same") source = l.zeroPad(input, a.padding, `${node.name}_pad`);
  return l.add(node.name, "groupedConv2d", { filters: a.filters, kernelSize: a.kernel, strides: a.stride, dilationRate: a.dilation, groups: a.groups, useBias: a.bias }, [source]);
}

function lowerPool(l: Lowerer, a: IrAttrsOf<"maxpool" | "avgpool">, node: IrNode, input: string, inShape: number[]): string {
  const [extraBottom, extraRight] = poolOverhang(a, inShape, node.shape);
  const factory = a.op === "maxpool" ? "maxPooling2d" : "averagePooling2d";
  const config = { poolSize: a.kernel, strides: a.stride };
  if (extraBottom === 0 && extraRight === 0) {
    if (isZero(a.padding)) return l.add(node.name, factory, { ...config, padding: "valid" }, [input]);
    const tfSame = samePads(a.padding, tfSamePads(inShape, a.kernel, a.stride, [1, 1]));
    if (tfSame && (a.op === "maxpool" || a.excludePadding)) return l.add(node.name, factory, { ...config, padding: "same" }, [input]);
  }
  if (a.op === "avgpool") {
    if (a.excludePadding || extraBottom > 0 || extraRight > 0) {
      throw new LoweringError(node, "tfjs cannot express this average pooling: its windows run past the padded input", "use ceil_mode: false, or padding `same` with a stride that divides the input");
    }
    return l.add(node.name, factory, { ...config, padding: "valid" }, [l.zeroPad(input, a.padding, `${node.name}_pad`)]);
  }
  const padded = l.replicatePad(node, input, [a.padding[0], a.padding[1] + extraBottom, a.padding[2], a.padding[3] + extraRight]);
  return l.add(node.name, factory, { ...config, padding: "valid" }, [padded]);
}

function lowerGlobalPool(l: Lowerer, a: IrAttrsOf<"global_avgpool" | "global_maxpool">, node: IrNode, input: string, inShape: number[]): string {
  const factory = a.op === "global_avgpool" ? "globalAveragePooling2d" : "globalMaxPooling2d";
  if (!a.keepdims) return l.add(node.name, factory, {}, [input]);
  // tfjs 4.22's global pooling layers ignore keepDims, so reshape back to [1, 1, C].
  const pooled = l.add(`${node.name}_flat`, factory, {}, [input]);
  return l.add(node.name, "reshape", { targetShape: [1, 1, inShape[2]] }, [pooled]);
}

const activation =
  (name: string): TfLowering<IrOp> =>
  (l, _a, node, [input]) =>
    l.add(node.name, "activation", { activation: name }, [input!]);

/** The tfjs lowering of every IR op; the compiler refuses an op without one. */
const TFJS_LOWERINGS: { [K in IrOp]: TfLowering<K> } = {
  input: (_l, _a, _node, [input]) => input!,
  conv: (l, a, node, [input], inShape) => lowerConv(l, a, node, input!, inShape),
  depthwise_conv: (l, a, node, [input], inShape) => lowerConv(l, a, node, input!, inShape),
  separable_conv: (l, a, node, [input], inShape) => lowerConv(l, a, node, input!, inShape),
  transposed_conv(l, a, node, [input], inShape) {
    const full = (size: number, k: number, s: number): number => size * s + Math.max(k - s, 0);
    const [t, , left] = a.padding;
    const [h, w] = node.shape;
    const cropBottom = full(inShape[0]!, a.kernel[0], a.stride[0]) - t - h!;
    const cropRight = full(inShape[1]!, a.kernel[1], a.stride[1]) - left - w!;
    if (cropBottom < 0 || cropRight < 0) {
      throw new LoweringError(node, "tfjs cannot add output_padding beyond what the kernel covers", "use a kernel at least as large as the stride, or padding ≥ output_padding");
    }
    const crops = t + cropBottom + left + cropRight > 0;
    const conv = l.add(`${node.name}${crops ? "_full" : ""}`, "conv2dTranspose", { filters: a.filters, kernelSize: a.kernel, strides: a.stride, padding: "valid", useBias: a.bias }, [input!]);
    if (!crops) return conv;
    return l.add(node.name, "cropping2D", { cropping: [[t, cropBottom], [left, cropRight]] }, [conv]);
  },
  maxpool: (l, a, node, [input], inShape) => lowerPool(l, a, node, input!, inShape),
  avgpool: (l, a, node, [input], inShape) => lowerPool(l, a, node, input!, inShape),
  global_avgpool: (l, a, node, [input], inShape) => lowerGlobalPool(l, a, node, input!, inShape),
  global_maxpool: (l, a, node, [input], inShape) => lowerGlobalPool(l, a, node, input!, inShape),
  // Keras weighs the old running average by `momentum`; PyTorch weighs the new batch.
  batchnorm: (l, a, node, [input]) => l.add(node.name, "batchNormalization", { axis: -1, epsilon: a.epsilon, momentum: roundFloat(1 - a.momentum) }, [input!]),
  layernorm: (l, a, node, [input]) => l.add(node.name, "layerNormalization", { axis: -1, epsilon: a.epsilon }, [input!]),
  dropout: (l, a, node, [input]) => l.add(node.name, "dropout", { rate: a.rate }, [input!]),
  relu: activation("relu"),
  relu6: activation("relu6"),
  sigmoid: activation("sigmoid"),
  tanh: activation("tanh"),
  swish: activation("swish"),
  silu: activation("swish"),
  gelu: activation("gelu"),
  hardswish: (l, a, node, [input]) => l.add(node.name, "hardActivation", { fn: a.op }, [input!]),
  hardsigmoid: (l, a, node, [input]) => l.add(node.name, "hardActivation", { fn: a.op }, [input!]),
  layer_scale: (l, a, node, [input]) => l.add(node.name, "layerScale", { init: a.init }, [input!]),
  // Keras layers see `training` in their call arguments; cnnc's layer is the identity without it.
  stochastic_depth: (l, a, node, [input]) => l.add(node.name, "stochasticDepth", { rate: a.rate }, [input!]),
  channel_split: (l, a, node, [input]) => l.add(node.name, "channelSlice", { start: a.start, size: a.size }, [input!]),
  channel_shuffle: (l, a, node, [input]) => l.add(node.name, "channelShuffle", { groups: a.groups }, [input!]),
  softmax: activation("softmax"),
  leaky_relu: (l, a, node, [input]) => l.add(node.name, "leakyReLU", { alpha: a.alpha }, [input!]),
  elu(l, a, node, [input]) {
    if (a.alpha !== 1) throw new LoweringError(node, `tfjs's elu layer supports only alpha 1, not ${a.alpha}`, "use `elu` with its default alpha, or another activation");
    return l.add(node.name, "elu", { alpha: a.alpha }, [input!]);
  },
  dense: (l, a, node, [input]) => l.add(node.name, "dense", { units: a.units, useBias: a.bias }, [input!]),
  flatten: (l, _a, node, [input]) => l.add(node.name, "flatten", {}, [input!]),
  upsample: (l, a, node, [input]) => l.add(node.name, "upSampling2d", { size: a.scale, interpolation: a.mode }, [input!]),
  zero_pad: (l, a, node, [input]) => l.zeroPad(input!, a.padding, node.name),
  concat: (l, _a, node, inputs) => l.add(node.name, "concatenate", { axis: -1 }, inputs),
  add: (l, _a, node, inputs) => l.add(node.name, "add", {}, inputs),
  multiply: (l, _a, node, inputs) => l.add(node.name, "multiply", {}, inputs),
};

function roundFloat(x: number): number {
  return Math.round(x * 1e12) / 1e12;
}

export function lowerToTfjs(ir: IrGraph, options: LoweringOptions = {}): TfModelSpec {
  return new Lowerer(ir, options).run();
}
