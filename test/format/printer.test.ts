// The formatter: input/output pairs for each rule, and properties over the examples and
// generated programs — formatting is idempotent, keeps every comment, never changes the
// model, and gives one text however the input was spaced.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { join } from "node:path";
import { compile } from "../../src/compile.js";
import { formatText } from "../../src/format/printer.js";
import { lex } from "../../src/syntax/lexer.js";
import { summarize } from "../../src/summary/summary.js";
import { cnnFiles, ERRORS, EXAMPLES, read } from "../helpers.js";

function format(text: string): string {
  const result = formatText(text);
  if (!result.ok) throw new Error(`syntax errors: ${result.diagnostics.map((d) => d.message).join("; ")}`);
  return result.text;
}

/** Everything the checker concludes about a text: each model's summary and the diagnostics' codes and messages. */
function meaning(text: string): unknown {
  const result = compile(text);
  return {
    models: result.models.map((m) => (m.complete ? summarize(m, text) : { name: m.name, nodes: m.nodes.map((n) => [n.op, n.shape, n.params]) })).map((s) => ({ ...s, layers: "layers" in s ? s.layers.map((l) => ({ ...l, line: 0 })) : undefined })),
    trains: result.trains.map((t) => ({ ...t, span: undefined, optimizer: { ...t.optimizer, span: undefined } })),
    diagnostics: result.diagnostics.map((d) => `${d.code} ${d.message}`),
  };
}

function comments(text: string): string[] {
  return lex(text).comments.map((c) => c.image.replace(/[ \t]+$/gm, ""));
}

describe("formatting rules", () => {
  const cases: [string, string, string][] = [
    ["indents two spaces per brace", "model M {\ninput x: [8, 8, 3]\n      relu\n}\n", "model M {\n  input x: [8, 8, 3]\n  relu\n}\n"],
    ["spaces chains, arguments and operators", "model M {\n  input x:[8,8,3]\n  conv 8,kernel:3,padding:( 3-1 )/2->relu\n}\n", "model M {\n  input x: [8, 8, 3]\n  conv 8, kernel: 3, padding: (3 - 1) / 2 -> relu\n}\n"],
    ["keeps parenthesized calls parenthesized, bare calls bare", "model M {\n  input x: [8, 8, 3]\n  conv ( 8 , kernel : 3 ) -> conv 8, kernel: 1\n}\n", "model M {\n  input x: [8, 8, 3]\n  conv(8, kernel: 3) -> conv 8, kernel: 1\n}\n"],
    ["indents continued lines once more", "model M {\n  input x: [8, 8, 3]\n  conv 8,\nkernel: 3\n-> relu\n}\n", "model M {\n  input x: [8, 8, 3]\n  conv 8,\n    kernel: 3\n    -> relu\n}\n"],
    ["indents lines inside brackets", "model M {\n  input x: [8, 8, 3]\n  for c, k in [\n(8, 1),\n   (16, 3)\n] {\n  conv c, kernel: k\n  }\n}\n", "model M {\n  input x: [8, 8, 3]\n  for c, k in [\n    (8, 1),\n    (16, 3)\n  ] {\n    conv c, kernel: k\n  }\n}\n"],
    ["collapses blank lines and drops them inside braces and at the ends", "\n\nblock B {\n\n  relu\n\n\n\n  relu\n\n}\n\n\n\nmodel M {\n  input x: [4]\n}\n\n\n", "block B {\n  relu\n\n  relu\n}\n\nmodel M {\n  input x: [4]\n}\n"],
    ["keeps comments where they are, trailing gaps included", "/// Doc.\nmodel M {   // why\n// own line\n  input x: [4]      // aligned\n  /* inline */ relu\n}\n", "/// Doc.\nmodel M {   // why\n  // own line\n  input x: [4]      // aligned\n  /* inline */ relu\n}\n"],
    ["tells negation from subtraction", "model M(a = 2) {\n  input x: [8, 8, 3]\n  conv 4, kernel: 3, padding: a-1, dilation: - 1 *-a\n}\n", "model M(a = 2) {\n  input x: [8, 8, 3]\n  conv 4, kernel: 3, padding: a - 1, dilation: -1 * -a\n}\n"],
    ["keeps one-line bodies and semicolons on their line", "model M {\n  input x: [8, 8, 3]\n  repeat 2 {relu;relu}\n}\n", "model M {\n  input x: [8, 8, 3]\n  repeat 2 { relu; relu }\n}\n"],
    ["formats train settings and parameter defaults", "block B(c,s=1){relu}\ntrain M {\noptimizer:adam( lr:0.001 )\nmetrics:[ accuracy,top_k(k:5) ]\n}\n", "block B(c, s = 1) { relu }\ntrain M {\n  optimizer: adam(lr: 0.001)\n  metrics: [accuracy, top_k(k: 5)]\n}\n"],
    ["formats imports and top-level constants, a list of imported names like a bracketed list", 'import {a,b as c} from "./x"\nlet  y=3*2\nimport {\nd,\n      e\n} from "std/resnet"\n', 'import { a, b as c } from "./x"\nlet y = 3 * 2\nimport {\n  d,\n  e\n} from "std/resnet"\n'],
    ["ends with one new line and nothing for an empty file", "   \n\n", ""],
  ];
  for (const [name, input, output] of cases) {
    it(name, () => {
      expect(format(input)).toBe(output);
      expect(format(output)).toBe(output);
    });
  }

  it("refuses text with syntax errors, returning them", () => {
    const result = formatText("model M {\n  input x: [8, 8,\n}\n");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.diagnostics[0]!.code).toBe("E0101");
  });

  it("keeps Windows line endings", () => {
    expect(format("model M {\r\ninput x: [4] // c\r\n}\r\n")).toBe("model M {\r\n  input x: [4] // c\r\n}\r\n");
  });

  it("indents with the width a caller asks for", () => {
    expect(formatText("model M {\ninput x: [4]\n}\n", { indentWidth: 4 })).toEqual({ ok: true, text: "model M {\n    input x: [4]\n}\n" });
  });
});

const examples = cnnFiles(EXAMPLES).map((f) => ({ name: f, text: read(join(EXAMPLES, f)) }));
const brokenExamples = cnnFiles(ERRORS)
  .map((f) => ({ name: `errors/${f}`, text: read(join(ERRORS, f)) }))
  .filter((e) => formatText(e.text).ok);

describe("formatting the examples", () => {
  it("leaves all but the two hand-aligned tables unchanged", () => {
    const changed = examples.filter((e) => format(e.text) !== e.text).map((e) => e.name);
    expect(changed).toEqual(["efficientnet_b0.cnn", "mobilenet_v2.cnn"]);
  });

  it("is idempotent, keeps comments and never changes what the checker concludes", () => {
    expect(brokenExamples.length).toBeGreaterThan(80);
    for (const { name, text } of [...examples, ...brokenExamples]) {
      const once = format(text);
      expect(format(once), name).toBe(once);
      expect(comments(once), name).toEqual(comments(text));
      expect(meaning(once), name).toEqual(meaning(text));
    }
  });
});

/** Layer lines that check on a [16, 16, 8] input, in any order (each keeps the spatial shape). */
const LAYERS = ["conv 8, kernel: 3, padding: 1", "conv(8, kernel: 1)", "batchnorm", "relu", "dropout 0.1", "depthwise_conv kernel: 3, padding: same", "zero_pad 1 -> conv 8, kernel: 3"];
const COMMENTS = ["// note", "/* inline */", "/// doc"];

const generatedProgram = fc
  .record({
    blockLayers: fc.array(fc.constantFrom(...LAYERS), { minLength: 1, maxLength: 4 }),
    modelLines: fc.array(fc.oneof(fc.constantFrom(...LAYERS), fc.constant("Stage(8)"), fc.constant("residual {\nconv 8, kernel: 3, padding: 1 -> relu\n}"), fc.constant("repeat 2 { relu }")), { minLength: 1, maxLength: 8 }),
    comments: fc.array(fc.tuple(fc.nat(), fc.constantFrom(...COMMENTS), fc.boolean()), { maxLength: 4 }),
    blanks: fc.array(fc.nat(), { maxLength: 3 }),
  })
  .map(({ blockLayers, modelLines, comments, blanks }) => {
    const lines = ["block Stage(width) {", ...blockLayers.map((l) => l.replace(/\b8\b/, "width")), "}", "model Generated {", "input image: [16, 16, 8]", ...modelLines.flatMap((l) => l.split("\n")), "global avgpool", "dense 10", "}"];
    // Comments go at the end of a line or on a line of their own; blank lines anywhere between lines.
    for (const [at, comment, ownLine] of comments) {
      const index = at % lines.length;
      if (ownLine || comment === "/// doc") lines.splice(index, 0, comment);
      else lines[index] = `${lines[index]} ${comment.startsWith("/*") ? comment : "// trailing"}`;
    }
    for (const at of blanks) lines.splice(at % lines.length, 0, "");
    return lines.join("\n") + "\n";
  });

/** Adds spaces and tabs between tokens and changes indentation; never joins or splits a line. */
function respace(text: string, seeds: number[]): string {
  const tokens = lex(text).tokens.filter((t) => t.image !== "\n" && t.image !== ";");
  let out = "";
  let position = 0;
  tokens.forEach((token, i) => {
    const seed = seeds[i % seeds.length]!;
    const gap = text.slice(position, token.startOffset);
    const extra = [" ", "  ", "\t", ""][seed % 4]!;
    out += gap.includes("\n") ? gap.replace(/[ \t]*$/, extra) : gap + extra;
    out += token.image;
    position = token.startOffset + token.image.length;
  });
  return out + text.slice(position);
}

describe("formatting generated programs", () => {
  it("is idempotent, keeps comments and the model, and is independent of spacing (300 programs)", () => {
    fc.assert(
      fc.property(generatedProgram, fc.array(fc.nat(50), { minLength: 1, maxLength: 20 }), (program, seeds) => {
        const once = format(program);
        expect(format(once)).toBe(once);
        expect(comments(once)).toEqual(comments(program));
        expect(meaning(once)).toEqual(meaning(program));
        expect(format(respace(once, seeds))).toBe(once);
        expect(compile(once).models[0]!.complete).toBe(true);
      }),
      { numRuns: 300, seed: 5 },
    );
  });

  it("gives the same text for any spacing of the examples (200 respacings)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...examples), fc.array(fc.nat(50), { minLength: 1, maxLength: 20 }), ({ text }, seeds) => {
        const once = format(text);
        expect(format(respace(text, seeds))).toBe(once);
      }),
      { numRuns: 200, seed: 7 },
    );
  });
});
