// Hovers: what the thing under the cursor is and what it does to the tensor. On a layer or
// block call, the input and output shapes, the parameters and MACs, and the docs; on a
// declaration, its signature and docs (and a model's totals); on a name, what it names.

import { decisiveReasons, describeSizes } from "../check/sizes.js";
import { LineIndex } from "../diagnostics/line-index.js";
import type { CallFacts } from "../check/graph.js";
import { formatShape } from "../shape/shape.js";
import type { Span } from "../diagnostics/diagnostic.js";
import { formatArgValue, signature } from "../ops/describe.js";
import { lookupOp, sourceName } from "../ops/registry.js";
import type { ArgSpec, OpDef } from "../ops/types.js";
import type { BlockDecl, Call, ModelDecl, Statement } from "../syntax/ast.js";
import { contains, formatCount, graphOf, sourceText, statementOutput, type Analysis } from "./analysis.js";
import { callAt, nestedBodies, referenceAt, type SourceSymbol } from "./symbols.js";
import { formatField } from "../check/receptive-field.js";
import { BYTES_PER_FLOAT, DEFAULT_BATCH, estimateMemory, formatBytes } from "../summary/memory.js";

export interface Hover {
  span: Span;
  /** Markdown. */
  contents: string;
}

export function hover(analysis: Analysis, offset: number): Hover | undefined {
  const index = analysis.symbols;
  const site = callAt(index, offset);
  if (site !== undefined && contains(site.call.name.span, offset)) return callHover(analysis, site.call);
  if (site !== undefined) {
    const arg = site.call.args.find((a) => a.name !== undefined && contains(a.name.span, offset));
    const op = lookupOp(site.call.name.text);
    if (arg?.name !== undefined && op !== undefined) {
      const spec = op.args.find((a) => a.name === arg.name!.text);
      if (spec !== undefined) return { span: arg.name.span, contents: argumentDoc(op, spec) };
    }
  }
  const reference = referenceAt(index, offset);
  if (reference !== undefined) return { span: reference.span, contents: symbolHover(analysis, reference.symbol) };
  return sizeHover(analysis, offset) ?? keywordHover(analysis, offset);
}

/** On a symbolic size's name (`H` in `input image: [H, W, 3]`, or in `expect`): the sizes it accepts and why. */
function sizeHover(analysis: Analysis, offset: number): Hover | undefined {
  const text = analysis.compilation.text;
  let start = offset;
  let end = offset;
  while (start > 0 && /\w/.test(text[start - 1]!)) start--;
  while (end < text.length && /\w/.test(text[end]!)) end++;
  if (start === end || analysis.compilation.program.comments.some((c) => contains(c.span, offset))) return undefined;
  const name = text.slice(start, end);
  const model = analysis.compilation.program.declarations.find((d): d is ModelDecl => d.kind === "model" && contains(d.span, offset));
  const graph = model === undefined ? undefined : graphOf(analysis, model);
  const set = graph?.sizes?.sets.get(name);
  if (graph?.sizes === undefined || set === undefined) return undefined;
  const lines = new LineIndex(text);
  const reasons = decisiveReasons(graph.sizes.reasons)
    .filter((r) => r.name === name && r.span.end <= text.length)
    .map((r) => `line ${lines.position(r.span.start).line + 1}: ${r.needs}`);
  const sentence = describeSizes(new Map([[name, set]]))[0]!;
  return { span: { start, end }, contents: `${code(`size ${name}`)}\n\nsymbolic size of model \`${graph.name}\`: ${sentence}${reasons.length > 0 ? ` (${reasons.join("; ")})` : ""}` };
}

function code(text: string): string {
  return "```cnn\n" + text + "\n```";
}

function countsLine(facts: CallFacts): string {
  const total = facts.params.trainable + facts.params.nonTrainable;
  const params = facts.params.nonTrainable > 0 ? `${formatCount(total)} (${formatCount(facts.params.trainable)} ${facts.frozen ? "frozen" : "trainable"}, ${formatCount(facts.params.nonTrainable)} running statistics)` : `${formatCount(total)}${facts.frozen && total > 0 ? " (frozen)" : ""}`;
  return `params ${params} · ${Number.isNaN(facts.macs) ? "MACs depend on the input size" : `MACs ${formatCount(facts.macs)}`}`;
}

function shapeLine(facts: CallFacts | undefined): string {
  if (facts === undefined) return "not reached: no model runs this line";
  return `\`${formatShape(facts.input, { sizes: facts.sizes })}\` → \`${formatShape(facts.output, { sizes: facts.sizes })}\``;
}

function callHover(analysis: Analysis, call: Call): Hover {
  const facts = analysis.compilation.calls.get(call);
  const op = lookupOp(call.name.text);
  const parts: string[] = [];
  if (op !== undefined) {
    parts.push(code(signature(op)), op.doc);
  } else {
    const block = analysis.symbols.declarations.get(call.name.text);
    if (block?.kind === "block") {
      parts.push(code(blockSignature(analysis, block)));
      if (block.doc !== undefined) parts.push(block.doc);
      const symbol = analysis.symbols.declarationSymbols.get(block);
      const from = symbol === undefined ? undefined : importedFrom(symbol);
      if (from !== undefined) parts.push(from);
      const contract = contractLine(block, facts);
      if (contract !== undefined) parts.push(contract);
    } else {
      parts.push(`\`${sourceName(call.name.text)}\` is not a layer kind or a block in this file`);
    }
  }
  parts.push(shapeLine(facts));
  if (facts?.output !== undefined) parts.push(countsLine(facts));
  const activation = activationLine(analysis, call, facts);
  if (activation !== undefined) parts.push(activation);
  if (facts?.field !== undefined) {
    const { receptiveField, stride } = formatField(facts.field);
    parts.push(`receptive field ${receptiveField} · output stride ${stride} (input pixels)`);
  }
  return { span: call.name.span, contents: parts.join("\n\n") };
}

/** The call's output for a batch: the train declaration's of the model around it, else the default. */
function activationLine(analysis: Analysis, call: Call, facts: CallFacts | undefined): string | undefined {
  const output = facts?.output;
  if (output === undefined || !output.every((d): d is number => typeof d === "number")) return undefined;
  const model = analysis.compilation.program.declarations.find((d): d is ModelDecl => d.kind === "model" && contains(d.span, call.span.start));
  const batch = (model === undefined ? analysis.compilation.trains[0] : analysis.compilation.trains.find((t) => t.model === model.name.text))?.batch ?? DEFAULT_BATCH;
  return `output at batch ${batch}: ${formatBytes(batch * output.reduce((a, b) => a * b, 1) * BYTES_PER_FLOAT)}`;
}

export function blockSignature(analysis: Analysis, block: BlockDecl | ModelDecl): string {
  const params = block.params.map((p) => (p.default !== undefined ? `${p.name.text} = ${sourceText(analysis, p.default.span)}` : p.name.text));
  const contract = block.kind === "block" && block.contract !== undefined ? `: ${sourceText(analysis, block.contract.input.span)} -> ${sourceText(analysis, block.contract.output.span)}` : "";
  return `${block.kind} ${block.name.text}${params.length > 0 || block.kind === "block" ? `(${params.join(", ")})` : ""}${contract}`;
}

/** The contract line of a block hover: declared in the signature, or inferred from the body. */
function contractLine(block: BlockDecl, facts: CallFacts | undefined): string | undefined {
  if (block.contract !== undefined) return "contract checked against the body for every height and width";
  return facts?.inferredContract === undefined ? undefined : `inferred contract: \`${facts.inferredContract}\``;
}

export function argumentDoc(op: OpDef, spec: ArgSpec): string {
  const default_ = spec.default !== undefined ? ` (default \`${formatArgValue(spec.default)}\`)` : spec.optional ? " (optional)" : spec.variadic ? "" : " (required)";
  const choices = spec.type.kind === "enum" ? ` One of ${spec.type.values.map((v) => `\`${v}\``).join(", ")}.` : spec.type.kind === "padding" ? ` A number, \`[h, w]\`, \`[top, bottom, left, right]\`, ${spec.type.modes.map((m) => `\`${m}\``).join(" or ")}.` : "";
  return `\`${sourceName(op.name)}\` argument \`${spec.name}\`${default_}: ${spec.doc}${choices}`;
}

function symbolHover(analysis: Analysis, symbol: SourceSymbol): string {
  switch (symbol.kind) {
    case "model": {
      const decl = symbol.declaration as ModelDecl;
      const graph = graphOf(analysis, decl);
      const parts = [code(blockSignature(analysis, decl))];
      if (decl.doc !== undefined) parts.push(decl.doc);
      if (graph !== undefined) {
        const input = graph.nodes.find((n) => n.op === "input");
        const output = graph.outputId !== undefined ? graph.nodes[graph.outputId] : undefined;
        parts.push(`\`${formatShape(input?.shape)}\` → \`${formatShape(output?.shape, { sizes: graph.sizes?.sets })}\`${graph.complete ? "" : " (the model has errors)"}`);
        const macs = Number.isNaN(graph.macs) ? "MACs depend on the input size" : `MACs ${formatCount(graph.macs)}`;
        parts.push(`${formatCount(graph.nodes.length - (input ? 1 : 0))} layers · params ${formatCount(graph.params.total)} (${formatCount(graph.params.trainable)} trainable, ${graph.params.frozen > 0 ? `${formatCount(graph.params.frozen)} frozen, ` : ""}${formatCount(graph.params.nonTrainable)} running statistics) · ${macs}`);
        if (graph.sizes !== undefined) parts.push(`accepted sizes: ${describeSizes(graph.sizes.sets).join("; ")}`);
        const memory = graph.complete ? estimateMemory(graph, { train: analysis.compilation.trains.find((t) => t.model === graph.name) }) : undefined;
        if (memory !== undefined) {
          parts.push(`training memory at batch ${memory.batch}: ${formatBytes(memory.training.tfjs)} per step on tfjs, ${formatBytes(memory.training.pytorch)} on PyTorch (activations ${formatBytes(memory.activations)}, kept for backward ${formatBytes(memory.saved)}, parameters + gradients + ${memory.optimizer} state ${formatBytes(memory.params + memory.gradients + memory.optimizerState)})`);
        }
      }
      return parts.join("\n\n");
    }
    case "block": {
      const decl = symbol.declaration as BlockDecl | undefined;
      if (decl === undefined) return importedFrom(symbol) ?? "";
      const parts = [code(blockSignature(analysis, decl))];
      if (decl.doc !== undefined) parts.push(decl.doc);
      const from = importedFrom(symbol);
      if (from !== undefined) parts.push(from);
      const first = [...analysis.compilation.calls].find(([call, facts]) => facts.kind === "block" && facts.name === decl.name.text && call.name.text === decl.name.text)?.[1];
      const contract = contractLine(decl, first);
      if (contract !== undefined) parts.push(contract);
      if (first !== undefined) parts.push(`first call: ${shapeLine(first)}${first.output !== undefined ? `, ${countsLine(first)}` : ""}`);
      return parts.join("\n\n");
    }
    case "parameter":
      return code(`${symbol.owner?.kind ?? "block"} ${symbol.owner?.name.text ?? ""} parameter ${symbol.name}${symbol.defaultValue ? ` = ${sourceText(analysis, symbol.defaultValue.span)}` : ""}`);
    case "constant": {
      const parts = [code(`let ${symbol.name} = ${symbol.value ? sourceText(analysis, symbol.value.span) : "…"}`)];
      const doc = symbol.statement?.doc;
      if (doc !== undefined) parts.push(doc);
      const from = importedFrom(symbol);
      if (from !== undefined) parts.push(from);
      return parts.join("\n\n");
    }
    case "loop-variable": {
      const statement = symbol.statement as Extract<Statement, { kind: "for" }>;
      return code(`for ${statement.variables.map((v) => v.text).join(", ")} in ${sourceText(analysis, statement.iterable.span)}`) + "\n\nloop variable";
    }
    case "tensor": {
      const statement = symbol.statement!;
      const shape = statementOutput(analysis, statement);
      return code(`tensor ${symbol.name}: ${formatShape(shape)}`);
    }
  }
}

/** Where an imported block or constant comes from. */
function importedFrom(symbol: SourceSymbol): string | undefined {
  const binding = symbol.imported?.binding;
  if (binding === undefined) return undefined;
  const alias = binding.entry.alias !== undefined ? ` as \`${binding.local.text}\`` : "";
  return `imported from \`${binding.statement.path}\`${alias}`;
}

/** `residual`, `gate`, `frozen` and join keywords show the shape their node produces. */
function keywordHover(analysis: Analysis, offset: number): Hover | undefined {
  const found = findStatement(analysis, offset);
  if (found === undefined) return undefined;
  const [statement, span] = found;
  const shape = statementOutput(analysis, statement);
  const what =
    statement.kind === "residual"
      ? "residual: x + f(x)"
      : statement.kind === "gate"
        ? "gate: x · f(x)"
        : statement.kind === "frozen"
          ? "frozen: training keeps the weights of these layers, and of the blocks they call, as loaded; batchnorm uses its running statistics"
          : `${statement.kind === "join" ? statement.op.text : ""}: joins its branches`;
  return { span, contents: `${what}\n\noutput \`${formatShape(shape)}\`` };
}

function findStatement(analysis: Analysis, offset: number): [Statement, Span] | undefined {
  let found: [Statement, Span] | undefined;
  const visit = (statements: readonly Statement[]): void => {
    for (const statement of statements) {
      if (!contains(statement.span, offset)) continue;
      const span = statement.kind === "residual" || statement.kind === "gate" || statement.kind === "frozen" ? statement.keyword : statement.kind === "join" ? statement.op.span : undefined;
      if (span !== undefined && contains(span, offset)) found = [statement, span];
      for (const body of nestedBodies(statement)) visit(body.statements);
    }
  };
  for (const decl of analysis.compilation.program.declarations) if (decl.kind !== "train" && contains(decl.span, offset)) visit(decl.body.statements);
  return found;
}
