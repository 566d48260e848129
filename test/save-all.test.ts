// Every example survives the tfjs save format: serialised as model.json + weights.bin and
// loaded back with tf.loadLayersModel, it predicts exactly what the built model predicts.
// (test/save.test.ts covers writing to disk, seeds and output-directory errors.)

import { beforeAll, describe, expect, it } from "vitest";
import { buildTfjsModel, type Tf } from "../src/emit/tfjs-build.js";
import { fileLoadHandler, serializeModel } from "../src/emit/tfjs-save.js";
import { loadTfjs } from "../src/runtime/backend.js";
import { cnnFiles, EXAMPLES } from "./helpers.js";
import { lowerExample } from "./tfjs-helpers.js";

let tf: Tf;
beforeAll(async () => {
  tf = (await loadTfjs("wasm")).tf;
});

describe("save → load round trip", () => {
  for (const file of cnnFiles(EXAMPLES)) {
    const name = file.replace(/\.cnn$/, "");
    it(name, async () => {
      const { ir, spec } = lowerExample(name, 3);
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
