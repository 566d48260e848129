// The fast parser (src/syntax/fast-parse.ts) against the Chevrotain grammar and AST
// builder: wherever it gives a tree, the grammar gives the same tree and no diagnostic;
// wherever the grammar reports a syntax error, it gives up.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { CnnParser } from "../../src/syntax/parser.js";
import { parse, parseWithGrammar } from "../../src/syntax/parse.js";
import { lex } from "../../src/syntax/lexer.js";
import { fastParse } from "../../src/syntax/fast-parse.js";
import { ARBITRARY_TEXT, SOURCES } from "./sources.js";

/** Whether the fast parser took the text (undefined: it left it to the grammar). */
function fastTakes(text: string): boolean {
  return fastParse(lex(text).tokens, new Map(), text.length, []) !== undefined;
}

function assertSameAsGrammar(text: string): boolean {
  const reference = parseWithGrammar(text);
  const ours = parse(text);
  expect(ours.program).toEqual(reference.program);
  expect(JSON.stringify(ours.program)).toBe(JSON.stringify(reference.program));
  expect(ours.diagnostics).toEqual(reference.diagnostics);
  const taken = fastTakes(text);
  const syntaxErrors = reference.diagnostics.filter((d) => d.code === "E0101");
  if (taken) expect(syntaxErrors).toEqual([]);
  return taken;
}

describe("the fast parser", () => {
  it("gives the grammar's tree for every .cnn file in the repository, and takes every file without syntax errors", () => {
    for (const text of SOURCES) {
      const taken = assertSameAsGrammar(text);
      const syntaxErrors = parseWithGrammar(text).diagnostics.filter((d) => d.code === "E0101");
      expect(taken).toBe(syntaxErrors.length === 0);
    }
  });

  it("gives the grammar's tree and diagnostics on random and mutated text (1,500 cases)", () => {
    let taken = 0;
    fc.assert(
      fc.property(ARBITRARY_TEXT, (text) => {
        if (assertSameAsGrammar(text)) taken++;
      }),
      { numRuns: 1_500, seed: 20261202 },
    );
    // The mutated examples stay valid often enough that the comparison means something.
    expect(taken).toBeGreaterThan(50);
  });

  it("leaves to the grammar what its builder reports: keywords as names, a missing comma, a bare import", () => {
    for (const text of ["model input { }", "model M { input x: [8, 8, 3]\n conv 3 kernel: 3 }", 'import "std/resnet"', "let in = 3", "model M { input x: [8, 8, 3]\n relu as model }", "model M { input x: [8, 8, 3]\n conv 3 ->", "model M { input x: [8, 8, 3]\n conv 3, kernel:"]) {
      expect(fastTakes(text)).toBe(false);
      assertSameAsGrammar(text);
    }
  });
});

describe("the grammar", () => {
  it("passes Chevrotain's grammar validations, which production start-up skips", () => {
    expect(() => new CnnParser({ validate: true })).not.toThrow();
  });
});
