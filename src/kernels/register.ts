// cnnc's kernels as tfjs KernelConfigs, per backend. Each kernel function resolves
// tfjs's attributes to a geometry, gets a KernelContext for the backend it runs on, and
// returns a fresh output that the engine owns.

import type { KernelBackend, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from "@tensorflow/tfjs";
import type { Tf } from "../runtime/tf.js";
import { batchNormGradKernel, batchNormTrainingGradKernel, batchNormTrainingKernel } from "./batchnorm.js";
import { kernelContext, type KernelContext, type TrainingBackendName } from "./context.js";
import { conv2DBackpropFilter, conv2DBackpropInput, conv2DForwardJs, depthwiseInputGradientByConv } from "./conv.js";
import { elementwiseKernels } from "./elementwise.js";
import { broadcastKernel, explicitPaddingKernels, sharingKernels, sliceKernel } from "./memory.js";
import { convGeometry, poolGeometry, type ConvGeometry, type PadAttr, type RoundingMode } from "./geometry.js";
import { avgPoolGradient, depthwiseFilterGradient, depthwiseForward, maxPoolGradient, padInput, patchIndex } from "./loops.js";

interface ConvAttrs {
  strides: number | number[];
  pad: PadAttr;
  dilations?: number | number[];
  dimRoundingMode?: RoundingMode;
  dataFormat?: "NHWC" | "NCHW";
}

function requireChannelsLast(kernelName: string, attrs: ConvAttrs): void {
  if (attrs.dataFormat === "NCHW") throw new Error(`cnnc's ${kernelName} kernel supports NHWC tensors only (got dataFormat NCHW)`);
}

type Body = (ctx: KernelContext, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap) => TensorInfo;

function kernel(tf: Tf, backendName: TrainingBackendName, kernelName: string, body: Body): KernelConfig {
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => body(kernelContext(tf, backendName, backend as KernelBackend), inputs as Record<string, TensorInfo>, attrs ?? {});
  return { kernelName, backendName, kernelFunc };
}

function geometryOf(tf: Tf, xShape: number[], filterShape: number[], attrs: ConvAttrs, depthwise = false): ConvGeometry {
  return convGeometry(tf, xShape, filterShape, attrs.strides, attrs.dilations ?? 1, attrs.pad, attrs.dimRoundingMode, depthwise);
}

function conv2DBackpropFilterKernel(tf: Tf, backendName: TrainingBackendName): KernelConfig {
  return kernel(tf, backendName, "Conv2DBackpropFilter", (ctx, { x, dy }, attrs) => {
    const a = attrs as unknown as ConvAttrs & { filterShape: number[] };
    requireChannelsLast("Conv2DBackpropFilter", a);
    return conv2DBackpropFilter(ctx, x!, dy!, geometryOf(tf, x!.shape, a.filterShape, a));
  });
}

function conv2DBackpropInputKernel(tf: Tf, backendName: TrainingBackendName): KernelConfig {
  return kernel(tf, backendName, "Conv2DBackpropInput", (ctx, { dy, filter }, attrs) => {
    const a = attrs as unknown as ConvAttrs & { inputShape: number[] };
    requireChannelsLast("Conv2DBackpropInput", a);
    return conv2DBackpropInput(ctx, dy!, filter!, geometryOf(tf, a.inputShape, filter!.shape, a));
  });
}

function conv2DKernel(tf: Tf): KernelConfig {
  return kernel(tf, "cpu", "Conv2D", (ctx, { x, filter }, attrs) => {
    const a = attrs as unknown as ConvAttrs;
    requireChannelsLast("Conv2D", a);
    return conv2DForwardJs(ctx, x!, filter!, geometryOf(tf, x!.shape, filter!.shape, a));
  });
}

type Activation = "linear" | "relu" | "relu6" | "prelu" | "leakyrelu" | "elu" | "sigmoid";

/** Applies a fused activation in place; `alphas` holds prelu weights broadcast over channels. */
function activate(values: Float32Array, activation: Activation, channels: number, alpha: number, alphas?: Float32Array): void {
  switch (activation) {
    case "linear":
      return;
    case "relu":
      for (let i = 0; i < values.length; i++) if (values[i]! < 0) values[i] = 0;
      return;
    case "relu6":
      for (let i = 0; i < values.length; i++) values[i] = Math.min(Math.max(values[i]!, 0), 6);
      return;
    case "leakyrelu":
      for (let i = 0; i < values.length; i++) if (values[i]! < 0) values[i] = values[i]! * alpha;
      return;
    case "prelu":
      for (let i = 0; i < values.length; i++) if (values[i]! < 0) values[i] = values[i]! * (alphas!.length === 1 ? alphas![0]! : alphas![i % channels]!);
      return;
    case "elu":
      for (let i = 0; i < values.length; i++) if (values[i]! < 0) values[i] = Math.expm1(values[i]!);
      return;
    case "sigmoid":
      for (let i = 0; i < values.length; i++) values[i] = 1 / (1 + Math.exp(-values[i]!));
      return;
  }
}

function fusedConv2DKernel(tf: Tf): KernelConfig {
  return kernel(tf, "cpu", "FusedConv2D", (ctx, { x, filter, bias, preluActivationWeights }, attrs) => {
    const a = attrs as unknown as ConvAttrs & { activation?: Activation; leakyreluAlpha?: number };
    requireChannelsLast("FusedConv2D", a);
    const g = geometryOf(tf, x!.shape, filter!.shape, a);
    const out = conv2DForwardJs(ctx, x!, filter!, g);
    const values = ctx.data(out);
    if (bias !== undefined) {
      const b = ctx.data(bias);
      if (b.length === 1) for (let i = 0; i < values.length; i++) values[i] = values[i]! + b[0]!;
      else for (let i = 0; i < values.length; i++) values[i] = values[i]! + b[i % g.outC]!;
    }
    activate(values, a.activation ?? "linear", g.outC, a.leakyreluAlpha ?? 0.2, preluActivationWeights === undefined ? undefined : ctx.data(preluActivationWeights));
    return out;
  });
}

function depthwiseKernels(tf: Tf, backendName: TrainingBackendName): KernelConfig[] {
  const configs = [
    kernel(tf, backendName, "DepthwiseConv2dNativeBackpropFilter", (ctx, { x, dy }, attrs) => {
      const a = attrs as unknown as ConvAttrs & { filterShape: number[] };
      const g = geometryOf(tf, x!.shape, a.filterShape, a, true);
      const index = patchIndex(g, g.inC, false);
      const dw = ctx.zeros(a.filterShape);
      depthwiseFilterGradient(padInput(ctx.data(x!), g, index), ctx.data(dy!), ctx.data(dw), index, g.inC, a.filterShape[3]!);
      return dw;
    }),
    kernel(tf, backendName, "DepthwiseConv2dNativeBackpropInput", (ctx, { dy, filter }, attrs) => {
      const a = attrs as unknown as ConvAttrs & { inputShape: number[] };
      return depthwiseInputGradientByConv(ctx, dy!, filter!, geometryOf(tf, a.inputShape, filter!.shape, a, true));
    }),
  ];
  if (backendName === "cpu") {
    configs.push(
      kernel(tf, "cpu", "DepthwiseConv2dNative", (ctx, { x, filter }, attrs) => {
        const a = attrs as unknown as ConvAttrs;
        requireChannelsLast("DepthwiseConv2dNative", a);
        const g = geometryOf(tf, x!.shape, filter!.shape, a, true);
        const index = patchIndex(g, g.inC, false);
        const out = ctx.alloc([g.batch, g.outH, g.outW, g.outC]);
        depthwiseForward(padInput(ctx.data(x!), g, index), ctx.data(filter!), ctx.data(out), index, g.inC, filter!.shape[3]!);
        return out;
      }),
    );
  }
  return configs;
}

interface PoolAttrs {
  filterSize: number | number[];
  strides: number | number[];
  pad: PadAttr;
  dimRoundingMode?: RoundingMode;
}

function poolGradKernels(tf: Tf, backendName: TrainingBackendName): KernelConfig[] {
  return [
    kernel(tf, backendName, "MaxPoolGrad", (ctx, { dy, input }, attrs) => {
      const a = attrs as unknown as PoolAttrs;
      const g = poolGeometry(tf, input!.shape, a.filterSize, a.strides, a.pad, a.dimRoundingMode);
      const dx = ctx.alloc(input!.shape);
      maxPoolGradient(ctx.data(input!), ctx.data(dy!), ctx.data(dx), g);
      return dx;
    }),
    kernel(tf, backendName, "AvgPoolGrad", (ctx, { dy, input }, attrs) => {
      const a = attrs as unknown as PoolAttrs;
      const g = poolGeometry(tf, input!.shape, a.filterSize, a.strides, a.pad, a.dimRoundingMode);
      const dx = ctx.alloc(input!.shape);
      avgPoolGradient(ctx.data(dy!), ctx.data(dx), g);
      return dx;
    }),
  ];
}

/**
 * Every kernel cnnc registers for a backend, replacing tfjs's where one exists. `stock`
 * gives tfjs's own kernel, for the cases cnnc's versions hand back to it.
 */
export function trainingKernels(tf: Tf, backendName: TrainingBackendName, stock: (kernelName: string) => KernelConfig | undefined): KernelConfig[] {
  const configs = [
    conv2DBackpropFilterKernel(tf, backendName),
    conv2DBackpropInputKernel(tf, backendName),
    ...depthwiseKernels(tf, backendName),
    ...poolGradKernels(tf, backendName),
    batchNormGradKernel(tf, backendName),
    batchNormTrainingKernel(tf, backendName),
    batchNormTrainingGradKernel(tf, backendName),
    broadcastKernel(tf, backendName),
    ...elementwiseKernels(tf, backendName, stock),
  ];
  const stockSlice = stock("Slice");
  if (stockSlice !== undefined) configs.push(sliceKernel(tf, backendName, stockSlice));
  if (backendName === "wasm") configs.push(...sharingKernels(stock("Cast")), ...explicitPaddingKernels(tf, stock));
  if (backendName === "cpu") configs.push(conv2DKernel(tf), fusedConv2DKernel(tf));
  return configs;
}
