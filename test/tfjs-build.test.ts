// The in-process tfjs target: every example builds as a tf.LayersModel whose layers have
// the checker's shapes and whose countParams() equals the summary's total; a forward pass
// runs on the WebAssembly backend; small models train a step on the CPU backend.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTfjsModel } from "../src/emit/tfjs-build.js";
import { loadTfjs } from "../src/runtime/backend.js";
import type { Tf } from "../src/runtime/tf.js";
import { EXAMPLES, tfjsExamples } from "./helpers.js";
import { lowerExample, lowerText } from "./tfjs-helpers.js";

let tf: Tf;
beforeAll(async () => {
  tf = (await loadTfjs("wasm")).tf;
});
afterAll(async () => {
  await tf.setBackend("wasm");
});

describe("every example as a tfjs LayersModel", () => {
  for (const name of tfjsExamples()) {
    it(name, async () => {
      await tf.setBackend("wasm");
      const { ir, spec } = lowerExample(name, 1);
      const model = buildTfjsModel(tf, spec);
      try {
        expect(model.countParams()).toBe(ir.params.total);
        for (const node of ir.nodes) {
          if (node.attrs.op === "input") continue;
          expect([node.name, (model.getLayer(node.name).outputShape as number[]).slice(1)]).toEqual([node.name, node.shape]);
        }
        const input = tf.randomNormal([1, ...ir.input.shape]);
        const output = model.predict(input) as ReturnType<Tf["tensor"]>;
        expect(output.shape).toEqual([1, ...ir.output.shape]);
        expect(Array.from(await output.data()).every(Number.isFinite)).toBe(true);
        tf.dispose([input, output]);
      } finally {
        model.dispose();
      }
    });
  }
});

describe("training a step", () => {
  async function fitOnce(backend: string, text: string): Promise<number> {
    await tf.setBackend(backend);
    const { ir, spec } = lowerText(text, 7);
    const model = buildTfjsModel(tf, spec);
    model.compile({ optimizer: tf.train.sgd(0.01), loss: "categoricalCrossentropy" });
    const x = tf.randomNormal([4, ...ir.input.shape]);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3], "int32"), ir.output.shape[0]!);
    try {
      const history = await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 });
      return history.history["loss"]![0] as number;
    } finally {
      tf.dispose([x, y]);
      model.dispose();
    }
  }

  const small = `model Small {\n  input x: [12, 12, 3]\n  conv 4, kernel: 3, padding: 1 -> batchnorm -> relu\n  maxpool 3, stride: 2, padding: 1\n  residual {\n    conv 8, kernel: 3, stride: 2, padding: 1 -> batchnorm -> relu\n  } shortcut auto\n  global avgpool\n  dense 10 -> softmax\n}\n`;

  it("runs fit on the CPU backend for LeNet-5 and a residual network", async () => {
    const { readFileSync } = await import("node:fs");
    const lenet = readFileSync(`${EXAMPLES}/lenet5.cnn`, "utf8");
    expect(Number.isFinite(await fitOnce("cpu", lenet))).toBe(true);
    expect(Number.isFinite(await fitOnce("cpu", small))).toBe(true);
  });

  it("on stock wasm, a dense network trains", async () => {
    const dense = "model D {\n  input x: [8]\n  dense 16 -> relu\n  dense 10 -> softmax\n}\n";
    expect(Number.isFinite(await fitOnce("wasm", dense))).toBe(true);
  });
});
