// One checked document, as every editor feature sees it: the compiler's results plus the
// name index, built once per version of the text. Features are plain functions over an
// `Analysis` that take and return UTF-16 offsets; only the language server converts them
// to protocol positions.

import { compile, type Compilation } from "../compile.js";
import type { LayerNode, ModelGraph } from "../check/graph.js";
import type { Shape } from "../shape/shape.js";
import type { Span } from "../diagnostics/diagnostic.js";
import type { Body, ModelDecl, Statement } from "../syntax/ast.js";
import { LineIndex } from "../diagnostics/line-index.js";
import { buildSymbolIndex, type SymbolIndex } from "./symbols.js";

export interface Analysis {
  text: string;
  compilation: Compilation;
  lines: LineIndex;
  symbols: SymbolIndex;
}

export function analyze(text: string): Analysis {
  return analysisOf(compile(text));
}

/** An analysis of a compilation made elsewhere, such as by the incremental checker. */
export function analysisOf(compilation: Compilation): Analysis {
  const text = compilation.text;
  let symbols: SymbolIndex | undefined;
  let lines: LineIndex | undefined;
  return {
    text,
    compilation,
    // Both are built on first use: a keystroke that only needs diagnostics pays for neither.
    get lines() {
      return (lines ??= new LineIndex(text));
    },
    get symbols() {
      return (symbols ??= buildSymbolIndex(compilation.program, compilation.modules[0]?.imports ?? []));
    },
  };
}

export function contains(span: Span, offset: number): boolean {
  return span.start <= offset && offset <= span.end;
}

/** The model graph of a model declaration. */
export function graphOf(analysis: Analysis, decl: ModelDecl): ModelGraph | undefined {
  return analysis.compilation.models.find((m) => m.decl === decl);
}

/**
 * The shape a statement produces, from the first time it ran: the output of a chain's last
 * call, the input of an `input` line, or the node a residual, gate or join adds.
 */
export function statementOutput(analysis: Analysis, statement: Statement): Shape | undefined {
  switch (statement.kind) {
    case "chain": {
      const last = statement.calls[statement.calls.length - 1];
      return last === undefined ? undefined : analysis.compilation.calls.get(last)?.output;
    }
    case "input":
      return nodeAt(analysis, statement.span, "input")?.shape;
    case "residual":
      return nodeAt(analysis, statement.keyword, "residual")?.shape;
    case "gate":
      return nodeAt(analysis, statement.keyword, "gate")?.shape;
    case "join":
      return nodeAt(analysis, statement.op.span, "join")?.shape;
    case "repeat":
    case "for":
    case "frozen":
      return lastOutput(analysis, statement.body);
    case "if":
      return lastOutput(analysis, statement.then) ?? (statement.otherwise ? lastOutput(analysis, statement.otherwise) : undefined);
    default:
      return undefined;
  }
}

function lastOutput(analysis: Analysis, body: Body): Shape | undefined {
  for (let i = body.statements.length - 1; i >= 0; i--) {
    const statement = body.statements[i]!;
    if (statement.kind === "let" || statement.kind === "expect") continue;
    return statementOutput(analysis, statement);
  }
  return undefined;
}

/** The first graph node, in any model, that a span of the source produced in a given role. */
function nodeAt(analysis: Analysis, span: Span, role: LayerNode["role"]): LayerNode | undefined {
  for (const model of analysis.compilation.models) {
    for (const node of model.nodes) if (node.role === role && node.span.start === span.start && node.span.end === span.end) return node;
  }
  return undefined;
}

export function formatCount(n: number): string {
  // MACs over symbolic sizes are NaN: they depend on H and W.
  if (Number.isNaN(n)) return "(depends on the input size)";
  return n.toLocaleString("en-US");
}

/** The text of a span, for showing an expression as the user wrote it; the span may lie in an imported file. */
export function sourceText(analysis: Analysis, span: Span): string {
  if (span.end <= analysis.text.length) return analysis.text.slice(span.start, span.end);
  const { file, span: local } = analysis.compilation.locate(span);
  return file.text.slice(local.start, local.end);
}
