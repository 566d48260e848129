// The fuzzer's programs and what it checks on each. Programs come from a small generator of
// networks (blocks, repeats, residuals, branches, constants, symbolic sizes) and from the
// examples mutated: tokens inserted and removed, deep nesting, huge numbers, odd Unicode and
// control bytes. Each goes through check, the renderers, summary, the formatter, the IR and
// every code target, and editor requests at random offsets. `exercise` throws on the first
// broken property; the emitted sources it returns are compiled in batches by the caller
// (`tsc --strict`, `py_compile`), which is where a name or value that the emitters mishandle
// shows.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { compile, type Compilation } from "../../src/compile.js";
import { toJsonDiagnostics } from "../../src/diagnostics/json.js";
import { renderDiagnostics } from "../../src/diagnostics/render.js";
import { summarize, renderSummary, type SummaryJson } from "../../src/summary/summary.js";
import { formatText } from "../../src/format/printer.js";
import { buildIr } from "../../src/ir/build.js";
import { LoweringError, lowerToTfjs } from "../../src/emit/tfjs-lowering.js";
import { typeScriptSource } from "../../src/emit/typescript.js";
import { emitPytorch } from "../../src/emit/pytorch.js";
import { analysisOf } from "../../src/ide/analysis.js";
import { hover } from "../../src/ide/hover.js";
import { completion } from "../../src/ide/completion.js";
import { definition } from "../../src/ide/definition.js";
import { references } from "../../src/ide/references.js";
import { prepareRename, rename } from "../../src/ide/rename.js";
import { signatureHelp } from "../../src/ide/signature-help.js";
import { codeActions } from "../../src/ide/code-actions.js";
import { inlayHints } from "../../src/ide/inlay-hints.js";
import { documentSymbols } from "../../src/ide/document-symbols.js";
import { foldingRanges } from "../../src/ide/folding.js";
import { semanticTokens } from "../../src/ide/semantic-tokens.js";
import { cursorContext } from "../../src/ide/cursor-context.js";
import { LIMITS } from "../../src/limits.js";
import { seededRandom } from "../../src/data/random.js";

export type Random = () => number;

export { seededRandom };

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const int = (random: Random, lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));

/** The examples (valid and broken) the mutations start from. */
export function seedPrograms(root: string): string[] {
  const read = (dir: string): string[] =>
    readdirSync(dir)
      .filter((f) => f.endsWith(".cnn"))
      .sort()
      .map((f) => readFileSync(join(dir, f), "utf8"));
  return [...read(join(root, "examples")), ...read(join(root, "examples", "symbolic")), ...read(join(root, "examples", "errors"))];
}

// ---------------------------------------------------------------------------------------
// Generated networks

const ACTIVATIONS = ["relu", "relu6", "sigmoid", "tanh", "swish", "gelu", "leaky_relu", "elu"];

function spatialLayer(random: Random, scope: string[]): string {
  const size = (): string => (scope.length > 0 && random() < 0.3 ? pick(random, scope) : String(pick(random, [1, 2, 3, 4, 8, 16])));
  switch (int(random, 0, 9)) {
    case 0:
      return `conv ${size()}, kernel: ${pick(random, [1, 3, 5])}, padding: ${pick(random, ["same", "valid", "1", "0", "[1, 0]"])}${random() < 0.3 ? ", stride: 2" : ""}${random() < 0.2 ? ", bias: false" : ""}`;
    case 1:
      return `depthwise_conv kernel: 3, padding: 1${random() < 0.3 ? ", stride: 2" : ""}`;
    case 2:
      return `separable_conv ${size()}, kernel: 3, padding: same`;
    case 3:
      return `${pick(random, ["maxpool", "avgpool"])} ${pick(random, [2, 3])}${random() < 0.4 ? ", stride: 1, padding: 1" : ""}${random() < 0.2 ? ", ceil_mode: true" : ""}`;
    case 4:
      return "batchnorm";
    case 5:
      return pick(random, ACTIVATIONS);
    case 6:
      return `upsample ${pick(random, [2, "[2, 1]"])}${random() < 0.3 ? ", mode: bilinear" : ""}`;
    case 7:
      return `zero_pad ${pick(random, [1, "[1, 2]"])}`;
    case 8:
      return `transposed_conv ${size()}, kernel: 2, stride: 2`;
    default:
      return `dropout ${pick(random, [0.1, 0.5])}`;
  }
}

function body(random: Random, depth: number, scope: string[], tensors: string[], lines: string[], indent: string): void {
  const count = int(random, 1, 4);
  for (let i = 0; i < count; i++) {
    const roll = random();
    if (depth > 0 && roll < 0.12) {
      lines.push(`${indent}repeat ${int(random, 0, 3)} {`);
      body(random, depth - 1, scope, [], lines, indent + "  ");
      lines.push(`${indent}}`);
    } else if (depth > 0 && roll < 0.22) {
      lines.push(`${indent}residual${random() < 0.3 ? " if true" : ""} {`);
      body(random, depth - 1, scope, [], lines, indent + "  ");
      lines.push(`${indent}}${random() < 0.5 ? " shortcut auto" : ""}`);
    } else if (depth > 0 && roll < 0.3) {
      lines.push(`${indent}${pick(random, ["concat", "add"])} {`);
      for (let b = 0; b < 2; b++) {
        lines.push(`${indent}  branch {`);
        body(random, depth - 1, scope, [], lines, indent + "    ");
        lines.push(`${indent}  }`);
      }
      lines.push(`${indent}}`);
    } else if (depth > 0 && roll < 0.36) {
      lines.push(`${indent}gate {`);
      lines.push(`${indent}  global avgpool, keepdims: true`);
      lines.push(`${indent}  conv ${pick(random, [1, 4, 8])}, kernel: 1 -> sigmoid`);
      lines.push(`${indent}}`);
    } else if (roll < 0.42) {
      const name = `k${scope.length}`;
      lines.push(`${indent}let ${name} = ${pick(random, ["2", "3 * 2", "max(1, 4 - 2)", "floor(7 / 2)", "8 if true else 4"])}`);
      scope.push(name);
    } else if (roll < 0.48 && tensors.length > 0) {
      lines.push(`${indent}${pick(random, ["concat", "add"])} ${pick(random, tensors)}`);
    } else if (roll < 0.52) {
      lines.push(`${indent}expect [${pick(random, ["8", "H", "H / 2"])}, ${pick(random, ["8", "W"])}, ${pick(random, [3, 8, 16])}]`);
    } else {
      const chain = Array.from({ length: int(random, 1, 3) }, () => spatialLayer(random, scope)).join(" -> ");
      const named = random() < 0.2 ? `t${tensors.length}` : undefined;
      lines.push(`${indent}${chain}${named ? ` as ${named}` : ""}`);
      if (named) tensors.push(named);
    }
  }
}

/** A network from the generator: mostly valid, sometimes with shape errors a checker must explain. */
export function generatedProgram(random: Random): string {
  const lines: string[] = [];
  const blocks: string[] = [];
  for (let b = 0; b < int(random, 0, 2); b++) {
    const name = `Block${b}`;
    lines.push(`block ${name}(c = ${pick(random, [4, 8])}${random() < 0.3 ? ", s = 1" : ""}) {`);
    body(random, 2, ["c"], [], lines, "  ");
    lines.push("}");
    blocks.push(name);
  }
  const symbolic = random() < 0.25;
  lines.push(`model Net${int(random, 0, 9)} {`);
  lines.push(`  input image: [${symbolic ? "H, W" : `${pick(random, [8, 16, 32])}, ${pick(random, [8, 16, 32])}`}, ${pick(random, [1, 3])}]`);
  const inner: string[] = [];
  body(random, 3, [], [], inner, "  ");
  for (const block of blocks) if (random() < 0.8) inner.splice(int(random, 0, inner.length), 0, `  ${block}(${pick(random, [4, 8, 16])})`);
  lines.push(...balanced(inner));
  lines.push(`  ${pick(random, ["global avgpool", "global maxpool", "flatten"])}`);
  lines.push(`  dense ${pick(random, [2, 10])}${random() < 0.5 ? " -> softmax" : ""}`);
  lines.push("}");
  if (random() < 0.3) {
    lines.push(`train ${lines.find((l) => l.startsWith("model "))!.split(" ")[1]} {`);
    lines.push(`  optimizer: ${pick(random, ["adam(lr: 0.001)", "sgd(lr: 0.1, momentum: 0.9)"])}`);
    lines.push("  loss: cross_entropy");
    lines.push("  epochs: 2");
    lines.push("}");
  }
  return lines.join("\n") + "\n";
}

/** Block calls spliced between the lines of a body must not land inside a nested body. */
function balanced(lines: string[]): string[] {
  const out: string[] = [];
  let depth = 0;
  for (const line of lines) {
    const opens = (line.match(/\{/g) ?? []).length;
    const closes = (line.match(/\}/g) ?? []).length;
    if (depth > 0 && /^\s*Block\d\(/.test(line) && opens === 0 && closes === 0) {
      out.push(line.replace(/^\s*/, "  ".repeat(depth + 1)));
      continue;
    }
    out.push(line);
    depth += opens - closes;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Mutations

const TOKENS = ["model", "block", "input", "repeat", "for", "in", "residual", "shortcut", "auto", "gate", "branch", "concat", "add", "if", "else", "let", "as", "from", "expect", "global", "not", "and", "conv", "dense", "relu", "maxpool", "flatten", "batchnorm", "upsample", "x", "H", "W", "(", ")", "[", "]", "{", "}", ",", ":", "->", "=", "==", "+", "-", "*", "/", "%", "0", "1", "3", "64", "-2", "0.5", '"s"', "\n", " ", ";", "//c\n", "///d\n", "/*", "*/", "kernel:", "stride:", "padding:", "same", "in_channels:", "range(3)"];
const HUGE = ["1e308", "1e309", "9007199254740993", "123456789012345678901234567890", "0.0000000001", "1e-320", "4294967297", "65536", "10001", "-0", "00", "1.", ".5e5"];
const ODD = ["\u0000", "\u0007", "\u001b[2J", "\u001b]0;title\u0007", "\r", "\r\n", "\t", "\u007f", "\u0085", "\u009b", "\u202e", "\u2066", "\u200f", "\u2028", "\u2029", "\ufeff", "\u00a0", "é", "変換", "🙂", "\ud800", "\udfff", "\u0301", "ﬁ", "Ａ"];

function deepNesting(random: Random): string {
  const n = pick(random, [LIMITS.nesting - 2, LIMITS.nesting, LIMITS.nesting + 1, 200, 5000]);
  switch (int(random, 0, 6)) {
    case 0:
      return "(".repeat(n) + "1" + ")".repeat(n);
    case 1:
      return "[".repeat(n) + "1" + "]".repeat(n);
    case 2:
      return "residual {\n".repeat(n) + "relu\n" + "}\n".repeat(n);
    case 3:
      return "- ".repeat(n) + "3";
    case 4:
      return "not ".repeat(n) + "true";
    case 5:
      return "1 if true else ".repeat(n) + "2";
    default:
      return Array.from({ length: n }, (_, i) => String(i % 7)).join(" + ");
  }
}

/** One example, changed in a few places. */
export function mutatedProgram(random: Random, seeds: readonly string[]): string {
  let text = pick(random, seeds);
  const edits = int(random, 1, 6);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(random() * (text.length + 1));
    const roll = random();
    let insert: string;
    let remove = 0;
    if (roll < 0.35) {
      insert = pick(random, TOKENS);
      remove = int(random, 0, 6);
    } else if (roll < 0.5) {
      // Swap a number for a huge or odd one.
      const numbers = [...text.matchAll(/\d+(\.\d+)?/g)];
      if (numbers.length === 0) continue;
      const match = pick(random, numbers);
      text = text.slice(0, match.index) + pick(random, HUGE) + text.slice(match.index! + match[0].length);
      continue;
    } else if (roll < 0.7) {
      insert = pick(random, ODD);
    } else if (roll < 0.78) {
      insert = deepNesting(random);
    } else if (roll < 0.9) {
      // Duplicate a stretch, or cut one out.
      const length = int(random, 1, 120);
      if (random() < 0.5) insert = text.slice(at, at + length);
      else {
        insert = "";
        remove = length;
      }
    } else {
      insert = String.fromCharCode(int(random, 0, 0xffff));
    }
    text = text.slice(0, at) + insert + text.slice(at + remove);
  }
  return text;
}

/** A program for run `index`: every third generated, the rest mutated. */
export function fuzzProgram(random: Random, seeds: readonly string[], index: number): string {
  return index % 3 === 0 ? generatedProgram(random) : mutatedProgram(random, seeds);
}

// ---------------------------------------------------------------------------------------
// Properties

export interface Emitted {
  /** TypeScript modules of models that lower to tfjs. */
  typescript: string[];
  /** model.py and train.py of each model. */
  python: { model: string; train: string }[];
}

class Broken extends Error {}

function require(condition: boolean, message: string): void {
  if (!condition) throw new Broken(message);
}

/** Characters a terminal acts on; none may reach the rendered text raw. */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

function checkDiagnostics(text: string, result: Compilation): void {
  const inside = (span: { start: number; end: number }): boolean => {
    const { file, span: local } = result.locate(span);
    const length = file.base === 0 ? text.length : file.text.length;
    return Number.isInteger(local.start) && Number.isInteger(local.end) && local.start >= 0 && local.start <= local.end && local.end <= length;
  };
  for (const d of result.diagnostics) {
    require(/^[EW]0\d{3}$/.test(d.code) && d.message.length > 0, `malformed diagnostic ${d.code}`);
    require(inside(d.span), `${d.code}: span ${JSON.stringify(d.span)} outside the file`);
    for (const r of d.related) require(inside(r.span), `${d.code}: related span outside the file`);
    for (const f of d.fixes) for (const e of f.edits) require(inside(e.span), `${d.code}: fix edit outside the file`);
  }
  const rendered = renderDiagnostics(result.diagnostics, "fuzz.cnn", text, { color: false, sources: result.sources });
  require(!RAW_CONTROL.test(rendered), "a control or bidi character reaches the terminal unescaped");
  const json = JSON.stringify(toJsonDiagnostics(result.diagnostics, "fuzz.cnn", text, result.sources));
  require(JSON.parse(json).length === result.diagnostics.length, "JSON diagnostics lost one");
}

/** What a formatting must keep: every model's layers, shapes and counts (lines move). */
function summaryKey(summaries: readonly SummaryJson[]): string {
  return JSON.stringify(summaries.map((s) => ({ ...s, layers: s.layers.map(({ line: _line, ...rest }) => rest), sizes: s.sizes?.map(({ reasons: _reasons, ...rest }) => rest) })));
}

function summaries(text: string, result: Compilation): SummaryJson[] {
  return result.models.filter((m) => m.complete).map((m) => summarize(m, text));
}

function checkFormatter(text: string, result: Compilation): void {
  const formatted = formatText(text);
  if (!formatted.ok) return;
  const again = formatText(formatted.text);
  require(again.ok && again.text === formatted.text, "formatting is not idempotent");
  const before = summaries(text, result);
  const reformatted = compile(formatted.text);
  require(summaryKey(summaries(formatted.text, reformatted)) === summaryKey(before), "formatting changed a summary");
  require(reformatted.diagnostics.filter((d) => d.severity === "error").length === result.diagnostics.filter((d) => d.severity === "error").length, "formatting changed the number of errors");
}

function emitTargets(text: string, result: Compilation, emitted: Emitted): void {
  if (result.diagnostics.some((d) => d.severity === "error")) return;
  for (const model of result.models) {
    if (!model.complete || model.sizes !== undefined) continue;
    const summary = summarize(model, text);
    renderSummary(summary);
    const train = result.trains.find((t) => t.model === model.name);
    const ir = buildIr(model, text, train);
    JSON.stringify(ir);
    try {
      const spec = lowerToTfjs(ir, { seed: 1 });
      emitted.typescript.push(typeScriptSource({ spec, ir, sourceFile: "fuzz.cnn", doc: model.decl.doc, train }));
    } catch (error) {
      if (!(error instanceof LoweringError)) throw error;
    }
    const python = emitPytorch({ ir, sourceFile: "fuzz.cnn", doc: model.decl.doc });
    emitted.python.push({ model: python["model.py"], train: python["train.py"] });
  }
}

function checkEditor(text: string, result: Compilation, random: Random): void {
  const analysis = analysisOf(result);
  documentSymbols(analysis);
  foldingRanges(analysis);
  semanticTokens(analysis);
  inlayHints(analysis);
  for (let i = 0; i < 2; i++) {
    const offset = int(random, 0, text.length);
    hover(analysis, offset);
    completion(analysis, offset);
    definition(analysis, offset);
    references(analysis, offset, true);
    signatureHelp(analysis, offset);
    cursorContext(text, offset);
    codeActions(analysis, { start: offset, end: Math.min(text.length, offset + int(random, 0, 20)) });
    const prepared = prepareRename(analysis, offset);
    if ("span" in prepared) rename(analysis, offset, "renamed");
  }
}

/**
 * Runs one program through every phase; throws (with the phase in the message) where a
 * property breaks. Emitted sources are added to `emitted` for the caller to compile.
 */
export function exercise(text: string, random: Random, emitted: Emitted): void {
  const phase = <T>(name: string, run: () => T): T => {
    try {
      return run();
    } catch (error) {
      if (error instanceof Broken) throw new Error(`${name}: ${error.message}`);
      throw new Error(`${name}: internal error: ${(error as Error).stack ?? String(error)}`);
    }
  };
  const result = phase("check", () => compile(text));
  phase("diagnostics", () => checkDiagnostics(text, result));
  phase("summary", () => summaries(text, result).forEach((s) => renderSummary(s)));
  phase("format", () => checkFormatter(text, result));
  phase("build", () => emitTargets(text, result, emitted));
  phase("editor", () => checkEditor(text, result, random));
}
