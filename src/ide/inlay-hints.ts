// Inlay hints: the output shape at the end of every line that ends with a layer or block
// call, and after the closing brace of a residual, gate or join. Shapes are those of the
// first time the line ran (the first call of a block, the first iteration of a loop).

import { formatShape } from "../shape/shape.js";
import type { Span } from "../diagnostics/diagnostic.js";
import type { Body, Statement } from "../syntax/ast.js";
import { formatCount, statementOutput, type Analysis } from "./analysis.js";
import { nestedBodies } from "./symbols.js";

export interface InlayHint {
  /** Where the hint is drawn: right after this offset. */
  offset: number;
  label: string;
  /** Markdown shown when the pointer rests on the hint. */
  tooltip?: string;
}

/** The hints whose offsets lie in `range` (the whole text when absent), in order. */
export function inlayHints(analysis: Analysis, range?: Span): InlayHint[] {
  const hints: InlayHint[] = [];
  const within = (offset: number): boolean => range === undefined || (range.start <= offset && offset <= range.end);
  const lineOf = (offset: number): number => analysis.lines.position(offset).line;

  const visitBody = (body: Body): void => {
    if (range !== undefined && (body.span.end < range.start || body.span.start > range.end)) return;
    for (const statement of body.statements) visitStatement(statement);
  };

  const visitStatement = (statement: Statement): void => {
    if (range !== undefined && (statement.span.end < range.start || statement.span.start > range.end)) return;
    if (statement.kind === "chain") {
      chainHints(statement);
      return;
    }
    for (const body of nestedBodies(statement)) visitBody(body);
    if (statement.kind === "residual" || statement.kind === "gate" || statement.kind === "join") {
      const shape = statementOutput(analysis, statement);
      const end = statement.binding?.span.end ?? statement.span.end;
      if (shape !== undefined && within(end)) hints.push({ offset: end, label: `→ ${formatShape(shape)}` });
    }
  };

  const chainHints = (statement: Extract<Statement, { kind: "chain" }>): void => {
    const calls = statement.calls;
    let groupStart = 0;
    for (let i = 0; i < calls.length; i++) {
      const call = calls[i]!;
      const next = calls[i + 1];
      // One hint per line: after the last call that ends on it.
      if (next !== undefined && lineOf(next.span.end) === lineOf(call.span.end)) continue;
      const group = calls.slice(groupStart, i + 1);
      groupStart = i + 1;
      const facts = analysis.compilation.calls.get(call);
      if (facts?.output === undefined) continue;
      const binding = statement.binding;
      const offset = next === undefined && binding !== undefined && lineOf(binding.span.end) === lineOf(call.span.end) ? binding.span.end : call.span.end;
      if (!within(offset)) continue;
      let params = 0;
      let macs = 0;
      for (const member of group) {
        const memberFacts = analysis.compilation.calls.get(member);
        params += (memberFacts?.params.trainable ?? 0) + (memberFacts?.params.nonTrainable ?? 0);
        macs += memberFacts?.macs ?? 0;
      }
      hints.push({ offset, label: `→ ${formatShape(facts.output, { sizes: facts.sizes })}`, tooltip: `this line: params ${formatCount(params)} · MACs ${formatCount(macs)}` });
    }
  };

  for (const decl of analysis.compilation.program.declarations) if (decl.kind !== "train") visitBody(decl.body);
  return hints.sort((a, b) => a.offset - b.offset);
}
