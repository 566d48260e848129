// Cursor markers for editor-feature tests, Langium-style: `<|>` marks the cursor in a
// snippet. The marker is removed and its offset returned.

import { analyze, type Analysis } from "../../src/ide/analysis.js";

export const CURSOR = "<|>";

export function withCursor(source: string): { text: string; offset: number; analysis: Analysis } {
  const offset = source.indexOf(CURSOR);
  if (offset < 0 || source.indexOf(CURSOR, offset + 1) >= 0) throw new Error("a snippet needs exactly one <|> marker");
  const text = source.slice(0, offset) + source.slice(offset + CURSOR.length);
  return { text, offset, analysis: analyze(text) };
}

/** The text with `⟦…⟧` around each span, for readable expectations of where spans fall. */
export function markSpans(text: string, spans: readonly { start: number; end: number }[]): string {
  const sorted = [...spans].sort((a, b) => b.start - a.start);
  let out = text;
  for (const span of sorted) out = out.slice(0, span.start) + "⟦" + out.slice(span.start, span.end) + "⟧" + out.slice(span.end);
  return out;
}
