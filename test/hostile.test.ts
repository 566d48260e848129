// Hostile input: no file crashes the compiler, the editor features or the CLI. Nesting of
// every kind is refused at the limit with its own code (E0103), before anything recurses;
// the other limits (file size, block calls, nested repeat counts, list values, symbolic
// periods) are refused before the work they bound. Control and bidi characters never reach
// a terminal raw, and JSON keeps them exact.

import { describe, expect, it, vi } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile } from "../src/compile.js";
import { SizeContext } from "../src/check/sizes.js";
import { editDistance } from "../src/check/suggest.js";
import { LIMITS } from "../src/limits.js";
import type { ModelDecl, Statement } from "../src/syntax/ast.js";
import { renderDiagnostics, terminalSafe } from "../src/diagnostics/render.js";
import { toJsonDiagnostics } from "../src/diagnostics/json.js";
import { IncrementalChecker } from "../src/ide/incremental.js";
import { analysisOf } from "../src/ide/analysis.js";
import { documentSymbols } from "../src/ide/document-symbols.js";
import { hover } from "../src/ide/hover.js";
import { exercise, seededRandom } from "../bench/fuzz/harness.js";
import { CLI } from "./helpers.js";

/** Programs that nest `n` levels (the model's braces count one), in each way the language allows. */
const NESTINGS: Record<string, (n: number) => string> = {
  parentheses: (n) => `model M {\n  input x: [8, 8, 3]\n  conv ${"(".repeat(n - 1)}4${")".repeat(n - 1)}, kernel: 1\n}\n`,
  lists: (n) => `model M {\n  input x: [8, 8, 3]\n  let deep = ${"[".repeat(n - 1)}1${"]".repeat(n - 1)}\n  relu\n}\n`,
  "function calls": (n) => `model M {\n  input x: [8, 8, 3]\n  conv ${"max(1, ".repeat(n - 1)}4${")".repeat(n - 1)}, kernel: 1\n}\n`,
  bodies: (n) => `model M {\n  input x: [8, 8, 3]\n${"residual {\n".repeat(n - 1)}relu\n${"}\n".repeat(n - 1)}}\n`,
  "unary minus": (n) => `model M {\n  input x: [8, 8, 3]\n  conv ${"- ".repeat(n - 1)}4, kernel: 1\n}\n`,
  // `if` is one level too, and so is the brace of its body.
  "not chains": (n) => `model M {\n  input x: [8, 8, 3]\n  if ${"not ".repeat(n - 3)}true { relu }\n}\n`,
  "conditional chains": (n) => `model M {\n  input x: [8, 8, 3]\n  conv ${"4 if false else ".repeat(n - 1)}4, kernel: 1\n}\n`,
  "operator chains": (n) => `model M {\n  input x: [8, 8, 3]\n  conv ${Array.from({ length: n - 1 }, () => "1").join(" * ")} + 3, kernel: 1\n}\n`,
};

function codes(text: string): string[] {
  return compile(text).diagnostics.map((d) => d.code);
}

describe("nesting limit (E0103)", () => {
  for (const [kind, make] of Object.entries(NESTINGS)) {
    it(`${kind}: at the limit every phase works; past it, one E0103 and nothing else`, () => {
      const atLimit = make(LIMITS.nesting);
      expect(codes(atLimit)).not.toContain("E0103");
      // Every phase on the deepest accepted program: check, renderers, summary, formatter, targets, editor.
      expect(() => exercise(atLimit, seededRandom(1), { typescript: [], python: [] })).not.toThrow();
      for (const n of [LIMITS.nesting + 3, 20_000]) {
        const result = compile(make(n));
        expect(result.diagnostics.map((d) => d.code)).toEqual(["E0103"]);
        expect(result.diagnostics[0]!.message).toContain(String(LIMITS.nesting));
      }
    });
  }

  it("the declarations before the over-deep one are still parsed and checked, for editors", () => {
    const head = `/// Two convolutions.\nblock Pair(c) {\n  conv c, kernel: 3, padding: 1 -> conv c, kernel: 1\n}\nmodel Small {\n  input x: [8, 8, 3]\n  Pair(4)\n  flatten\n  dense 3, in_features: 9\n}\n`;
    const deep = `model Deep {\n  input x: [8, 8, 3]\n  dense ${"max(1, ".repeat(LIMITS.nesting + 5)}2${")".repeat(LIMITS.nesting + 5)}\n}\nmodel After {\n  input x: [4]\n}\n`;
    const result = compile(head + deep);
    // The earlier model's own mistake is found (flatten gives 256, not 9), then the nesting error.
    expect(result.diagnostics.map((d) => d.code)).toEqual(["E0301", "E0103"]);
    expect(result.program.declarations.map((d) => d.name.text)).toEqual(["Pair", "Small"]);
    const analysis = analysisOf(result);
    expect(documentSymbols(analysis).map((s) => s.name)).toEqual(["Pair", "Small"]);
    expect(hover(analysis, head.indexOf("Pair(4)"))).toBeDefined();
  });

  it("the language server's incremental checker refuses the same way", () => {
    const checker = new IncrementalChecker();
    const deep = NESTINGS["bodies"]!(50_000);
    expect(checker.check(deep).diagnostics.map((d) => d.code)).toEqual(["E0103"]);
    const fine = NESTINGS["bodies"]!(LIMITS.nesting);
    expect(checker.check(fine).diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  });

  it("the CLI reports it with exit code 1, never an internal error", () => {
    const dir = mkdtempSync(join(tmpdir(), "cnnc-hostile-"));
    const file = join(dir, "deep.cnn");
    writeFileSync(file, NESTINGS["lists"]!(100_000));
    const run = spawnSync(process.execPath, [CLI, "check", file], { encoding: "utf8" });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain("error[E0103]");
    expect(run.stdout + run.stderr).not.toContain("internal error");
  });
});

describe("limits refused before the work they bound", () => {
  it("a file over the size limit gives E0104 alone", () => {
    const big = "model M {\n  input x: [8, 8, 3]\n" + "  relu\n".repeat(Math.ceil(LIMITS.fileSize / 7)) + "}\n";
    expect(codes(big)).toEqual(["E0104"]);
  });

  it("nested loops whose counts multiply past the budget are refused before the first iteration", () => {
    // The inner count depends on the loop variable, which the layer estimate does not know: the runs budget refuses it.
    const text = "let inner = 600\nmodel M {\n  input x: [8, 8, 3]\n  for i in range(2000) {\n    repeat inner + i % 2 { relu }\n  }\n}\n";
    const result = compile(text);
    expect(result.diagnostics.map((d) => d.code)).toEqual(["E0401"]);
    expect(result.diagnostics[0]!.message).toContain("1,200,000");
    // Nothing was unrolled: the model holds its input only.
    expect(result.models[0]!.nodes.map((n) => n.op)).toEqual(["input"]);
  });

  it("a loop whose runs times its body's layers pass the layer limit is refused before the first run", () => {
    // 400 runs of a body that calls a block of 4 × 200 layers: 320,000 layers, though only 400 statements run the body.
    const text = `block Stage(c = 8) {
  repeat 200 { conv c, kernel: 1 -> batchnorm -> relu -> dropout 0.1 }
}
model M {
  input x: [4, 4, 8]
  relu -> relu
  for c in range(400) {
    Stage()
  }
}
`;
    const result = compile(text);
    expect(result.diagnostics.map((d) => d.code)).toEqual(["E0401"]);
    expect(result.diagnostics[0]!.message).toContain("each run adds at least 800 layers");
    expect(result.diagnostics[0]!.message).toContain("320,003");
    // Refused before unrolling anything: only the layers before the loop exist.
    expect(result.models[0]!.nodes.map((n) => n.op)).toEqual(["input", "relu", "relu"]);
  });

  it("the layer estimate counts only what must run, so a model under the limit still compiles", () => {
    // A branch that is skipped, a count that is not a literal and a self-call count nothing: 10,000 × 2 layers.
    const text = `let n = 500
block Loop() {
  relu
}
model M {
  input x: [4, 4, 8]
  repeat 10000 {
    if false { repeat 10000 { relu } }
    relu -> Loop()
  }
}
`;
    const result = compile(text);
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(result.models[0]!.nodes.length).toBe(20_001);
  });

  it("repeat counts held in constants are estimated like literals, so sibling repeats inside a loop are refused before any run", () => {
    // Each inner repeat alone stays under both budgets (30 × 6,000 runs, 180,000 layers); the
    // two together would unroll 360,000 layers. Only the outer estimate, which reads `n`, sees that.
    const text = "model M {\n  input x: [4, 4, 8]\n  let n = 6000\n  repeat 30 {\n    repeat n { relu }\n    repeat (n) { relu }\n  }\n}\n";
    const result = compile(text);
    expect(result.diagnostics.map((d) => d.code)).toEqual(["E0401"]);
    expect(result.diagnostics[0]!.message).toContain("each run adds at least 12,000 layers: at least 360,001 layers");
    expect(result.models[0]!.nodes.map((n) => n.op)).toEqual(["input"]);
  });

  it("a block's arguments, defaults and its file's constants count too, across an `if` whose condition is known", () => {
    const text = `let half = 3500
let deep = true
block Stage(depth = 2 * half) {
  if deep { repeat depth { relu } } else { relu }
}
model M {
  input x: [4, 4, 8]
  for i in range(25) {
    Stage() -> Stage(half + half)
  }
}
`;
    const result = compile(text);
    expect(result.diagnostics.map((d) => d.code)).toEqual(["E0401"]);
    expect(result.diagnostics[0]!.message).toContain("each run adds at least 14,000 layers: at least 350,001 layers");
    expect(result.models[0]!.nodes.map((n) => n.op)).toEqual(["input"]);
  });

  it("names the estimate cannot know (a loop variable, a `let` in the body that shadows a constant) count nothing, so a fitting model compiles", () => {
    // `n` is 9,000 outside and 2 inside both loops: read as 9,000, either loop would be refused (360,000 layers).
    const text = `let n = 9000
model M {
  input x: [4, 4, 8]
  for n in [2, 2] {
    repeat 20 { repeat n { relu } }
  }
  repeat 20 {
    let n = 2
    repeat n { relu }
    repeat n { relu }
  }
}
`;
    const result = compile(text);
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(result.models[0]!.nodes.length).toBe(1 + 2 * 20 * 2 + 20 * 4);
  });

  it("layers outside any loop (block calls fanning out) still stop at the layer limit while unrolling", () => {
    const wide = `block Wide() {\n  ${Array.from({ length: 1000 }, () => "relu").join(" -> ")}\n}\n`;
    const text = `${wide}model M {\n  input x: [8, 8, 3]\n  ${Array.from({ length: 201 }, () => "Wide()").join(" -> ")}\n}\n`;
    const result = compile(text);
    expect(result.diagnostics.map((d) => d.code)).toEqual(["E0401"]);
    expect(result.diagnostics[0]!.message).toBe(`the model has more than ${LIMITS.layers.toLocaleString("en-US")} layers`);
  });

  it("block calls nested past the elaboration depth give E0403, not a stack overflow", () => {
    const blocks = Array.from({ length: 40 }, (_, i) => `block Level${i}() {\n  ${"gate { ".repeat(7)}${i < 39 ? `Level${i + 1}()` : "sigmoid"}${" }".repeat(7)}\n}`).join("\n");
    const result = compile(`${blocks}\nmodel M {\n  input x: [8, 8, 3]\n  Level0()\n}\n`);
    expect(result.diagnostics.map((d) => d.code)).toEqual(["E0403"]);
  });

  it("a chain of 20,000 blocks, each calling the next, gives E0403 from a loop too: the recursion check and the layer estimate keep their own depth", () => {
    const chain = (n: number, last: string): string => Array.from({ length: n }, (_, i) => `block Link${i}() {\n  ${i < n - 1 ? `Link${i + 1}()` : last}\n}`).join("\n");
    expect(codes(`${chain(20_000, "relu")}\nmodel M {\n  input x: [8, 8, 3]\n  for i in range(3) { Link0() }\n}\n`)).toEqual(["E0403"]);
    // Closed into a cycle, it is reported once, with the ends of the cycle, not all 20,000 blocks (and the unrolling stops at its depth).
    const cycle = compile(`${chain(20_000, "Link0()")}\nmodel M {\n  input x: [8, 8, 3]\n  repeat 2 { Link0() }\n}\n`);
    expect(cycle.diagnostics.map((d) => d.code).sort()).toEqual(["E0210", "E0403"]);
    expect(cycle.diagnostics.find((d) => d.code === "E0210")!.message).toBe("blocks call each other in a cycle: `Link0` → `Link1` → `Link2` → … 19,994 more … → `Link19997` → `Link19998` → `Link19999` → `Link0`".replace("19,994", "19994"));
  });

  it("lists that double on every line, or nest one deeper, stop at the list limits", () => {
    const doubling = ["let a0 = [0]", ...Array.from({ length: 40 }, (_, i) => `let a${i + 1} = [a${i}, a${i}, 1]`)].join("\n");
    expect(codes(`${doubling}\nmodel M {\n  input x: [8, 8, 3]\n  relu\n}\n`)).toEqual(["E0401"]);
    const deepening = ["let b0 = 1", ...Array.from({ length: 5000 }, (_, i) => `let b${i + 1} = [b${i}]`)].join("\n");
    expect(codes(`${deepening}\nmodel M {\n  input x: [8, 8, 3]\n  relu\n}\n`)).toEqual(["E0401"]);
  });

  it("size arithmetic whose period passes the limit gives E0404 or E0702, layer by layer or in a constant", () => {
    const strides = "model M {\n  input x: [H, W, 3]\n  repeat 200 { avgpool 3, stride: 2, padding: 1 -> maxpool 2, stride: 1, padding: 1 }\n}\n";
    expect(codes(strides)).toEqual(["E0404"]);
    const coprime = "model M {\n  input x: [H, W, 3]\n  let h = floor(H / 67) + floor(H / 71)\n  relu\n}\n";
    expect(codes(coprime)).toEqual(["E0404"]);
    const chained = ["model M {", "  input x: [H, W, 3]", "  let c0 = H", ...Array.from({ length: 3000 }, (_, i) => `  let c${i + 1} = floor((c${i} + floor(H / 2)) / 2)`), "  relu", "}"].join("\n");
    expect(codes(chained).every((c) => c === "E0404")).toBe(true);
  });
});

describe("fuzz finds, reduced", () => {
  it("#9067: a 75 KB import path is reported without a quadratic did-you-mean search", () => {
    const path = `std/res${"1 if true else ".repeat(5000)}2net`;
    const result = compile(`import { basic } from "${path}"\nmodel M {\n  input x: [8, 8, 3]\n  basic(8)\n}\n`);
    expect(result.diagnostics.map((d) => d.code)).toEqual(["E0801"]);
    expect(result.diagnostics[0]!.help).toMatch(/^the standard library has /);
    // The distance stops at the band it is asked about: far apart, and far apart in length, is max + 1.
    expect(editDistance("a".repeat(100_000), "b".repeat(100_000), 8)).toBe(9);
    expect(editDistance(path, "resnet", 8)).toBe(9);
    // Near misses keep their suggestions, and the distances are the usual ones.
    expect(codes(`import { basic } from "std/rsenet"\nmodel M {\n  input x: [8, 8, 3]\n  basic(8)\n}\n`)).toEqual(["E0801"]);
    expect(compile(`import { basic } from "std/rsenet"\nmodel M {\n  input x: [8, 8, 3]\n  basic(8)\n}\n`).diagnostics[0]!.help).toBe("did you mean `std/resnet`?");
    expect([editDistance("kitten", "sitting"), editDistance("conv", "cnov"), editDistance("maxpool", "maxpool"), editDistance("", "relu"), editDistance("kitten", "sitting", 2)]).toEqual([3, 1, 0, 4, 3]);
  });

  it("#15624: the stride search of `shortcut auto` screens strides before comparing, with the same result", () => {
    const text = `model Net1 {
  input image: [H, W, 3]
  repeat 3 {
    zero_pad 1 -> transposed_conv 2, kernel: 2, stride: 2 -> avgpool 3
    residual if true {
      zero_pad [1, 2]
      avgpool 3 -> transposed_conv 1, kernel: 2, stride: 2
    } shortcut auto
    zero_pad 1 -> zero_pad 1 -> batchnorm as t0
  }
  global avgpool
  dense 2
}
`;
    const compare = vi.spyOn(SizeContext.prototype, "compare");
    try {
      const result = compile(text);
      expect(result.diagnostics.map((d) => d.code)).toEqual(["E0404"]);
      // Comparing each of 64 strides on both axes, twice, took 261 comparisons (each scanning up to 33,000 sizes); now 30.
      expect(compare.mock.calls.length).toBeLessThan(40);
    } finally {
      compare.mockRestore();
    }
  });

  it("an argument that parser recovery makes up (`name,:`) sits empty at the end of the call, so a removal fix keeps start ≤ end", () => {
    const text = "model M {\n  input x: [8, 8, 3]\n  avgpool size: 2, stride: 2, s,: 1 -> relu\n}\n";
    const result = compile(text);
    const chain = (result.program.declarations[0] as ModelDecl).body.statements[1]! as Extract<Statement, { kind: "chain" }>;
    const spans = chain.calls[0]!.args.map((a) => a.span);
    // In source order and apart: each starts where or after the one before it ends.
    spans.slice(1).forEach((span, i) => expect(span.start).toBeGreaterThanOrEqual(spans[i]!.end));
    for (const d of result.diagnostics) for (const fix of d.fixes) for (const edit of fix.edits) expect(edit.span.start).toBeLessThanOrEqual(edit.span.end);
    expect(() => exercise(text, seededRandom(3), { typescript: [], python: [] })).not.toThrow();
  });
});

describe("terminal-safe diagnostics", () => {
  const text = "model M {\n  input x: [8, 8, 3]\n  conv 4, kernel: 1 \u001b]0;owned\u0007\u202e\u009b \u0008\r\n}\n";

  it("escapes C0 and C1 controls and bidi overrides in the excerpt and the message, and keeps the caret under its character", () => {
    const result = compile(text);
    const rendered = renderDiagnostics(result.diagnostics, "m.cnn", text, { color: false });
    expect(rendered).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(rendered).toContain("\u241b]0;owned\u2407\\u{202e}\\u{9b}");
    // The first problem is the ESC: its caret sits under the escaped ␛.
    const lines = rendered.split("\n");
    const excerpt = lines.findIndex((l) => l.includes("\u241b]0;owned"));
    expect(lines[excerpt + 1]!.indexOf("^") - lines[excerpt + 1]!.indexOf("|")).toBe(lines[excerpt]!.indexOf("\u241b") - lines[excerpt]!.indexOf("|"));
  });

  it("in colour too, and in the file name: only the renderer's own colour codes reach the terminal", () => {
    const source = "model Net\u001b[8m {\n  input image: [8, 8, 3]\n  dense 4 \u0090\u2068\n}\n";
    const result = compile(source);
    const rendered = renderDiagnostics(result.diagnostics, "nets/\u001b]8;;x\u0007.cnn", source, { color: true });
    const withoutColours = rendered.replace(/\u001b\[[0-9;]*m/g, "");
    expect(withoutColours).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(withoutColours).toContain("nets/\u241b]8;;x\u2407.cnn");
    expect(withoutColours).toContain("model Net\u241b[8m {");
  });

  it("JSON keeps the characters exact", () => {
    const result = compile(text);
    const json = toJsonDiagnostics(result.diagnostics, "m.cnn", text);
    expect(json.some((d) => d.message.includes("\u001b"))).toBe(true);
  });

  it("escapes the way rustc does: control pictures for C0, code points for the rest", () => {
    expect(terminalSafe("a\u0000b\u001bc\u007fd\u0085e\u2067f\tg\nh")).toBe("a\u2400b\u241bc\u2421d\\u{85}e\\u{2067}f\tg\nh");
  });
});

describe("contracts after a violation", () => {
  it("hand on the declared shape: a body that breaks its contract is one error, and the caller's checks see the declared output", () => {
    const text = `block Shrink(c): [h, w, k] -> [h, w, c] {
  conv c, kernel: 3
}
model M {
  input x: [12, 12, 2]
  Shrink(6) as s
  add s
  expect [12, 12, 6]
  flatten
  dense 2, in_features: 864
}
`;
    expect(codes(text)).toEqual(["E0704"]);
  });
});
