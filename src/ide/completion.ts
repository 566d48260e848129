// Completion: layer kinds, blocks and statement keywords where a statement or a chain step
// starts; argument names and their allowed values inside a call; tensor names after
// `from` and in merge layers; training settings and their choices in a `train` body.
// The place comes from the tokens before the cursor, so it works on half-typed lines.

import { LOSSES, METRICS, OPTIMIZERS, TRAIN_SETTINGS } from "../check/train.js";
import { BUILTIN_FUNCTIONS } from "../check/values.js";
import type { Span } from "../diagnostics/diagnostic.js";
import { signature } from "../ops/describe.js";
import { lookupOp, OPS, sourceName } from "../ops/registry.js";
import type { ArgSpec, ArgType } from "../ops/types.js";
import type { BlockDecl } from "../syntax/ast.js";
import { contains, type Analysis } from "./analysis.js";
import { cursorContext, type ArgumentPosition } from "./cursor-context.js";
import { argumentDoc, blockSignature } from "./hover.js";
import type { SourceSymbol } from "./symbols.js";

export type CompletionKind = "layer" | "block" | "keyword" | "argument" | "value" | "tensor" | "constant" | "setting" | "function" | "model" | "snippet";

export interface CompletionItem {
  label: string;
  kind: CompletionKind;
  detail?: string;
  /** Markdown. */
  documentation?: string;
  /** Text to insert instead of the label; with `snippet`, in the editor's snippet syntax ($1, $0). */
  insertText?: string;
  snippet?: boolean;
  /** Orders the list: lower first. */
  sortText?: string;
}

export interface CompletionResult {
  /** The text the chosen item replaces. */
  replace: Span;
  items: CompletionItem[];
}

/**
 * The learning-rate schedules and early stopping, with their arguments. The checker's
 * schema in src/check/train.ts builds these per model (the monitored names depend on the
 * metrics) and does not export them, so their names are listed here.
 */
const SCHEDULERS: Record<string, string[]> = {
  reduce_on_plateau: ["monitor", "mode", "factor", "patience", "min_lr", "cooldown", "threshold"],
  step: ["step_size", "gamma"],
  exponential: ["gamma"],
  cosine: ["warmup", "min_lr"],
};
const EARLY_STOPPING = ["monitor", "mode", "patience", "min_delta"];

const STATEMENT_KEYWORDS: { label: string; snippet: string; doc: string }[] = [
  { label: "repeat", snippet: "repeat ${1:2} {\n\t$0\n}", doc: "The body N times, each feeding the next." },
  { label: "for", snippet: "for ${1:c} in [${2:64, 128}] {\n\t$0\n}", doc: "The body once per item, with the names bound." },
  { label: "residual", snippet: "residual {\n\t$0\n}", doc: "x + f(x); the shapes must be equal, or add `shortcut auto`." },
  { label: "gate", snippet: "gate {\n\t$0\n}", doc: "x · f(x); f(x) may be [1, 1, C] and is broadcast." },
  { label: "frozen", snippet: "frozen {\n\t$0\n}", doc: "The layers inside keep their weights in training (a pretrained backbone)." },
  { label: "if", snippet: "if ${1:condition} {\n\t$0\n}", doc: "Chooses a body at compile time." },
  { label: "let", snippet: "let ${1:name} = $0", doc: "A constant in the current body." },
  { label: "from", snippet: "from $0", doc: "Continues from a named tensor." },
  { label: "expect", snippet: "expect [$0]", doc: "Asserts the current shape." },
  { label: "concat branches", snippet: "concat {\n\tbranch { $1 }\n\tbranch { $0 }\n}", doc: "Runs each branch on the current tensor and concatenates the results." },
];

export function completion(analysis: Analysis, offset: number): CompletionResult {
  const { word, place } = cursorContext(analysis.text, offset);
  const items: CompletionItem[] = [];
  switch (place.kind) {
    case "top":
      items.push(
        { label: "model", kind: "snippet", insertText: "model ${1:Name} {\n\tinput ${2:image}: [${3:224, 224, 3}]\n\t$0\n}", snippet: true, documentation: "A model: an input and its layers." },
        { label: "block", kind: "snippet", insertText: "block ${1:Name}(${2:channels}) {\n\t$0\n}", snippet: true, documentation: "A parametric block of layers, called like a layer." },
        { label: "train", kind: "snippet", insertText: "train ${1:Model} {\n\toptimizer: adam(lr: 0.001)\n\tloss: cross_entropy\n\tbatch: ${2:32}\n\tepochs: ${3:10}\n}", snippet: true, documentation: "Training settings for a model." },
        { label: "import", kind: "snippet", insertText: 'import { ${2:basic} } from "${1:std/resnet}"', snippet: true, documentation: "Blocks and top-level constants from another file (`./blocks.cnn`) or the standard library (`std/NAME`)." },
        { label: "let", kind: "snippet", insertText: "let ${1:name} = $0", snippet: true, documentation: "A constant visible in every model and block of the file, and importable." },
      );
      break;
    case "train-model":
      for (const decl of analysis.compilation.program.declarations) if (decl.kind === "model" && decl.name.text !== "") items.push({ label: decl.name.text, kind: "model" });
      break;
    case "statement":
      items.push(...layerItems(analysis));
      if (!place.afterArrow) {
        for (const keyword of STATEMENT_KEYWORDS) items.push({ label: keyword.label, kind: "keyword", insertText: keyword.snippet, snippet: true, documentation: keyword.doc, sortText: `2${keyword.label}` });
        if (place.inModel && !hasInput(analysis, offset)) items.push({ label: "input", kind: "keyword", insertText: "input ${1:image}: [${2:224, 224, 3}]", snippet: true, documentation: "The model's input: [height, width, channels] or [features].", sortText: "0input" });
      }
      break;
    case "join-body":
      items.push({ label: "branch", kind: "keyword", insertText: "branch {\n\t$0\n}", snippet: true, documentation: "A branch: runs on the current tensor; an empty branch passes it through." });
      break;
    case "global":
      for (const op of ["avgpool", "maxpool"]) {
        const def = lookupOp(`global_${op}`)!;
        items.push({ label: op, kind: "layer", detail: signature(def), documentation: def.doc });
      }
      break;
    case "shortcut":
      items.push({ label: "auto", kind: "keyword", documentation: "The identity where the shapes agree, else a 1x1 conv (no bias) and batchnorm." });
      break;
    case "tensor":
      items.push(...tensorItems(analysis, offset));
      break;
    case "expression":
      items.push(...valueItems(analysis, offset), ...functionItems());
      break;
    case "call-arguments":
      items.push(...callArgumentItems(analysis, offset, place.callee, place.args));
      break;
    case "train-setting":
      for (const setting of TRAIN_SETTINGS) if (!place.given.includes(setting)) items.push({ label: setting, kind: "setting", insertText: `${setting}: `, sortText: `0${setting}` });
      break;
    case "train-value":
      items.push(...trainValueItems(place.setting));
      break;
    case "train-arguments":
      items.push(...trainArgumentItems(place.setting, place.choice, place.args));
      break;
    case "none":
      break;
  }
  return { replace: word, items };
}

function layerItems(analysis: Analysis): CompletionItem[] {
  const items: CompletionItem[] = OPS.map((op) => ({ label: sourceName(op.name), kind: "layer", detail: signature(op), documentation: op.doc, sortText: `1${op.name}` }));
  for (const [name, decl] of analysis.symbols.declarations) {
    if (decl.kind !== "block") continue;
    items.push({ label: name, kind: "block", detail: blockSignature(analysis, decl), documentation: decl.doc, sortText: `0${name}` });
  }
  return items;
}

function hasInput(analysis: Analysis, offset: number): boolean {
  const decl = analysis.compilation.program.declarations.find((d) => contains(d.span, offset));
  return decl?.kind === "model" && decl.body.statements.some((s) => s.kind === "input" && !contains(s.span, offset));
}

/** Parameters, constants and loop variables visible at the offset. */
function valuesInScope(analysis: Analysis, offset: number): SourceSymbol[] {
  const seen = new Set<string>();
  const out: SourceSymbol[] = [];
  // Names of the enclosing declaration first, then the file's top-level (and imported) constants.
  const symbols = analysis.symbols.symbols;
  for (const symbol of [...symbols.filter((s) => s.owner !== undefined), ...symbols.filter((s) => s.owner === undefined && s.kind === "constant")]) {
    if (symbol.kind !== "parameter" && symbol.kind !== "constant" && symbol.kind !== "loop-variable") continue;
    if (symbol.owner !== undefined && (!contains(symbol.owner.span, offset) || !contains(symbol.scope, offset))) continue;
    if (seen.has(symbol.name)) continue;
    seen.add(symbol.name);
    out.push(symbol);
  }
  return out;
}

function tensorsInScope(analysis: Analysis, offset: number): SourceSymbol[] {
  return analysis.symbols.symbols.filter((s) => s.kind === "tensor" && s.owner !== undefined && contains(s.owner.span, offset) && s.scope.start <= offset);
}

function tensorItems(analysis: Analysis, offset: number): CompletionItem[] {
  return tensorsInScope(analysis, offset).map((s) => ({ label: s.name, kind: "tensor", detail: "tensor", sortText: `0${s.name}` }));
}

function valueItems(analysis: Analysis, offset: number): CompletionItem[] {
  return valuesInScope(analysis, offset).map((s) => ({ label: s.name, kind: "constant", detail: s.kind === "loop-variable" ? "loop variable" : s.kind, sortText: `0${s.name}` }));
}

function functionItems(): CompletionItem[] {
  return BUILTIN_FUNCTIONS.map((name) => ({ label: name, kind: "function", insertText: `${name}($1)`, snippet: true, sortText: `3${name}` }));
}

function choicesFor(type: ArgType): string[] {
  switch (type.kind) {
    case "bool":
      return ["true", "false"];
    case "enum":
      return [...type.values];
    case "padding":
      return [...type.modes];
    default:
      return [];
  }
}

function callArgumentItems(analysis: Analysis, offset: number, callee: string, position: ArgumentPosition): CompletionItem[] {
  const op = lookupOp(callee);
  const block = analysis.symbols.declarations.get(callee);
  const items: CompletionItem[] = [];
  if (op !== undefined) {
    if (position.name !== undefined) {
      const spec = op.args.find((a) => a.name === position.name);
      if (spec !== undefined) items.push(...argumentValueItems(analysis, offset, spec));
      return items;
    }
    const positional = op.args.filter((a) => a.positional);
    const slot = positional[position.positionalBefore];
    if (slot?.variadic || op.merge) items.push(...tensorItems(analysis, offset));
    else if (slot !== undefined) items.push(...argumentValueItems(analysis, offset, slot));
    if (position.atStart) {
      const given = new Set([...position.named, ...positional.slice(0, position.positionalBefore).map((a) => a.name)]);
      for (const spec of op.args) {
        if (given.has(spec.name) || spec.variadic) continue;
        items.push({ label: `${spec.name}:`, kind: "argument", insertText: `${spec.name}: `, detail: spec.default !== undefined ? `default ${JSON.stringify(spec.default)}` : spec.optional ? "optional" : "required", documentation: argumentDoc(op, spec), sortText: `0${String(op.args.indexOf(spec)).padStart(2, "0")}` });
      }
    }
    return items;
  }
  if (block?.kind === "block") {
    items.push(...valueItems(analysis, offset), ...functionItems());
    if (position.name === undefined && position.atStart) {
      const given = new Set([...position.named, ...block.params.slice(0, position.positionalBefore).map((p) => p.name.text)]);
      for (const param of (block as BlockDecl).params) {
        if (param.name.text === "" || given.has(param.name.text)) continue;
        items.push({ label: `${param.name.text}:`, kind: "argument", insertText: `${param.name.text}: `, detail: param.default !== undefined ? `default ${analysis.text.slice(param.default.span.start, param.default.span.end)}` : "required", sortText: `0${param.name.text}` });
      }
    }
  }
  return items;
}

function argumentValueItems(analysis: Analysis, offset: number, spec: ArgSpec): CompletionItem[] {
  if (spec.type.kind === "tensor") return tensorItems(analysis, offset);
  const choices = choicesFor(spec.type).map((value): CompletionItem => ({ label: value, kind: "value", sortText: `0${value}` }));
  return [...choices, ...valueItems(analysis, offset), ...functionItems()];
}

function trainValueItems(setting: string): CompletionItem[] {
  const names = (record: Record<string, unknown>, withArgs: (name: string) => boolean): CompletionItem[] =>
    Object.keys(record).map((name) => ({ label: name, kind: "value", insertText: withArgs(name) ? `${name}($1)` : name, snippet: withArgs(name) }));
  switch (setting) {
    case "optimizer":
      return names(OPTIMIZERS, () => true);
    case "loss":
      return names(LOSSES, () => false);
    case "metrics":
      return names(METRICS, (name) => METRICS[name]!.length > 0);
    case "scheduler":
      return names(SCHEDULERS, () => true);
    case "early_stopping":
      return [{ label: "early_stopping", kind: "value", insertText: "early_stopping($1)", snippet: true }];
    default:
      return [];
  }
}

function trainArgumentItems(setting: string, choice: string, position: ArgumentPosition): CompletionItem[] {
  const specs: ArgSpec[] | undefined = setting === "optimizer" ? OPTIMIZERS[choice] : setting === "loss" ? LOSSES[choice] : setting === "metrics" ? METRICS[choice] : undefined;
  if (position.name !== undefined) {
    if (position.name === "mode") return ["min", "max"].map((v) => ({ label: v, kind: "value" }));
    if (position.name === "monitor") return ["val_loss", "loss", "val_accuracy", "accuracy"].map((v) => ({ label: v, kind: "value" }));
    const spec = specs?.find((s) => s.name === position.name);
    return spec === undefined ? [] : choicesFor(spec.type).map((v) => ({ label: v, kind: "value" }));
  }
  if (!position.atStart) return [];
  const names = specs?.map((s) => s.name) ?? (setting === "scheduler" ? SCHEDULERS[choice] : setting === "early_stopping" ? EARLY_STOPPING : undefined) ?? [];
  return names.filter((n) => !position.named.includes(n)).map((name) => ({ label: `${name}:`, kind: "argument", insertText: `${name}: `, documentation: specs?.find((s) => s.name === name)?.doc }));
}
