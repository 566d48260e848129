// Gradient functions that cnnc registers in place of tfjs's. Gradients are registered per
// kernel name for every backend at once, so each of these runs cnnc's kernels only where
// they are registered and tfjs's own gradient function everywhere else.
// - Conv2D, DepthwiseConv2dNative: tfjs's gradients reject dilation rates above 1 (its
//   backward kernels have no dilation attribute; cnnc's read one). Elsewhere a dilated
//   gradient still fails, with a message that says why.
// - FusedBatchNorm: one sweep instead of a dozen full-size ops (batchnorm.ts).
// - CnncBatchNormTraining (cnnc's own, batchnorm.ts): two sweeps for the whole batch-norm
//   layer in training, its batch statistics included.
// - Mean, Sum: spread dy over the reduced axes directly instead of multiplying by a
//   full-size tensor of ones built in JavaScript.

import type { GradConfig, NamedAttrMap, Tensor } from "@tensorflow/tfjs";
import type { Tf } from "../runtime/tf.js";
import { BATCH_NORM_GRAD, BATCH_NORM_TRAINING, BATCH_NORM_TRAINING_GRAD } from "./batchnorm.js";
import { pair } from "./geometry.js";
import { BROADCAST } from "./memory.js";

const isUndilated = (dilations: unknown): boolean => dilations === undefined || dilations === null || pair(dilations as number | number[]).every((d) => d === 1);

/** Per-channel parameters: one value for all channels, or one per channel (the last axis). */
const perChannel = (shape: number[], channels: number): boolean => {
  const size = shape.reduce((a, b) => a * b, 1);
  return size === 1 || (size === channels && shape[shape.length - 1] === channels);
};

export function trainingGradients(tf: Tf, stock: (kernelName: string) => GradConfig, hasCnncKernels: (backendName: string) => boolean): GradConfig[] {
  const run = (kernelName: string, inputs: Record<string, Tensor>, attrs: NamedAttrMap): Tensor => tf.engine().runKernel(kernelName, inputs, attrs) as Tensor;
  const active = (): boolean => hasCnncKernels(tf.getBackend());
  const checkDilation = (op: string, dilations: unknown): void => {
    if (!isUndilated(dilations) && !active()) {
      throw new Error(`the gradient of a dilated ${op} needs cnnc's kernels, which are registered for cpu and wasm, not for backend \`${tf.getBackend()}\``);
    }
  };
  const spread = (kernelName: "Mean" | "Sum"): GradConfig => ({
    kernelName,
    inputsToSave: ["x"],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as [Tensor];
      if (!active() || x.dtype !== "float32") return stock(kernelName).gradFunc(dy, saved, attrs);
      const axes = tf.util.parseAxisParam((attrs as { axis: number | number[] }).axis, x.shape);
      const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
      const reduced = axes.reduce((a, axis) => a * x.shape[axis]!, 1);
      const scale = kernelName === "Mean" ? 1 / reduced : 1;
      return { x: () => run(BROADCAST, { x: tf.reshape(dy as Tensor, kept) }, { shape: x.shape, scale }) };
    },
  });
  return [
    {
      kernelName: "Conv2D",
      inputsToSave: ["x", "filter"],
      gradFunc: (dy, saved, attrs) => {
        const [x, filter] = saved as [Tensor, Tensor];
        const { strides, pad, dataFormat, dimRoundingMode, dilations } = attrs;
        checkDilation("conv2d", dilations);
        if (!active()) return stock("Conv2D").gradFunc(dy, saved, attrs);
        const common: NamedAttrMap = { strides, pad, dataFormat, dimRoundingMode, dilations: dilations ?? 1 };
        return {
          x: () => run("Conv2DBackpropInput", { dy: dy as Tensor, filter }, { ...common, inputShape: x.shape }),
          filter: () => run("Conv2DBackpropFilter", { x, dy: dy as Tensor }, { ...common, filterShape: filter.shape }),
        };
      },
    },
    {
      kernelName: "DepthwiseConv2dNative",
      inputsToSave: ["x", "filter"],
      gradFunc: (dy, saved, attrs) => {
        const [x, filter] = saved as [Tensor, Tensor];
        const { strides, pad, dimRoundingMode, dilations } = attrs;
        checkDilation("depthwise conv2d", dilations);
        if (!active()) return stock("DepthwiseConv2dNative").gradFunc(dy, saved, attrs);
        const common: NamedAttrMap = { strides, pad, dimRoundingMode, dilations: dilations ?? 1 };
        return {
          x: () => run("DepthwiseConv2dNativeBackpropInput", { dy: dy as Tensor, filter }, { ...common, inputShape: x.shape }),
          filter: () => run("DepthwiseConv2dNativeBackpropFilter", { x, dy: dy as Tensor }, { ...common, filterShape: filter.shape }),
        };
      },
    },
    {
      kernelName: "FusedBatchNorm",
      inputsToSave: ["x", "mean", "variance", "scale"],
      gradFunc: (dy, saved, attrs) => {
        const [x, mean, variance, scale] = saved as [Tensor, Tensor, Tensor, Tensor | undefined];
        const channels = x.shape[x.shape.length - 1]!;
        const params = [mean, variance, ...(scale ? [scale] : [])];
        if (!active() || !params.every((p) => perChannel(p.shape, channels) && p.size === mean.size)) return stock("FusedBatchNorm").gradFunc(dy, saved, attrs);
        const inputs: Record<string, Tensor> = { dy: dy as Tensor, x, mean, variance };
        if (scale) inputs.scale = scale;
        const [dx, dmean, dvariance, dscale, doffset] = tf.engine().runKernel(BATCH_NORM_GRAD, inputs, attrs) as Tensor[];
        return { x: () => dx!, mean: () => dmean!, variance: () => dvariance!, scale: () => dscale!, offset: () => doffset! };
      },
    },
    {
      kernelName: BATCH_NORM_TRAINING,
      inputsToSave: ["x", "scale"],
      outputsToSave: [false, true, true],
      gradFunc: (dys, saved, attrs) => {
        const [dy, dmean, dvariance] = dys as Tensor[];
        const [x, scale, mean, variance] = saved as [Tensor, Tensor, Tensor, Tensor];
        const [dx, dscale, doffset] = tf.engine().runKernel(BATCH_NORM_TRAINING_GRAD, { dy: dy!, x, mean, variance, scale, dmean: dmean!, dvariance: dvariance! }, attrs) as Tensor[];
        return { x: () => dx!, scale: () => dscale!, offset: () => doffset! };
      },
    },
    spread("Mean"),
    spread("Sum"),
  ];
}
