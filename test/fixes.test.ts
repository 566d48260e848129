// Fixes that work: every machine-applicable fix that a broken program's diagnostics carry,
// applied on its own, removes its diagnostic and brings no new problem: the program checks
// with fewer errors, none of a code it did not have before. The programs are the broken
// examples and programs made broken by seeded mutations of the valid ones.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { join } from "node:path";
import { compile } from "../src/compile.js";
import type { Diagnostic, Fix } from "../src/diagnostics/diagnostic.js";
import { cnnFiles, ERRORS, EXAMPLES, read } from "./helpers.js";

function applyFix(text: string, fix: Fix): string {
  const edits = [...fix.edits].sort((a, b) => b.span.start - a.span.start);
  let out = text;
  for (const edit of edits) out = out.slice(0, edit.span.start) + edit.newText + out.slice(edit.span.end);
  return out;
}

/** What is wrong with applying a fix, or undefined when it works. */
function fixProblem(text: string, before: readonly Diagnostic[], diagnostic: Diagnostic, fix: Fix): string | undefined {
  // Edits in imported files are outside this text.
  if (fix.edits.some((e) => e.span.end > text.length)) return undefined;
  const fixed = applyFix(text, fix);
  const after = compile(fixed).diagnostics.filter((d) => d.severity === "error");
  const errorsBefore = before.filter((d) => d.severity === "error");
  const codesBefore = new Set(errorsBefore.map((d) => d.code));
  const fresh = after.filter((d) => !codesBefore.has(d.code));
  if (fresh.length > 0) return `"${fix.title}" for ${diagnostic.code} brings ${fresh.map((d) => `${d.code} ${d.message}`).join("; ")}`;
  if (after.length >= errorsBefore.length) return `"${fix.title}" for ${diagnostic.code} leaves ${after.length} errors of ${errorsBefore.length}: ${after.map((d) => `${d.code} ${d.message}`).join("; ")}`;
  return undefined;
}

function problems(text: string): string[] {
  const before = compile(text).diagnostics;
  const out: string[] = [];
  for (const d of before) for (const fix of d.fixes) {
    const problem = fixProblem(text, before, d, fix);
    if (problem !== undefined) out.push(problem);
  }
  return out;
}

const broken = cnnFiles(ERRORS).map((f) => ({ name: f, text: read(join(ERRORS, f)) }));
const valid = cnnFiles(EXAMPLES).map((f) => read(join(EXAMPLES, f)));

/** Small mistakes people make: a misspelled argument or layer, a `#` comment, an expectation off by one. */
const MISTAKES: [RegExp, string][] = [
  [/kernel:/, "kernal:"],
  [/stride:/, "strides:"],
  [/padding:/, "paddin:"],
  [/\bconv\b/, "conv2d"],
  [/\brelu\b/, "reluu"],
  [/\bbatchnorm\b/, "batchnrom"],
  [/\/\/ /, "# "],
  [/\bdense (\d+)/, "Dense $1"],
  [/\bsame\b/, "sam"],
  [/\bexpect \[(\d+)/, "expect [1$1"],
];

describe("machine-applicable fixes", () => {
  it("every broken example: each fix removes its error and brings no new one", () => {
    const withFixes = broken.filter((b) => compile(b.text).diagnostics.some((d) => d.fixes.length > 0));
    expect(withFixes.length).toBeGreaterThanOrEqual(10);
    expect(withFixes.flatMap((b) => problems(b.text).map((p) => `${b.name}: ${p}`))).toEqual([]);
  });

  it("seeded mistakes in the valid examples: each fix removes its error and brings no new one (300 cases)", () => {
    let fixesTried = 0;
    fc.assert(
      fc.property(fc.constantFrom(...valid), fc.constantFrom(...MISTAKES), fc.nat(), (source, [pattern, replacement], pick) => {
        const matches = [...source.matchAll(new RegExp(pattern.source, "g"))];
        if (matches.length === 0) return;
        const match = matches[pick % matches.length]!;
        const text = source.slice(0, match.index) + match[0].replace(pattern, replacement) + source.slice(match.index! + match[0].length);
        fixesTried += compile(text).diagnostics.reduce((n, d) => n + d.fixes.length, 0);
        expect(problems(text)).toEqual([]);
      }),
      { numRuns: 300, seed: 20261202 },
    );
    expect(fixesTried).toBeGreaterThan(100);
  });
});
