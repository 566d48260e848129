// Lowers the IR to TensorFlow.js layer specs: plain data naming a `tf.layers` factory and
// its config for every layer. The in-process builder and the TypeScript emitter both
// interpret these specs, so the two targets cannot drift apart.
//
// Lowering is exact or it fails: where tfjs's `same`/`valid` cannot say what the IR says,
// explicit padding layers are added; where no tfjs layer computes the IR's function, a
// LoweringError names the node, and the CLI reports it at the node's source line.

import { poolOverhang, type IrGraph, type IrNode, type Pads, type Pair } from "../ir/ir.js";

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
  ) {
    super(message);
  }
}

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

class Lowerer {
  readonly layers: TfLayerSpec[] = [];
  private readonly outputs = new Map<number, string>();
  private readonly shapes = new Map<string, number[]>();
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
      const out = this.lower(node, inputs);
      this.outputs.set(node.id, out);
      this.shapes.set(out, node.shape);
    }
    return { name: this.ir.model, input: { name: this.ir.input.name, shape: this.ir.input.shape }, layers: this.layers, output: this.outputs.get(this.ir.output.node)! };
  }

  private add(name: string, factory: string, config: Record<string, unknown>, inputs: string[], shape?: number[]): string {
    const seeded: Record<string, unknown> = {};
    if (this.options.seed !== undefined) {
      for (const key of INITIALIZER_KEYS[factory] ?? []) seeded[key] = { initializer: "glorotUniform", seed: this.nextSeed++ } satisfies SeededInitializer;
    }
    this.layers.push({ name, factory, config: { name, ...config, ...seeded }, inputs });
    if (shape) this.shapes.set(name, shape);
    return name;
  }

  private zeroPad(input: string, pads: Pads, name: string): string {
    const [t, b, l, r] = pads;
    const shape = this.shapes.get(input)!;
    return this.add(name, "zeroPadding2d", { padding: [[t, b], [l, r]] }, [input], [shape[0]! + t + b, shape[1]! + l + r, shape[2]!]);
  }

  /**
   * Pads by repeating edge rows and columns, using only cropping and concatenation. For a
   * max pool whose windows always contain a real element (PyTorch requires padding ≤ half
   * the window), this equals padding with −∞.
   */
  private replicatePad(node: IrNode, input: string, pads: Pads): string {
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
    const a = node.attrs;
    const input = inputs[0]!;
    const inShape = this.shapes.get(input)!;
    switch (a.op) {
      case "conv":
      case "depthwise_conv":
      case "separable_conv": {
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
          else source = this.zeroPad(input, a.padding, `${node.name}_pad`);
        }
        const common = { kernelSize: a.kernel, strides: a.stride, padding, dilationRate: a.dilation, useBias: a.bias };
        if (a.op === "depthwise_conv") return this.add(node.name, "depthwiseConv2d", { ...common, depthMultiplier: a.multiplier }, [source]);
        if (a.op === "separable_conv") {
          if (a.multiplier === 1) return this.add(node.name, "separableConv2d", { filters: a.filters, ...common, depthMultiplier: 1 }, [source]);
          // tfjs 4.22 saves a separable conv without its depth multiplier, so a saved model with
          // multiplier > 1 cannot be reloaded; the same function as two layers round-trips.
          const depthwise = this.add(`${node.name}_depthwise`, "depthwiseConv2d", { ...common, useBias: false, depthMultiplier: a.multiplier }, [source]);
          return this.add(node.name, "conv2d", { filters: a.filters, kernelSize: [1, 1], strides: [1, 1], padding: "valid", useBias: a.bias }, [depthwise]);
        }
        const channels = inShape[2]!;
        if (a.groups === 1) return this.add(node.name, "conv2d", { filters: a.filters, ...common }, [source]);
        if (a.groups === channels) return this.add(node.name, "depthwiseConv2d", { ...common, depthMultiplier: a.filters / channels }, [source]);
        throw new LoweringError(node, `tfjs has no grouped convolution (groups: ${a.groups} of ${channels} channels)`, "use groups: 1, or groups equal to the input channels (a depthwise convolution)");
      }
      case "transposed_conv": {
        const full = (size: number, k: number, s: number): number => size * s + Math.max(k - s, 0);
        const [t, , l] = a.padding;
        const [h, w] = node.shape;
        const cropBottom = full(inShape[0]!, a.kernel[0], a.stride[0]) - t - h!;
        const cropRight = full(inShape[1]!, a.kernel[1], a.stride[1]) - l - w!;
        if (cropBottom < 0 || cropRight < 0) {
          throw new LoweringError(node, "tfjs cannot add output_padding beyond what the kernel covers", "use a kernel at least as large as the stride, or padding ≥ output_padding");
        }
        const conv = this.add(`${node.name}${t + cropBottom + l + cropRight > 0 ? "_full" : ""}`, "conv2dTranspose", { filters: a.filters, kernelSize: a.kernel, strides: a.stride, padding: "valid", useBias: a.bias }, [input]);
        if (t + cropBottom + l + cropRight === 0) return conv;
        return this.add(node.name, "cropping2D", { cropping: [[t, cropBottom], [l, cropRight]] }, [conv]);
      }
      case "maxpool":
      case "avgpool": {
        const [extraBottom, extraRight] = poolOverhang(a, inShape, node.shape);
        const factory = a.op === "maxpool" ? "maxPooling2d" : "averagePooling2d";
        const config = { poolSize: a.kernel, strides: a.stride };
        if (extraBottom === 0 && extraRight === 0) {
          if (isZero(a.padding)) return this.add(node.name, factory, { ...config, padding: "valid" }, [input]);
          const tfSame = samePads(a.padding, tfSamePads(inShape, a.kernel, a.stride, [1, 1]));
          if (tfSame && (a.op === "maxpool" || a.excludePadding)) return this.add(node.name, factory, { ...config, padding: "same" }, [input]);
        }
        if (a.op === "avgpool") {
          if (a.excludePadding || extraBottom > 0 || extraRight > 0) {
            throw new LoweringError(node, "tfjs cannot express this average pooling: its windows run past the padded input", "use ceil_mode: false, or padding `same` with a stride that divides the input");
          }
          return this.add(node.name, factory, { ...config, padding: "valid" }, [this.zeroPad(input, a.padding, `${node.name}_pad`)]);
        }
        const padded = this.replicatePad(node, input, [a.padding[0], a.padding[1] + extraBottom, a.padding[2], a.padding[3] + extraRight]);
        return this.add(node.name, factory, { ...config, padding: "valid" }, [padded]);
      }
      case "global_avgpool":
      case "global_maxpool": {
        const factory = a.op === "global_avgpool" ? "globalAveragePooling2d" : "globalMaxPooling2d";
        if (!a.keepdims) return this.add(node.name, factory, {}, [input]);
        // tfjs 4.22's global pooling layers ignore keepDims, so reshape back to [1, 1, C].
        const pooled = this.add(`${node.name}_flat`, factory, {}, [input]);
        return this.add(node.name, "reshape", { targetShape: [1, 1, inShape[2]] }, [pooled]);
      }
      case "batchnorm":
        // Keras weighs the old running average by `momentum`; PyTorch weighs the new batch.
        return this.add(node.name, "batchNormalization", { axis: -1, epsilon: a.epsilon, momentum: roundFloat(1 - a.momentum) }, [input]);
      case "layernorm":
        return this.add(node.name, "layerNormalization", { axis: -1, epsilon: a.epsilon }, [input]);
      case "dropout":
        return this.add(node.name, "dropout", { rate: a.rate }, [input]);
      case "relu":
      case "relu6":
      case "sigmoid":
      case "tanh":
      case "swish":
      case "gelu":
      case "softmax":
        return this.add(node.name, "activation", { activation: a.op }, [input]);
      case "silu":
        return this.add(node.name, "activation", { activation: "swish" }, [input]);
      case "leaky_relu":
        return this.add(node.name, "leakyReLU", { alpha: a.alpha }, [input]);
      case "elu":
        if (a.alpha !== 1) throw new LoweringError(node, `tfjs's elu layer supports only alpha 1, not ${a.alpha}`, "use `elu` with its default alpha, or another activation");
        return this.add(node.name, "elu", { alpha: a.alpha }, [input]);
      case "dense":
        return this.add(node.name, "dense", { units: a.units, useBias: a.bias }, [input]);
      case "flatten":
        return this.add(node.name, "flatten", {}, [input]);
      case "upsample":
        return this.add(node.name, "upSampling2d", { size: a.scale, interpolation: a.mode }, [input]);
      case "zero_pad":
        return this.zeroPad(input, a.padding, node.name);
      case "concat":
        return this.add(node.name, "concatenate", { axis: -1 }, inputs);
      case "add":
        return this.add(node.name, "add", {}, inputs);
      case "multiply":
        return this.add(node.name, "multiply", {}, inputs);
      case "input":
        return input;
    }
  }
}

function roundFloat(x: number): number {
  return Math.round(x * 1e12) / 1e12;
}

export function lowerToTfjs(ir: IrGraph, options: LoweringOptions = {}): TfModelSpec {
  return new Lowerer(ir, options).run();
}
