// Property test: for arbitrary text — random characters, random tokens, and truncated or
// mutated examples — compiling never throws, always ends, and every diagnostic range
// (including related spans and fix edits) lies inside the file, or inside a file it imports.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { join } from "node:path";
import { compile } from "../src/compile.js";
import { cnnFiles, ERRORS, EXAMPLES, read, ROOT } from "./helpers.js";
import { mutatedText } from "./syntax/sources.js";
import { exercise, fuzzProgram, seededRandom, seedPrograms, type Emitted } from "../bench/fuzz/harness.js";

const sources = [...cnnFiles(EXAMPLES).map((f) => read(join(EXAMPLES, f))), ...cnnFiles(ERRORS).map((f) => read(join(ERRORS, f)))];
const TOKENS = ["model", "block", "train", "input", "repeat", "for", "in", "residual", "shortcut", "auto", "gate", "branch", "concat", "add", "if", "else", "let", "as", "from", "expect", "global", "conv", "dense", "relu", "maxpool", "flatten", "batchnorm", "x", "Basic", "(", ")", "[", "]", "{", "}", ",", ":", "->", "=", "==", "+", "-", "*", "/", "%", "0", "1", "3", "64", "-2", "1e9", "0.5", '"s"', "\n", " ", "//c\n", "///d\n", "kernel:", "stride:", "padding:", "same"];

function assertWellFormed(text: string): void {
  const result = compile(text);
  // A span lies inside one file: the main text, or (for an error inside an imported block) a file it imports.
  const inside = (span: { start: number; end: number }): boolean => {
    const { file, span: local } = result.locate(span);
    const length = file.base === 0 ? text.length : file.text.length;
    return local.start >= 0 && local.end <= length && local.start <= local.end && Number.isInteger(local.start) && Number.isInteger(local.end);
  };
  for (const d of result.diagnostics) {
    if (!inside(d.span)) throw new Error(`span ${JSON.stringify(d.span)} outside a ${text.length}-character file: ${d.code} ${d.message}`);
    for (const r of d.related) if (!inside(r.span)) throw new Error(`related span outside the file: ${d.code}`);
    for (const f of d.fixes) for (const e of f.edits) if (!inside(e.span)) throw new Error(`fix edit outside the file: ${d.code}`);
    if (!/^[EW]0\d{3}$/.test(d.code) || d.message.length === 0) throw new Error(`malformed diagnostic ${d.code}`);
  }
}

const mutated = mutatedText(sources, TOKENS, 6);

const truncated = fc.tuple(fc.constantFrom(...sources), fc.nat()).map(([source, cut]) => source.slice(0, cut % (source.length + 1)));
const tokenSoup = fc.array(fc.constantFrom(...TOKENS), { maxLength: 80 }).map((tokens) => tokens.join(" "));

describe("compile on arbitrary input", () => {
  it("never throws and keeps every range inside the file (10,000 cases)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: "binary", maxLength: 200 }), tokenSoup, truncated, mutated), (text) => {
        assertWellFormed(text);
      }),
      { numRuns: 10_000, seed: 20261128 },
    );
  });

  it("survives pathological inputs", () => {
    for (const text of ["", "\n", "{".repeat(5000), "model M { input x: [8, 8, 3]\n" + "relu\n".repeat(20000) + "}", "model M { input x: [1e308, 1e308, 1e308] }", "model M { input x: [8, 8, 3]\n repeat 1e9 { relu } }", "block A() { A() }\nmodel M { input x: [8, 8, 3]\n A() }"]) {
      expect(() => assertWellFormed(text)).not.toThrow();
    }
  });

  it("a short seeded run of `npm run fuzz`'s programs: every phase holds its properties (150 programs)", () => {
    const seeds = seedPrograms(ROOT);
    const emitted: Emitted = { typescript: [], python: [] };
    const failures: string[] = [];
    for (let index = 0; index < 150; index++) {
      const random = seededRandom(20261202 + index);
      const text = fuzzProgram(random, seeds, index);
      try {
        exercise(text, random, emitted);
      } catch (error) {
        failures.push(`#${index}: ${(error as Error).message.split("\n")[0]}`);
      }
    }
    expect(failures).toEqual([]);
    expect(emitted.python.length).toBeGreaterThan(0);
  });
});
