// Turns a data set into tensors, batch by batch, in a given order, augmenting on the way.

import type * as tfjs from "@tensorflow/tfjs";
import type { Tf } from "../runtime/tf.js";
import { augmentImage, isAugmenting, type Augmentation } from "../data/augment.js";
import { imageSize, type Dataset } from "../data/dataset.js";

export function batchTensors(tf: Tf, data: Dataset, indices: ArrayLike<number>, augmentation?: Augmentation, random?: () => number): { x: tfjs.Tensor4D; y: tfjs.Tensor } {
  const size = imageSize(data);
  const x = new Float32Array(indices.length * size);
  for (let i = 0; i < indices.length; i++) {
    const from = indices[i]!;
    const image = x.subarray(i * size, (i + 1) * size);
    image.set(data.x.subarray(from * size, (from + 1) * size));
    if (augmentation && random && isAugmenting(augmentation)) augmentImage(image, data.shape, augmentation, random);
  }
  const [h, w, c] = data.shape;
  const xs = tf.tensor4d(x, [indices.length, h, w, c]);
  if (data.labels.kind === "index") {
    const values = new Int32Array(indices.length);
    for (let i = 0; i < indices.length; i++) values[i] = data.labels.values[indices[i]!]!;
    return { x: xs, y: tf.tensor1d(values, "int32") };
  }
  const width = data.labels.width;
  const values = new Float32Array(indices.length * width);
  for (let i = 0; i < indices.length; i++) values.set(data.labels.values.subarray(indices[i]! * width, (indices[i]! + 1) * width), i * width);
  return { x: xs, y: tf.tensor2d(values, [indices.length, width]) };
}

export function range(start: number, end: number): Int32Array {
  const out = new Int32Array(Math.max(end - start, 0));
  for (let i = 0; i < out.length; i++) out[i] = start + i;
  return out;
}
