// Inlay hints, document symbols, folding ranges, semantic tokens and code actions.

import { describe, expect, it } from "vitest";
import { analyze } from "../../src/ide/analysis.js";
import { codeActions } from "../../src/ide/code-actions.js";
import { documentSymbols, type OutlineSymbol } from "../../src/ide/document-symbols.js";
import { foldingRanges } from "../../src/ide/folding.js";
import { inlayHints } from "../../src/ide/inlay-hints.js";
import { semanticTokens } from "../../src/ide/semantic-tokens.js";

const MODEL = `/// A small network.
block Down(channels) {
  conv channels, kernel: 3, stride: 2, padding: 1
    -> batchnorm -> relu
}

model Net {
  input image: [32, 32, 3]
  Down(16) as first
  residual {
    conv 16, kernel: 3, padding: 1 -> relu
  }
  // two comment lines
  // fold together
  concat first
  global avgpool
  dense 10
}
`;

/** The text with each inlay hint drawn where the editor draws it. */
function drawHints(text: string): string {
  const hints = inlayHints(analyze(text));
  let out = text;
  for (const hint of [...hints].reverse()) out = out.slice(0, hint.offset) + ` «${hint.label}»` + out.slice(hint.offset);
  return out;
}

describe("inlay hints", () => {
  it("puts the output shape at the end of every layer line, block call and residual", () => {
    expect(drawHints(MODEL)).toBe(`/// A small network.
block Down(channels) {
  conv channels, kernel: 3, stride: 2, padding: 1 «→ [16, 16, 16]»
    -> batchnorm -> relu «→ [16, 16, 16]»
}

model Net {
  input image: [32, 32, 3]
  Down(16) as first «→ [16, 16, 16]»
  residual {
    conv 16, kernel: 3, padding: 1 -> relu «→ [16, 16, 16]»
  } «→ [16, 16, 16]»
  // two comment lines
  // fold together
  concat first «→ [16, 16, 32]»
  global avgpool «→ [32]»
  dense 10 «→ [10]»
}
`);
  });

  it("sums the parameters of the layers on a line in the tooltip", () => {
    const hint = inlayHints(analyze(MODEL)).find((h) => h.tooltip?.includes("2,320"));
    expect(hint?.tooltip).toBe("this line: params 2,320 · MACs 589,824");
  });

  it("returns only the hints in the requested range", () => {
    const start = MODEL.indexOf("global");
    expect(inlayHints(analyze(MODEL), { start, end: MODEL.length }).map((h) => h.label)).toEqual(["→ [32]", "→ [10]"]);
  });

  it("draws no hint for a line whose shape is unknown", () => {
    expect(drawHints("model M {\n  input x: [8, 8, 3]\n  dense 4\n  relu\n}\n")).toBe("model M {\n  input x: [8, 8, 3]\n  dense 4\n  relu\n}\n");
  });
});

describe("document symbols", () => {
  it("outlines models and blocks with their statements and layers", () => {
    const render = (symbols: OutlineSymbol[], depth = 0): string[] => symbols.flatMap((s) => [`${"  ".repeat(depth)}${s.name}${s.detail ? ` ${s.detail}` : ""}`, ...render(s.children, depth + 1)]);
    expect(render(documentSymbols(analyze(MODEL)))).toEqual([
      "Down block Down(channels)",
      "  conv [16, 16, 16]",
      "  batchnorm [16, 16, 16]",
      "  relu [16, 16, 16]",
      "Net model Net",
      "  input image [32, 32, 3]",
      "  Down [16, 16, 16]",
      "  residual [16, 16, 16]",
      "    conv [16, 16, 16]",
      "    relu [16, 16, 16]",
      "  concat [16, 16, 32]",
      "  global avgpool [32]",
      "  dense [10]",
    ]);
  });
});

describe("folding ranges", () => {
  it("folds multi-line bodies and runs of comment lines", () => {
    expect(foldingRanges(analyze(MODEL))).toEqual([
      { startLine: 1, endLine: 3 },
      { startLine: 6, endLine: 16 },
      { startLine: 9, endLine: 10 },
      { startLine: 12, endLine: 13, kind: "comment" },
    ]);
  });
});

describe("semantic tokens", () => {
  it("tells block calls, layer kinds, tensors, parameters, argument names and choices apart", () => {
    const text = "block B(c) {\n  conv c, kernel: 3, padding: same\n}\nmodel M {\n  input x: [8, 8, 3]\n  B(4) as t\n  add t\n}\n";
    const tokens = semanticTokens(analyze(text)).map((t) => `${text.slice(t.start, t.start + t.length)}:${t.type}${t.modifiers.length ? `.${t.modifiers.join(".")}` : ""}`);
    expect(tokens).toEqual([
      "block:keyword", "B:function.declaration", "c:parameter.declaration.readonly",
      "conv:function.defaultLibrary", "c:parameter.readonly", "kernel:property", "3:number", "padding:property", "same:enumMember",
      "model:keyword", "M:class.declaration",
      "input:keyword", "x:variable.declaration", "8:number", "8:number", "3:number",
      "B:function", "4:number", "as:keyword", "t:variable.declaration",
      "add:function.defaultLibrary", "t:variable",
    ]);
  });
});

describe("code actions", () => {
  it("offers the checker's fixes for the diagnostics in the range", () => {
    const text = "model M {\n  input x: [8, 8, 3]\n  dense 10\n  relu\n}\n";
    const at = text.indexOf("dense");
    const actions = codeActions(analyze(text), { start: at, end: at });
    expect(actions.map((a) => [a.title, a.diagnostic.code, a.edits, a.preferred])).toEqual([["Insert `flatten`", "E0307", [{ span: { start: at, end: at }, newText: "flatten -> " }], true]]);
    expect(codeActions(analyze(text), { start: 0, end: 5 })).toEqual([]);
  });

  it("offers `shortcut auto` and did-you-mean renames", () => {
    const text = "model M {\n  input x: [8, 8, 3]\n  residual { conv 16, kernel: 1 }\n  relux\n}\n";
    const titles = codeActions(analyze(text), { start: 0, end: text.length }).map((a) => a.title);
    expect(titles).toEqual(["Add `shortcut auto`", "Change to `relu`"]);
  });
});
