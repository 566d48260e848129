// The benchmark's baselines: LeNet-5 and ResNet-20 written by hand with the tfjs layers
// API, as a tfjs user would, layer for layer the same as examples/lenet5.cnn and
// examples/resnet20.cnn.

import type * as tfjs from "@tensorflow/tfjs";
import type { Tf } from "../../src/runtime/tf.js";

type Tensor = tfjs.SymbolicTensor;

export function handwrittenLeNet5(tf: Tf): tfjs.LayersModel {
  const input = tf.input({ shape: [32, 32, 1] });
  let x = tf.layers.conv2d({ filters: 6, kernelSize: 5 }).apply(input) as Tensor;
  x = tf.layers.activation({ activation: "tanh" }).apply(x) as Tensor;
  x = tf.layers.averagePooling2d({ poolSize: 2 }).apply(x) as Tensor;
  x = tf.layers.conv2d({ filters: 16, kernelSize: 5 }).apply(x) as Tensor;
  x = tf.layers.activation({ activation: "tanh" }).apply(x) as Tensor;
  x = tf.layers.averagePooling2d({ poolSize: 2 }).apply(x) as Tensor;
  x = tf.layers.flatten().apply(x) as Tensor;
  x = tf.layers.dense({ units: 120, activation: "tanh" }).apply(x) as Tensor;
  x = tf.layers.dense({ units: 84, activation: "tanh" }).apply(x) as Tensor;
  x = tf.layers.dense({ units: 10, activation: "softmax" }).apply(x) as Tensor;
  return tf.model({ inputs: input, outputs: x });
}

export function handwrittenResNet20(tf: Tf): tfjs.LayersModel {
  // PyTorch's padding 1 is tfjs's `same` at stride 1, but needs explicit zero padding at stride 2.
  const convBn = (x: Tensor, filters: number, stride: number, kernelSize: number): Tensor => {
    const explicit = kernelSize === 3 && stride === 2;
    const padded = explicit ? (tf.layers.zeroPadding2d({ padding: 1 }).apply(x) as Tensor) : x;
    const padding = kernelSize === 3 && !explicit ? "same" : "valid";
    const conv = tf.layers.conv2d({ filters, kernelSize, strides: stride, padding, useBias: false }).apply(padded) as Tensor;
    return tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }).apply(conv) as Tensor;
  };
  const basic = (x: Tensor, filters: number, stride: number): Tensor => {
    let y = convBn(x, filters, stride, 3);
    y = tf.layers.activation({ activation: "relu" }).apply(y) as Tensor;
    y = convBn(y, filters, 1, 3);
    const channels = x.shape[3];
    const shortcut = stride !== 1 || channels !== filters ? convBn(x, filters, stride, 1) : x;
    const sum = tf.layers.add().apply([y, shortcut]) as Tensor;
    return tf.layers.activation({ activation: "relu" }).apply(sum) as Tensor;
  };
  const input = tf.input({ shape: [32, 32, 3] });
  let x = tf.layers.activation({ activation: "relu" }).apply(convBn(input, 16, 1, 3)) as Tensor;
  for (const [filters, stride] of [[16, 1], [32, 2], [64, 2]] as const) {
    x = basic(x, filters, stride);
    x = basic(x, filters, 1);
    x = basic(x, filters, 1);
  }
  x = tf.layers.globalAveragePooling2d({}).apply(x) as Tensor;
  x = tf.layers.dense({ units: 10 }).apply(x) as Tensor;
  return tf.model({ inputs: input, outputs: x });
}
