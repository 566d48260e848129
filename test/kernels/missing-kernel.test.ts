// Stock tfjs on wasm cannot train a convolution; the error says which kernel is missing
// where. Its own file, because every other kernel test registers cnnc's kernels first.

import { describe, expect, it } from "vitest";
import type { Tensor, Tensor4D } from "@tensorflow/tfjs";
import { hasTrainingKernels, MissingKernelError, withTrainingKernels } from "../../src/kernels/index.js";
import { random, tf, uniform } from "./setup.js";

describe("training on stock wasm", () => {
  it("fails on stock tfjs with a message naming the kernel and the backend", async () => {
    await tf.setBackend("wasm");
    const next = random(1);
    const x = uniform([1, 5, 5, 1], next);
    const w = uniform([3, 3, 1, 1], next);
    let caught: unknown;
    try {
      tf.tidy(() => withTrainingKernels(() => tf.grad((filter: Tensor) => tf.sum(tf.conv2d(x as Tensor4D, filter as Tensor4D, 1, "same")))(w)));
    } catch (error) {
      caught = error;
    }
    tf.dispose([x, w]);
    expect(caught).toBeInstanceOf(MissingKernelError);
    expect((caught as MissingKernelError).kernelName).toBe("Conv2DBackpropFilter");
    expect((caught as Error).message).toMatch(/training needs tfjs's Conv2DBackpropFilter kernel, which backend `wasm` does not provide/);
    expect(hasTrainingKernels(tf, "wasm")).toBe(false);
  });
});
