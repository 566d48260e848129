// The training entry points: what prepareTraining adds, how errors are explained, and the
// backend choice. (missing-kernel.test.ts checks stock tfjs, in a process of its own.)

import os from "node:os";
import { describe, expect, it } from "vitest";
import type { Scalar, Tensor, Tensor4D } from "@tensorflow/tfjs";
import { explainKernelError, fastestTrainingBackend, hasTrainingKernels, prepareTraining, trainingKernelNames, wasmThreadCount } from "../../src/kernels/index.js";
import type { BackendProbe } from "../../src/runtime/backend.js";
import { random, tf, uniform } from "./setup.js";

function probe(installed: string[], gpu = false): BackendProbe {
  return { installed: (pkg) => installed.includes(pkg), gpuUsable: () => gpu };
}

/** A conv → max pool → dense classifier's loss on a fixed batch, as a function of its weights. */
function tinyNetwork(next: () => number) {
  const x = uniform([8, 10, 10, 2], next);
  const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], "int32"), 3);
  const filter = tf.variable(uniform([3, 3, 2, 4], next));
  const dense = tf.variable(tf.mul(uniform([100, 3], next), 0.1));
  const loss = (): Scalar => {
    const features = tf.maxPool(tf.relu(tf.conv2d(x as Tensor4D, filter as Tensor4D, 1, "same")), 2, 2, "valid");
    return tf.losses.softmaxCrossEntropy(labels, tf.matMul(tf.reshape(features, [8, 100]), dense)) as Scalar;
  };
  return { loss, variables: [filter, dense], dispose: () => tf.dispose([x, labels, filter, dense]) };
}

describe("training on wasm", () => {
  it("trains after prepareTraining, on the threaded build, without leaking tensors", async () => {
    await tf.setBackend("wasm");
    await prepareTraining(tf, "wasm");
    await prepareTraining(tf, "wasm");
    expect(tf.getBackend()).toBe("wasm");
    expect(hasTrainingKernels(tf, "wasm")).toBe(true);
    expect(wasmThreadCount()).toBe(os.cpus().length >= 2 ? Math.min(os.cpus().length, 8) : 1);
    const network = tinyNetwork(random(2));
    const optimizer = tf.train.adam(0.05);
    const losses: number[] = [];
    let tensorsAfterFirstStep = 0;
    for (let step = 0; step < 15; step++) {
      const loss = optimizer.minimize(network.loss, true)!;
      losses.push((loss.dataSync() as Float32Array)[0]!);
      loss.dispose();
      if (step === 0) tensorsAfterFirstStep = tf.memory().numTensors;
    }
    expect(tf.memory().numTensors).toBe(tensorsAfterFirstStep);
    expect(losses[14]!).toBeLessThan(losses[0]! * 0.5);
    optimizer.dispose();
    network.dispose();
  });

  it("registers every kernel once, however often it is prepared", async () => {
    const names = trainingKernelNames(tf, "wasm");
    expect(names).toEqual(expect.arrayContaining(["Conv2DBackpropFilter", "Conv2DBackpropInput", "MaxPoolGrad", "DepthwiseConv2dNativeBackpropFilter"]));
    const before = names.map((name) => tf.getKernel(name, "wasm"));
    await prepareTraining(tf, "wasm");
    expect(names.map((name) => tf.getKernel(name, "wasm"))).toEqual(before);
  });
});

describe("training on cpu", () => {
  it("computes a dilated conv2d's gradients, which stock tfjs rejects", async () => {
    await tf.setBackend("cpu");
    await prepareTraining(tf, "cpu");
    const next = random(3);
    const x = uniform([1, 9, 9, 2], next);
    const w = uniform([3, 3, 2, 3], next);
    const [dx, dw] = tf.grads((a: Tensor, b: Tensor) => tf.sum(tf.conv2d(a as Tensor4D, b as Tensor4D, 1, "valid", "NHWC", 2)))([x, w]);
    expect(dx!.shape).toEqual([1, 9, 9, 2]);
    expect(dw!.shape).toEqual([3, 3, 2, 3]);
    // Every input pixel that a dilated window reaches gets a nonzero gradient.
    expect(Array.from(dx!.dataSync()).filter((v) => v !== 0).length).toBeGreaterThan(100);
    tf.dispose([x, w, dx!, dw!]);
  });
});

describe("explainKernelError", () => {
  it("passes other errors through unchanged", () => {
    const other = new Error("shapes do not match");
    expect(explainKernelError(other)).toBe(other);
    expect(explainKernelError(new Error("Kernel 'Foo' not registered for backend 'webgpu'"))).toMatchObject({ kernelName: "Foo", backendName: "webgpu" });
  });
});

describe("fastestTrainingBackend", () => {
  const ALL = ["@tensorflow/tfjs", "@tensorflow/tfjs-backend-wasm", "@tensorflow/tfjs-node", "@tensorflow/tfjs-node-gpu"];

  it("prefers native TensorFlow, then wasm with cnnc's kernels, then cpu", () => {
    expect(fastestTrainingBackend(probe(ALL, true)).backend).toBe("gpu");
    expect(fastestTrainingBackend(probe(ALL, false))).toMatchObject({ backend: "tensorflow", reason: expect.stringContaining("no GPU is usable") });
    expect(fastestTrainingBackend(probe(["@tensorflow/tfjs", "@tensorflow/tfjs-backend-wasm"]))).toMatchObject({ backend: "wasm", reason: expect.stringContaining("cnnc's gradient kernels") });
    expect(fastestTrainingBackend(probe(["@tensorflow/tfjs"]))).toMatchObject({ backend: "cpu", reason: expect.stringContaining("not installed") });
  });
});
