// Renders diagnostics for people, in the style of rustc: a header with the code, the
// location, the source line with a caret under the span, related locations, and help.

import type { Diagnostic } from "./diagnostic.js";
import { LineIndex } from "../syntax/line-index.js";

export interface RenderOptions {
  color: boolean;
}

const ANSI = { red: "31", yellow: "33", blue: "34", cyan: "36", bold: "1" } as const;

export function renderDiagnostics(diagnostics: readonly Diagnostic[], file: string, text: string, options: RenderOptions): string {
  const index = new LineIndex(text);
  return diagnostics.map((d) => renderOne(d, file, index, options)).join("\n");
}

function renderOne(d: Diagnostic, file: string, index: LineIndex, { color }: RenderOptions): string {
  const paint = (code: string, s: string): string => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const severityColor = d.severity === "error" ? ANSI.red : ANSI.yellow;
  const start = index.position(d.span.start);
  const lines = [d.span, ...d.related.map((r) => r.span)].map((s) => index.position(s.start).line + 1);
  const gutter = String(Math.max(...lines)).length;
  const pad = " ".repeat(gutter);
  const bar = paint(ANSI.blue, "|");
  const out: string[] = [];
  out.push(`${paint(`${ANSI.bold};${severityColor}`, `${d.severity}[${d.code}]`)}${paint(ANSI.bold, `: ${d.message}`)}`);
  out.push(`${pad}${paint(ANSI.blue, "-->")} ${file}:${start.line + 1}:${start.character + 1}`);
  out.push(`${pad} ${bar}`);
  out.push(...frame(d.span, d.label ?? "", "^", severityColor));
  for (const related of d.related) {
    const at = index.position(related.span.start);
    out.push(`${pad}${paint(ANSI.blue, ":::")} ${file}:${at.line + 1}:${at.character + 1}`);
    out.push(...frame(related.span, related.message, "-", ANSI.blue));
  }
  if (d.help !== undefined) out.push(`${pad} ${paint(ANSI.blue, "=")} ${paint(ANSI.bold, "help")}: ${d.help}`);
  return out.join("\n") + "\n";

  function frame(span: { start: number; end: number }, label: string, mark: string, markColor: string): string[] {
    const from = index.position(span.start);
    const to = index.position(span.end);
    const lineText = index.lineText(from.line).replace(/\t/g, " ");
    const endCharacter = to.line === from.line ? to.character : lineText.length;
    const width = Math.max(1, endCharacter - from.character);
    const number = String(from.line + 1).padStart(gutter);
    const underline = " ".repeat(from.character) + mark.repeat(width);
    return [`${paint(ANSI.blue, number)} ${bar} ${lineText}`, `${pad} ${bar} ${paint(`${ANSI.bold};${markColor}`, underline)}${label ? " " + paint(`${ANSI.bold};${markColor}`, label) : ""}`];
  }
}

export function summarizeCounts(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.length - errors;
  const parts = [];
  if (errors) parts.push(`${errors} error${errors === 1 ? "" : "s"}`);
  if (warnings) parts.push(`${warnings} warning${warnings === 1 ? "" : "s"}`);
  return parts.join(", ");
}
