// Very deep models and tfjs: tfjs-layers walks the graph recursively and overflows the
// stack on long chains, so lowering refuses a model deeper than TFJS_MAX_DEPTH with E0640
// at the layer that passes the limit, and a model at the limit builds, runs, saves and
// loads back.

import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile } from "../src/compile.js";
import { buildIr } from "../src/ir/build.js";
import { LoweringError, lowerToTfjs, TFJS_MAX_DEPTH } from "../src/emit/tfjs-lowering.js";
import { buildTfjsModel } from "../src/emit/tfjs-build.js";
import { loadTfjs } from "../src/runtime/backend.js";
import { CLI } from "./helpers.js";

/** A model whose input is followed by `depth` relu layers, one a line from line 3. */
function chain(depth: number): string {
  return `model Deep {\n  input x: [2, 2, 1]\n${"  relu\n".repeat(depth)}}\n`;
}

function lower(text: string) {
  const model = compile(text).models.at(-1)!;
  return lowerToTfjs(buildIr(model, text));
}

describe("models deeper than tfjs can build", () => {
  it("are refused with E0640 at the layer that passes the limit, naming the limit", () => {
    let error: unknown;
    try {
      lower(chain(TFJS_MAX_DEPTH + 5));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LoweringError);
    const lowering = error as LoweringError;
    expect(lowering.code).toBe("E0640");
    expect(lowering.message).toBe(`the model is 3,001 tfjs layers deep here, over TensorFlow.js's limit of 3,000`);
    // The first relu is on line 3, so the one that passes the limit is on line 3,003.
    const text = chain(TFJS_MAX_DEPTH + 5);
    expect(text.slice(0, lowering.node.source.start).split("\n").length).toBe(TFJS_MAX_DEPTH + 3);
  });

  it("are refused by `cnnc build` before anything is built or written", () => {
    const dir = mkdtempSync(join(tmpdir(), "cnnc-deep-"));
    try {
      const file = join(dir, "deep.cnn");
      writeFileSync(file, chain(TFJS_MAX_DEPTH + 1));
      const out = join(dir, "out");
      const result = spawnSync(process.execPath, [CLI, "build", file, "--out", out], { encoding: "utf8" });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain("error[E0640]: the model is 3,001 tfjs layers deep here, over TensorFlow.js's limit of 3,000");
      expect(result.stderr).toContain(`${file}:3003:3`);
      expect(result.stderr).toContain("--target pytorch");
      expect(existsSync(out)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a model at the limit builds in tfjs, runs, and loads back from its saved form", async () => {
    const { tf } = await loadTfjs("cpu");
    const model = buildTfjsModel(tf, lower(chain(TFJS_MAX_DEPTH)));
    expect(model.layers.length).toBe(TFJS_MAX_DEPTH + 1);
    const x = tf.tensor4d([-1, 2, -3, 4], [1, 2, 2, 1]);
    const y = model.predict(x) as import("@tensorflow/tfjs").Tensor;
    expect(Array.from(y.dataSync())).toEqual([0, 2, 0, 4]);
    let saved: import("@tensorflow/tfjs").io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    expect(loaded.layers.length).toBe(TFJS_MAX_DEPTH + 1);
    for (const t of [x, y]) t.dispose();
    model.dispose();
    loaded.dispose();
  }, 120_000);
});
