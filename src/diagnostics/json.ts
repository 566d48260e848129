// The machine-readable form of diagnostics: 0-based LSP positions, as `--json` prints them.

import type { Diagnostic, Span } from "./diagnostic.js";
import { LineIndex, type Position } from "../syntax/line-index.js";

export interface JsonRange {
  start: Position;
  end: Position;
}

export interface JsonDiagnostic {
  file: string;
  code: string;
  severity: string;
  message: string;
  range: JsonRange;
  related: { message: string; range: JsonRange }[];
  help?: string;
  fixes: { title: string; edits: { range: JsonRange; newText: string }[] }[];
}

export function toJsonDiagnostics(diagnostics: readonly Diagnostic[], file: string, text: string): JsonDiagnostic[] {
  const index = new LineIndex(text);
  const range = (span: Span): JsonRange => ({ start: index.position(span.start), end: index.position(span.end) });
  return diagnostics.map((d) => ({
    file,
    code: d.code,
    severity: d.severity,
    message: d.message,
    range: range(d.span),
    related: d.related.map((r) => ({ message: r.message, range: range(r.span) })),
    ...(d.help !== undefined ? { help: d.help } : {}),
    fixes: d.fixes.map((f) => ({ title: f.title, edits: f.edits.map((e) => ({ range: range(e.span), newText: e.newText })) })),
  }));
}
