// Every example compiles cleanly, its summary matches the committed golden files, and the
// reference architectures give exactly the figures PyTorch/torchvision report.

import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { compile } from "../src/compile.js";
import { renderSummary, summarize } from "../src/summary/summary.js";
import { cnnFiles, EXAMPLES, GOLDEN, read, REFERENCE } from "./helpers.js";

const examples = cnnFiles(EXAMPLES);

describe("examples", () => {
  it("include every reference architecture and U-Net", () => {
    for (const name of [...Object.keys(REFERENCE), "unet"]) expect(examples).toContain(`${name}.cnn`);
  });

  for (const file of examples) {
    const name = file.replace(/\.cnn$/, "");
    describe(name, () => {
      const text = read(join(EXAMPLES, file));
      const result = compile(text);

      it("compiles without diagnostics", () => {
        expect(result.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
        expect(result.models.length).toBeGreaterThan(0);
        for (const model of result.models) expect(model.complete).toBe(true);
      });

      it("matches its golden summary", async () => {
        const model = result.models[result.models.length - 1]!;
        // As `cnnc summary` prints it: with the memory at the train declaration's batch.
        const summary = summarize(model, text, { memory: { train: result.trains.find((t) => t.model === model.name) } });
        await expect(renderSummary(summary)).toMatchFileSnapshot(join(GOLDEN, "summaries", `${name}.txt`));
        await expect(JSON.stringify(summary, null, 2) + "\n").toMatchFileSnapshot(join(GOLDEN, "summaries", `${name}.json`));
      });

      const reference = REFERENCE[name];
      if (reference !== undefined) {
        it("matches the reference figures exactly", () => {
          const model = result.models[result.models.length - 1]!;
          const summary = summarize(model, text);
          expect({
            trainable: summary.params.trainable,
            nonTrainable: summary.params.nonTrainable,
            macs: summary.macs,
            output: summary.output,
          }).toEqual(reference);
          expect(summary.params.total).toBe(reference.trainable + reference.nonTrainable);
        });
      }
    });
  }
});
