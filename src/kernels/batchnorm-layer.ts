// tfjs-layers' BatchNormalization in training, through cnnc's fused kernels. The layer's
// own training call normalises with tf.moments and tf.batchNorm (see batchnorm.ts for what
// that costs); its call method is replaced, once for the class, by one that runs
// CnncBatchNormTraining where cnnc's kernels serve the active backend and the layer has
// the common form (channels last, scale and centre), and otherwise hands over to the
// original. The moving statistics are updated as the original does, through the same
// variable writes (which src/train/moving-variance.ts corrects to PyTorch's unbiased
// variance).

import type { Tensor } from "@tensorflow/tfjs";
import type { Tf } from "../runtime/tf.js";
import { BATCH_NORM_TRAINING } from "./batchnorm.js";

interface LayerVariable {
  read(): Tensor;
  write(value: Tensor): unknown;
}

interface BatchNormLayer {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma?: LayerVariable;
  beta?: LayerVariable;
  movingMean: LayerVariable;
  movingVariance: LayerVariable;
  call(inputs: Tensor | Tensor[], kwargs: Record<string, unknown>): Tensor | Tensor[];
}

type Call = BatchNormLayer["call"];

/** Marks the replaced call, so that installing twice changes nothing. */
const FUSED = Symbol.for("cnnc.fusedBatchNorm");

/**
 * Routes BatchNormalization's training call through the fused kernel while `active()` says
 * cnnc's kernels serve the current backend. Idempotent.
 */
export function useFusedBatchNormLayer(tf: Tf, active: () => boolean): void {
  const prototype = Object.getPrototypeOf(tf.layers.batchNormalization({})) as BatchNormLayer & { [FUSED]?: Call };
  if (prototype[FUSED] !== undefined) return;
  const original = prototype.call;
  const fused: Call = function (this: BatchNormLayer, inputs, kwargs) {
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    const rank = input?.shape.length ?? 0;
    const lastAxis = this.axis === -1 || this.axis === rank - 1;
    if (kwargs["training"] !== true || !active() || (Array.isArray(inputs) && inputs.length !== 1) || input === undefined || input.dtype !== "float32" || rank < 2 || !lastAxis || !this.scale || !this.center || this.gamma === undefined || this.beta === undefined) {
      return original.call(this, inputs, kwargs);
    }
    return tf.tidy(() => {
      const [normed, mean, variance] = tf.engine().runKernel(BATCH_NORM_TRAINING, { x: input, scale: this.gamma!.read(), offset: this.beta!.read() }, { varianceEpsilon: this.epsilon }) as Tensor[];
      // As tfjs-layers' doMovingAverage: v ← v − (v − batch value)·(1 − momentum).
      const update = (variable: LayerVariable, value: Tensor): void => {
        tf.tidy(() => {
          const current = variable.read();
          variable.write(tf.sub(current, tf.mul(tf.sub(current, value), 1 - this.momentum)));
        });
      };
      update(this.movingMean, mean!);
      update(this.movingVariance, variance!);
      return normed!;
    });
  };
  prototype.call = fused;
  prototype[FUSED] = original;
}
