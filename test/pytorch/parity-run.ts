// One parity suite: prepares every model in tfjs, runs all of them in one Python process,
// and checks parameter counts, running statistics, output shapes and outputs.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadTfjs } from "../../src/runtime/backend.js";
import { lowerExample, lowerText, type LoweredExample } from "../tfjs-helpers.js";
import { prepareParity, runPython, type ParityResult } from "../../bench/pytorch-parity/parity.js";

/** Outputs may differ by float32 rounding only. */
export const TOLERANCE = 1e-4;

export function lowerCase(name: string): LoweredExample {
  return name.startsWith("ops_") ? lowerText(readFileSync(join(import.meta.dirname, "cases", `${name}.cnn`), "utf8"), 1) : lowerExample(name, 1);
}

export function paritySuite(title: string, names: string[]): void {
  describe(title, () => {
    const lowered = new Map<string, LoweredExample>();
    const results = new Map<string, ParityResult>();
    let dir: string;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "cnnc-parity-"));
      const { tf } = await loadTfjs("wasm");
      const jobs = [];
      for (const name of names) {
        const model = lowerCase(name);
        lowered.set(name, model);
        jobs.push(await prepareParity(tf, name, model, join(dir, name)));
      }
      for (const result of runPython(jobs)) results.set(result.name, result);
    }, 300_000);
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    for (const name of names) {
      it(name, () => {
        const { ir } = lowered.get(name)!;
        const result = results.get(name)!;
        expect({ params: result.params, buffers: result.buffers, shape: result.shape }).toEqual({ params: ir.params.trainable, buffers: ir.params.nonTrainable, shape: ir.output.shape });
        expect(result.max_abs_error).toBeLessThan(TOLERANCE);
      });
    }
  });
}
