// The TextMate grammar (grammar/cnn.tmLanguage.json), tested with a small tokenizer that
// follows TextMate's rules: at each position the pattern whose match starts first wins
// (the earlier pattern on a tie), and a begin/end rule stays open across lines. The
// grammar keeps to regular expressions that Oniguruma and JavaScript read alike, which
// the first test checks, so JavaScript's engine stands in for VS Code's.

import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { OPS } from "../../src/ops/registry.js";
import { BUILTIN_FUNCTIONS } from "../../src/check/values.js";
import { KEYWORD_TEXTS } from "../../src/syntax/lexer.js";
import { cnnFiles, EXAMPLES, read, ROOT } from "../helpers.js";

interface Rule {
  name?: string;
  match?: string;
  begin?: string;
  end?: string;
  include?: string;
  patterns?: Rule[];
  captures?: Record<string, { name: string }>;
  beginCaptures?: Record<string, { name: string }>;
  endCaptures?: Record<string, { name: string }>;
}

const grammar = JSON.parse(readFileSync(join(ROOT, "grammar", "cnn.tmLanguage.json"), "utf8")) as { scopeName: string; patterns: Rule[]; repository: Record<string, Rule> };
const configuration = JSON.parse(readFileSync(join(ROOT, "grammar", "language-configuration.json"), "utf8"));

/** The grammar's top-level rules with includes resolved, flattened in order. */
function flatten(rules: Rule[]): Rule[] {
  return rules.flatMap((rule) => (rule.include !== undefined ? flatten([grammar.repository[rule.include.slice(1)]!]) : rule.match === undefined && rule.begin === undefined && rule.patterns ? flatten(rule.patterns) : [rule]));
}
const RULES = flatten(grammar.patterns);

interface Token {
  text: string;
  scope: string;
}

/** Tokenizes a text line by line; text no rule matches gets the scope "". */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let open: Rule | undefined;
  for (const line of text.split("\n")) {
    let at = 0;
    while (at < line.length) {
      if (open !== undefined) {
        // Inside a begin/end rule everything up to the end pattern takes the rule's scope;
        // nested patterns (a string's escapes) only refine scopes within it.
        const end = new RegExp(open.end!, "g");
        end.lastIndex = at;
        const found = end.exec(line);
        const stop = found === null ? line.length : found.index + found[0].length;
        tokens.push({ text: line.slice(at, stop), scope: open.name! });
        at = stop;
        if (found !== null) open = undefined;
        continue;
      }
      let best: { rule: Rule; match: RegExpExecArray } | undefined;
      for (const rule of RULES) {
        const regex = new RegExp(rule.match ?? rule.begin!, "g");
        regex.lastIndex = at;
        const match = regex.exec(line);
        if (match !== null && match[0].length > 0 && (best === undefined || match.index < best.match.index)) best = { rule, match };
      }
      if (best === undefined) {
        tokens.push({ text: line.slice(at), scope: "" });
        break;
      }
      if (best.match.index > at) tokens.push({ text: line.slice(at, best.match.index), scope: "" });
      const { rule, match } = best;
      if (rule.begin !== undefined) {
        open = rule;
        tokens.push({ text: match[0], scope: rule.name! });
        at = match.index + match[0].length;
        continue;
      }
      if (rule.captures !== undefined) {
        let position = match.index;
        for (let group = 1; group < match.length; group++) {
          const part = match[group];
          if (part === undefined) continue;
          const start = line.indexOf(part, position);
          if (start > position) tokens.push({ text: line.slice(position, start), scope: rule.name ?? "" });
          tokens.push({ text: part, scope: rule.captures[String(group)]?.name ?? rule.name ?? "" });
          position = start + part.length;
        }
        if (position < match.index + match[0].length) tokens.push({ text: line.slice(position, match.index + match[0].length), scope: rule.name ?? "" });
      } else tokens.push({ text: match[0], scope: rule.name! });
      at = match.index + match[0].length;
    }
  }
  return tokens.filter((t) => t.text.trim() !== "");
}

function scopeOf(text: string, word: string, occurrence = 0): string | undefined {
  return tokenize(text).filter((t) => t.text === word)[occurrence]?.scope;
}

describe("the TextMate grammar", () => {
  it("uses only regular expressions that read the same in Oniguruma and JavaScript", () => {
    const all: string[] = [];
    const collect = (rule: Rule): void => {
      for (const source of [rule.match, rule.begin, rule.end]) if (source !== undefined) all.push(source);
      for (const inner of rule.patterns ?? []) collect(inner);
    };
    for (const rule of Object.values(grammar.repository)) collect(rule);
    expect(all.length).toBeGreaterThan(20);
    for (const source of all) {
      expect(() => new RegExp(source), source).not.toThrow();
      // Oniguruma-only syntax: \h, \A, \z, \G, possessive quantifiers, inline options, atomic groups.
      expect(source, source).not.toMatch(/\\[hAzZG]|[+*?]\+|\(\?[imx]|\(\?>/);
    }
  });

  it("knows every layer kind, built-in function and keyword", () => {
    const layers = new RegExp(grammar.repository["layers"]!.match!);
    for (const op of OPS) if (!op.name.startsWith("global_")) expect(layers.test(op.name), op.name).toBe(true);
    for (const name of BUILTIN_FUNCTIONS) expect(scopeOf(`x: ${name}(3)`, name), name).toBe("support.function.builtin.cnn");
    for (const keyword of KEYWORD_TEXTS) {
      const scope = scopeOf(`${keyword} x`, keyword);
      expect(scope, keyword).toMatch(/^keyword\.|^constant\.language\./);
    }
  });

  it("scopes a model line by line", () => {
    const text = `/// Doc.
block Basic(width, stride = 1) {
  conv width, kernel: 3, stride: stride -> relu  // note
}
model Net {
  input image: [32, 32, 3]
  Basic(64) as skip
  global avgpool, keepdims: true
  concat skip
  upsample 2, mode: "nearest"
}`;
    const tokens = tokenize(text);
    const scope = (word: string, occurrence = 0): string | undefined => tokens.filter((t) => t.text === word)[occurrence]?.scope;
    expect(scope("/// Doc.")).toBe("comment.line.documentation.cnn");
    expect(scope("block")).toBe("keyword.declaration.block.cnn");
    expect(scope("Basic")).toBe("entity.name.function.block.cnn");
    expect(scope("Basic", 1)).toBe("entity.name.function.call.cnn");
    expect(scope("conv")).toBe("support.function.layer.cnn");
    expect(scope("kernel")).toBe("variable.parameter.cnn");
    expect(scope("3")).toBe("constant.numeric.cnn");
    expect(scope("->")).toBe("keyword.operator.arrow.cnn");
    expect(scope("// note")).toBe("comment.line.double-slash.cnn");
    expect(scope("model")).toBe("keyword.declaration.model.cnn");
    expect(scope("Net")).toBe("entity.name.type.model.cnn");
    expect(scope("image")).toBe("variable.other.tensor.cnn");
    expect(scope("skip")).toBe("variable.other.tensor.cnn");
    expect(scope("global")).toBe("keyword.control.cnn");
    expect(scope("avgpool")).toBe("support.function.layer.cnn");
    expect(scope("true")).toBe("constant.language.boolean.cnn");
    expect(scope('"')).toBe("string.quoted.double.cnn");
    expect(scope('nearest"')).toBe("string.quoted.double.cnn");
    expect(scope("=")).toBe("keyword.operator.assignment.cnn");
  });

  it("carries a block comment across lines, and ends an unclosed string at the line's end", () => {
    const tokens = tokenize('relu /* one\ntwo */ conv\nmode: "open\nrelu');
    expect(tokens.map((t) => [t.text, t.scope])).toEqual([
      ["relu", "support.function.layer.cnn"],
      ["/*", "comment.block.cnn"],
      [" one", "comment.block.cnn"],
      ["two */", "comment.block.cnn"],
      ["conv", "support.function.layer.cnn"],
      ["mode", "variable.parameter.cnn"],
      [":", "punctuation.separator.key-value.cnn"],
      ['"', "string.quoted.double.cnn"],
      ["open", "string.quoted.double.cnn"],
      ["relu", "support.function.layer.cnn"],
    ]);
  });

  it("marks `#` comments as invalid, as the checker does", () => {
    expect(scopeOf("relu # not a comment", "# not a comment")).toBe("invalid.illegal.hash-comment.cnn");
  });

  it("leaves no word in the examples unscoped except plain names", () => {
    for (const file of cnnFiles(EXAMPLES)) {
      for (const token of tokenize(read(join(EXAMPLES, file)))) {
        if (token.scope === "") expect(token.text, `${file}: ${token.text}`).toMatch(/^[\sA-Za-z_0-9]*$/);
      }
    }
  });
});

describe("the language configuration", () => {
  it("declares the comment syntax and the brackets", () => {
    expect(configuration.comments).toEqual({ lineComment: "//", blockComment: ["/*", "*/"] });
    expect(configuration.brackets).toEqual([["{", "}"], ["[", "]"], ["(", ")"]]);
  });

  it("indents after an opening brace or bracket and outdents a closing one", () => {
    const increase = new RegExp(configuration.indentationRules.increaseIndentPattern);
    const decrease = new RegExp(configuration.indentationRules.decreaseIndentPattern);
    expect(increase.test("model Net {")).toBe(true);
    expect(increase.test("  residual {  // body")).toBe(true);
    expect(increase.test("  for c in [")).toBe(true);
    expect(increase.test("  repeat 2 { relu }")).toBe(false);
    expect(decrease.test("  }")).toBe(true);
    expect(decrease.test("  } shortcut auto")).toBe(true);
    expect(decrease.test("  relu")).toBe(false);
  });

  it("matches whole names and numbers as words", () => {
    const word = new RegExp(`^(?:${configuration.wordPattern})$`);
    for (const w of ["depthwise_conv", "enc1", "1e-3", "0.5", "-2"]) expect(word.test(w), w).toBe(true);
  });
});
