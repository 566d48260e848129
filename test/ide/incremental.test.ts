// The incremental checker gives exactly what compile() gives, over long random editing
// sessions on the examples, while reparsing and re-elaborating only what changed.

import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { compile, type Compilation } from "../../src/compile.js";
import { IncrementalChecker, regionBounds } from "../../src/ide/incremental.js";
import { LIMITS } from "../../src/limits.js";
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
    expect(regionBounds(text).bounds.map((b) => text.slice(b.start, b.end))).toEqual(["/// doc\nblock A { relu }", "\n\nmodel M {\n  input x: [4]\n}", "\n// tail\n"]);
    expect(regionBounds("model M {\n  input x: [4]\n}\n\n").bounds.map((b) => b.end)).toEqual([28]);
    expect(regionBounds("")).toEqual({ bounds: [{ start: 0, end: 0 }], tooDeep: false });
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
    expect(checker.stats.syntaxErrorsInRegions).toBeGreaterThan(0);
  }, 300_000); // a long session: room for a loaded CI machine

  // The grammar's error recovery may read past a broken region or stop the whole parse; the
  // parser reports when, and the checker then compiles the whole file. These edits break one
  // declaration in every way the grammar can be broken, and each result must be compile()'s.
  it("equals compile() after syntax errors typed anywhere (200 edits)", () => {
    const next = random(1234);
    const BREAKERS = ["(", ")", "[", "]", "{", "}", ",", ":", "->", "=", "==", "+", "-", "relu", "model", "block", "import", "let", "repeat", "as", "#", "\"", "@", "\n", " 3", "()", "(3", "[1,", "in", "if", "else", "shortcut", "train X {", "x:"];
    const checker = new IncrementalChecker();
    const pristine = ["resnet18", "unet", "lenet5"].map((name) => withStdlibInlined(read(join(EXAMPLES, `${name}.cnn`)))).join("\n");
    let text = pristine;
    let broken = 0;
    for (let i = 0; i < 200; i++) {
      // Mostly one break at a time in a valid file, sometimes two or three piled up.
      if (next() < 0.6) text = pristine;
      const at = Math.floor(next() * (text.length + 1));
      const insert = next() < 0.8 ? BREAKERS[Math.floor(next() * BREAKERS.length)]! : "";
      text = text.slice(0, at) + insert + text.slice(at + (insert === "" ? 1 + Math.floor(next() * 3) : 0));
      const whole = compile(text);
      if (whole.diagnostics.some((d) => d.code === "E0101" || d.code === "E0102")) broken++;
      expect(plain(checker.check(text)), `edit ${i}`).toEqual(plain(whole));
    }
    expect(broken).toBeGreaterThan(80);
    // Most breaks stay inside their declaration.
    expect(checker.stats.syntaxErrorsInRegions).toBeGreaterThan(checker.stats.fullCompiles);
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
  }, 300_000); // a long session: room for a loaded CI machine

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

  it("reparses and re-elaborates only the declaration a syntax error is in, typed and deleted in turn", () => {
    const text = ["resnet18", "unet", "lenet5"].map((name) => withStdlibInlined(read(join(EXAMPLES, `${name}.cnn`)))).join("\n");
    const broken = text.replace("dense 120", "dense (120");
    const checker = new IncrementalChecker();
    checker.check(text);
    for (let i = 0; i < 4; i++) {
      const before = { ...checker.stats };
      const version = i % 2 === 0 ? broken : text;
      const result = checker.check(version);
      expect(plain(result)).toEqual(plain(compile(version)));
      expect(checker.stats.regionsParsed - before.regionsParsed).toBe(1);
      expect(checker.stats.modelsElaborated - before.modelsElaborated).toBe(1);
    }
    expect(checker.check(broken).diagnostics.map((d) => d.code)).toContain("E0101");
    expect(checker.stats.fullCompiles).toBe(0);
    expect(checker.stats.syntaxErrorsInRegions).toBe(3);
  });

  it("compiles the whole file where a syntax error reaches past its declaration", () => {
    const lenet = read(join(EXAMPLES, "lenet5.cnn"));
    // A stray name between two declarations ends the whole file's parse there: the models after it are not read.
    const stray = `${lenet}\nstray\nmodel Tail {\n  input x: [4]\n  dense 2\n}\nmodel End {\n  input x: [4]\n}\n`;
    // Too deep to parse: the file is refused as a whole.
    const deep = `${lenet}\nlet deep = ${"(".repeat(LIMITS.nesting + 1)}1${")".repeat(LIMITS.nesting + 1)}\n`;
    for (const text of [stray, deep]) {
      const checker = new IncrementalChecker();
      expect(plain(checker.check(text))).toEqual(plain(compile(text)));
      expect(checker.stats.fullCompiles).toBe(1);
    }
  });
});
