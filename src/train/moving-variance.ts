// Batchnorm's running variance as PyTorch keeps it. tfjs-layers updates the moving variance
// with the batch's biased variance (the mean of squared deviations, over n = batch × height
// × width values per channel); PyTorch's BatchNorm uses the unbiased one, × n / (n − 1). So
// that a model trained by `cnnc train` keeps the statistics the PyTorch engine would, each
// batchnorm layer of the training model corrects its update as it is written:
//   tfjs writes    v' = m·v + (1 − m)·s²            (m: tfjs's momentum, the old value's weight)
//   PyTorch keeps  v' = m·v + (1 − m)·s²·n / (n − 1)
//                     = tfjs's v' + (tfjs's v' − m·v) / (n − 1)
// The saved model is a plain tfjs model: only this process's layer instances are changed.

import type * as tfjs from "@tensorflow/tfjs";
import type { Tf } from "../runtime/tf.js";

interface BatchNormLayer {
  momentum: number;
  call(inputs: tfjs.Tensor | tfjs.Tensor[], kwargs: Record<string, unknown>): tfjs.Tensor | tfjs.Tensor[];
}

interface WritableWeight {
  originalName: string;
  read(): tfjs.Tensor;
  write(value: tfjs.Tensor): unknown;
}

/** Makes every batchnorm layer of a training model update its moving variance with the unbiased batch variance. */
export function useUnbiasedMovingVariance(tf: Tf, model: tfjs.LayersModel): void {
  for (const layer of model.layers) {
    if (layer.getClassName() !== "BatchNormalization") continue;
    const batchNorm = layer as unknown as BatchNormLayer;
    const variance = (layer.nonTrainableWeights as unknown as WritableWeight[]).find((w) => w.originalName.endsWith("/moving_variance"));
    if (variance === undefined) throw new Error(`batchnorm layer ${layer.name} has no moving_variance`);
    // Values per channel in the batch being normalised, recorded as the layer is called.
    let perChannel = 0;
    const call = batchNorm.call.bind(layer);
    batchNorm.call = (inputs, kwargs) => {
      const input = Array.isArray(inputs) ? inputs[0]! : inputs;
      perChannel = input.size / input.shape[input.shape.length - 1]!;
      return call(inputs, kwargs);
    };
    const write = variance.write.bind(variance);
    variance.write = (value) => {
      if (perChannel < 2) return write(value);
      const corrected = tf.tidy(() => value.add(value.sub(variance.read().mul(batchNorm.momentum)).div(perChannel - 1)));
      try {
        return write(corrected);
      } finally {
        corrected.dispose();
      }
    };
  }
}
