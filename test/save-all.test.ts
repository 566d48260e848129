// Every example (the heaviest only with CNNC_EXHAUSTIVE=1) survives the tfjs save format: serialised as model.json + weights.bin and
// loaded back with tf.loadLayersModel, it predicts exactly what the built model predicts.
// (test/save.test.ts covers writing to disk, seeds and output-directory errors.)

import { beforeAll, describe, expect, it } from "vitest";
import { buildTfjsModel } from "../src/emit/tfjs-build.js";
import type { Tf } from "../src/runtime/tf.js";
import { fileLoadHandler, serializeModel } from "../src/emit/tfjs-save.js";
import { loadTfjs } from "../src/runtime/backend.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, tfjsExamples } from "./helpers.js";
import { lowerExample, lowerText, type LoweredExample } from "./tfjs-helpers.js";

/** cnnc's own layers (grouped convolution, channel split and shuffle, layer scale, …) in one small model. */
const MODERN_OPS = "ops_modern";
const lower = (name: string): LoweredExample =>
  name === MODERN_OPS ? lowerText(readFileSync(join(ROOT, "test", "pytorch", "cases", `${name}.cnn`), "utf8"), 3) : lowerExample(name, 3);

let tf: Tf;
beforeAll(async () => {
  tf = (await loadTfjs("wasm")).tf;
});

describe("save → load round trip", () => {
  for (const name of [...tfjsExamples(), MODERN_OPS]) {
    it(name, async () => {
      const { ir, spec } = lower(name);
      const model = buildTfjsModel(tf, spec);
      const files = await serializeModel(tf, model);
      const loaded = await tf.loadLayersModel(fileLoadHandler(tf, files["model.json"], files["weights.bin"]));
      try {
        expect(loaded.countParams()).toBe(ir.params.total);
        const input = tf.randomNormal([1, ...ir.input.shape], 0, 1, "float32", 5);
        const expected = model.predict(input) as ReturnType<Tf["tensor"]>;
        const actual = loaded.predict(input) as ReturnType<Tf["tensor"]>;
        expect(Array.from(await actual.data())).toEqual(Array.from(await expected.data()));
        tf.dispose([input, expected, actual]);
      } finally {
        model.dispose();
        loaded.dispose();
      }
    });
  }
});
