// The outline: each model, block and train declaration, the statements in its body, and
// the layers and block calls in each statement, with output shapes as details.

import { formatShape } from "../shape/shape.js";
import type { Span } from "../diagnostics/diagnostic.js";
import { sourceName } from "../ops/registry.js";
import type { Body, Statement } from "../syntax/ast.js";
import { statementOutput, type Analysis } from "./analysis.js";
import { blockSignature } from "./hover.js";
import { nestedBodies } from "./symbols.js";

export type OutlineKind = "model" | "block" | "train" | "layer" | "block-call" | "input" | "constant" | "statement" | "setting";

export interface OutlineSymbol {
  name: string;
  detail?: string;
  kind: OutlineKind;
  /** The whole construct. */
  span: Span;
  /** The part to select and reveal: its name. */
  selection: Span;
  children: OutlineSymbol[];
}

export function documentSymbols(analysis: Analysis): OutlineSymbol[] {
  const out: OutlineSymbol[] = [];
  for (const decl of analysis.compilation.program.declarations) {
    if (decl.kind === "train") {
      const name = decl.model.text === "" ? "train" : `train ${decl.model.text}`;
      const children = decl.entries.map((e): OutlineSymbol => ({ name: e.key.text || "?", detail: analysis.text.slice(e.value.span.start, e.value.span.end), kind: "setting", span: e.span, selection: e.key.span, children: [] }));
      out.push({ name, kind: "train", span: decl.span, selection: decl.model.text === "" ? decl.span : decl.model.span, children });
      continue;
    }
    out.push({
      name: decl.name.text || `(unnamed ${decl.kind})`,
      detail: blockSignature(analysis, decl),
      kind: decl.kind,
      span: decl.span,
      selection: decl.name.text === "" ? { start: decl.span.start, end: decl.span.start } : decl.name.span,
      children: bodySymbols(analysis, decl.body),
    });
  }
  // Top-level constants join the declarations, in source order.
  for (const constant of analysis.compilation.program.constants) {
    if (constant.name.text === "") continue;
    out.push({ name: constant.name.text, detail: analysis.text.slice(constant.value.span.start, constant.value.span.end), kind: "constant", span: constant.span, selection: constant.name.span, children: [] });
  }
  return out.sort((a, b) => a.span.start - b.span.start);
}

function bodySymbols(analysis: Analysis, body: Body): OutlineSymbol[] {
  const out: OutlineSymbol[] = [];
  for (const statement of body.statements) out.push(...statementSymbols(analysis, statement));
  return out;
}

function statementSymbols(analysis: Analysis, statement: Statement): OutlineSymbol[] {
  const keywordSpan = "keyword" in statement ? statement.keyword : statement.span;
  switch (statement.kind) {
    case "chain":
      return statement.calls.map((call) => {
        const facts = analysis.compilation.calls.get(call);
        return {
          name: sourceName(call.name.text) || "?",
          detail: facts?.output !== undefined ? formatShape(facts.output) : undefined,
          kind: facts?.kind === "block" ? "block-call" : "layer",
          span: call.span,
          selection: call.name.span,
          children: [],
        };
      });
    case "input":
      return [{ name: `input ${statement.name.text}`, detail: formatShape(statementOutput(analysis, statement)), kind: "input", span: statement.span, selection: statement.name.text === "" ? statement.span : statement.name.span, children: [] }];
    case "let":
      return [{ name: statement.name.text || "let", detail: analysis.text.slice(statement.value.span.start, statement.value.span.end), kind: "constant", span: statement.span, selection: statement.name.text === "" ? statement.span : statement.name.span, children: [] }];
    case "from":
    case "expect":
      return [];
    default: {
      const shape = statementOutput(analysis, statement);
      const name = statement.kind === "join" ? statement.op.text || "join" : statement.kind;
      const selection = statement.kind === "join" ? statement.op.span : keywordSpan;
      const children = nestedBodies(statement).flatMap((b) => bodySymbols(analysis, b));
      return [{ name: statement.binding ? `${name} as ${statement.binding.text}` : name, detail: shape !== undefined ? formatShape(shape) : undefined, kind: "statement", span: statement.span, selection, children }];
    }
  }
}
