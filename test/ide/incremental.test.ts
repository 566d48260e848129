// The incremental checker gives exactly what compile() gives, over long random editing
// sessions on the examples, while reparsing and re-elaborating only what changed.

import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { compile, type Compilation } from "../../src/compile.js";
import { IncrementalChecker, regionBounds } from "../../src/ide/incremental.js";
import { cnnFiles, ERRORS, EXAMPLES, read, withStdlibInlined } from "../helpers.js";

/** Everything a compilation says, in plain data, with calls keyed by where they are. */
function plain(result: Compilation): unknown {
  return {
    program: result.program,
    diagnostics: result.diagnostics,
    models: result.models.map((m) => ({ ...m, decl: m.decl.span })),
    trains: result.trains,
    calls: [...result.calls].map(([call, facts]) => [call.span, facts]).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
  };
}

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

const SNIPPETS = ["conv 8, kernel: 3\n", " -> relu", "\n", "x", "64", "2", " as skip", "concat skip\n", "{", "}", "(", "block Extra { relu }\n", "model Second {\n  input x: [8, 8, 3]\n  relu\n}\n", "// c\n", "/* c */", "residual { relu } shortcut auto\n"];

describe("incremental checking", () => {
  it("cuts a file into regions that end with each top-level closing brace", () => {
    const text = "/// doc\nblock A { relu }\n\nmodel M {\n  input x: [4]\n}\n// tail\n";
    expect(regionBounds(text).map((b) => text.slice(b.start, b.end))).toEqual(["/// doc\nblock A { relu }", "\n\nmodel M {\n  input x: [4]\n}", "\n// tail\n"]);
    expect(regionBounds("model M {\n  input x: [4]\n}\n\n").map((b) => b.end)).toEqual([28]);
    expect(regionBounds("")).toEqual([{ start: 0, end: 0 }]);
  });

  it("equals compile() after every edit of a long random session (800 edits)", () => {
    const next = random(42);
    const sources = [...cnnFiles(EXAMPLES).map((f) => read(join(EXAMPLES, f))), ...cnnFiles(ERRORS).slice(0, 20).map((f) => read(join(ERRORS, f)))];
    const checker = new IncrementalChecker();
    let text = sources.slice(0, 4).join("\n");
    for (let i = 0; i < 800; i++) {
      const roll = next();
      if (roll < 0.02) text = sources[Math.floor(next() * sources.length)]! + "\n" + sources[Math.floor(next() * sources.length)]!;
      else {
        const at = Math.floor(next() * (text.length + 1));
        const remove = roll < 0.4 ? Math.floor(next() * 6) : 0;
        const insert = roll < 0.4 ? "" : SNIPPETS[Math.floor(next() * SNIPPETS.length)]!;
        text = text.slice(0, at) + insert + text.slice(at + remove);
      }
      const incremental = checker.check(text);
      expect(plain(incremental), `edit ${i}`).toEqual(plain(compile(text)));
    }
    // Random edits leave braces unbalanced for long stretches, so reuse is only checked below.
    expect(checker.stats.regionsKept).toBeGreaterThan(0);
  });

  it("reuses most of the file while typing keeps the text valid (300 edits)", () => {
    const next = random(7);
    const checker = new IncrementalChecker();
    let text = ["resnet50", "unet", "mobilenet_v2", "lenet5", "squeezenet1_1"].map((name) => withStdlibInlined(read(join(EXAMPLES, `${name}.cnn`)))).join("\n");
    for (let i = 0; i < 300; i++) {
      // Change one digit of a number: the text stays free of syntax errors.
      const digits = [...text.matchAll(/\d/g)];
      const at = digits[Math.floor(next() * digits.length)]!.index!;
      text = text.slice(0, at) + String(1 + Math.floor(next() * 9)) + text.slice(at + 1);
      expect(plain(checker.check(text)), `edit ${i}`).toEqual(plain(compile(text)));
    }
    expect(checker.stats.fullCompiles).toBe(0);
    expect(checker.stats.regionsKept).toBeGreaterThan(checker.stats.regionsParsed * 3);
    expect(checker.stats.modelsKept).toBeGreaterThan(checker.stats.modelsElaborated);
  });

  it("reparses and re-elaborates only the declaration an edit touches", () => {
    const text = ["resnet18", "unet", "lenet5"].map((name) => withStdlibInlined(read(join(EXAMPLES, `${name}.cnn`)))).join("\n");
    const checker = new IncrementalChecker();
    checker.check(text);
    const before = { ...checker.stats };
    const at = text.indexOf("dense 84");
    const edited = text.slice(0, at) + "dense 85" + text.slice(at + "dense 84".length);
    const result = checker.check(edited);
    expect(checker.stats.regionsParsed - before.regionsParsed).toBe(1);
    expect(checker.stats.modelsElaborated - before.modelsElaborated).toBe(1);
    expect(checker.stats.fullCompiles).toBe(0);
    expect(plain(result)).toEqual(plain(compile(edited)));
  });

  it("checks files with imports and top-level constants incrementally, equal to compile()", () => {
    const checker = new IncrementalChecker();
    const path = join(EXAMPLES, "resnet18.cnn");
    const resnet = read(path);
    const twoModels = `${resnet}\nmodel Other {\n  input x: [8, 8, 64]\n  basic(64)\n}\n`;
    expect(plain(checker.check(twoModels, { path }))).toEqual(plain(compile(twoModels, { path })));
    // An edit to one model keeps the other's result, library blocks included.
    const edited = twoModels.replace("basic(64)\n}", "basic(64)\n  basic(128, stride: 2)\n}");
    const before = { ...checker.stats };
    expect(plain(checker.check(edited, { path }))).toEqual(plain(compile(edited, { path })));
    expect(checker.stats.modelsKept - before.modelsKept).toBe(1);
    expect(checker.stats.modelsElaborated - before.modelsElaborated).toBe(1);
    // A top-level constant's new value reaches every model that uses it.
    const constants = "let width = 8\nmodel M {\n  input x: [4, 4, 3]\n  conv width, kernel: 3\n}\n";
    expect(plain(checker.check(constants))).toEqual(plain(compile(constants)));
    const changed = constants.replace("width = 8", "width = 16");
    expect(plain(checker.check(changed))).toEqual(plain(compile(changed)));
    expect(checker.check(changed).models[0]!.nodes.at(-1)!.shape).toEqual([2, 2, 16]);
    expect(checker.stats.fullCompiles).toBe(0);
  });

  it("falls back to compile() while the text has a syntax error", () => {
    const checker = new IncrementalChecker();
    const text = read(join(EXAMPLES, "lenet5.cnn")).replace("dense 120", "dense (120");
    expect(plain(checker.check(text))).toEqual(plain(compile(text)));
    expect(checker.stats.fullCompiles).toBe(1);
  });
});
