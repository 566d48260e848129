// The machine-readable form of diagnostics: 0-based LSP positions, as `--json` prints them.
// `file` names the file the diagnostic's span lies in (an imported file's, when it does);
// a related note or fix edit in another file than its diagnostic carries its own `file`.

import type { Diagnostic, Span } from "./diagnostic.js";
import { LineIndex, type Position } from "./line-index.js";
import { displayName, fileAt, type SourceFile } from "./source-map.js";

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
  related: { file?: string; message: string; range: JsonRange }[];
  help?: string;
  fixes: { title: string; edits: { file?: string; range: JsonRange; newText: string }[] }[];
}

export function toJsonDiagnostics(diagnostics: readonly Diagnostic[], file: string, text: string, sources?: readonly SourceFile[]): JsonDiagnostic[] {
  const main: SourceFile = { path: undefined, name: file, text, base: 0 };
  const files = sources !== undefined && sources.length > 1 ? sources : [main];
  const indexes = new Map<SourceFile, LineIndex>();
  const place = (span: Span): { name: string; range: JsonRange } => {
    const source = fileAt(files, span.start);
    let index = indexes.get(source);
    if (index === undefined) indexes.set(source, (index = new LineIndex(source.base === 0 ? text : source.text)));
    return { name: displayName(file, source), range: { start: index.position(span.start - source.base), end: index.position(span.end - source.base) } };
  };
  return diagnostics.map((d) => {
    const primary = place(d.span);
    const elsewhere = (name: string): { file?: string } => (name === primary.name ? {} : { file: name });
    return {
      file: primary.name,
      code: d.code,
      severity: d.severity,
      message: d.message,
      range: primary.range,
      related: d.related.map((r) => {
        const at = place(r.span);
        return { ...elsewhere(at.name), message: r.message, range: at.range };
      }),
      ...(d.help !== undefined ? { help: d.help } : {}),
      fixes: d.fixes.map((f) => ({
        title: f.title,
        edits: f.edits.map((e) => {
          const at = place(e.span);
          return { ...elsewhere(at.name), range: at.range, newText: e.newText };
        }),
      })),
    };
  });
}
