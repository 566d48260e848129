// Renders diagnostics for people, in the style of rustc: a header with the code, the
// location, the source line with a caret under the span, related locations, and help.
// A span in an imported file is shown with that file's name and line.

import type { Diagnostic, Span } from "./diagnostic.js";
import { LineIndex } from "./line-index.js";
import { displayName, fileAt, type SourceFile } from "./source-map.js";

export interface RenderOptions {
  color: boolean;
  /** The compilation's files, when it has imports; spans past the main text are looked up here. */
  sources?: readonly SourceFile[];
}

/**
 * Characters a terminal would act on instead of showing: C0 and C1 controls and DEL (which
 * can clear the screen, ring the bell or retitle the window) and the bidirectional
 * overrides and isolates (which can make a line read differently from what it is). A
 * message's own line breaks stay.
 */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text a terminal shows as written, as rustc does it: C0 controls and DEL become their
 * Control Pictures (ESC is `␛`), and the rest `\u{…}`; tabs stay (the excerpt turns them into spaces).
 */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (char) => {
    const code = char.charCodeAt(0);
    if (code < 0x20) return String.fromCharCode(0x2400 + code);
    if (code === 0x7f) return "\u2421";
    return `\\u{${code.toString(16)}}`;
  });
}

const ANSI = { red: "31", yellow: "33", blue: "34", cyan: "36", bold: "1" } as const;

/** A span resolved to the file that shows it: its name, its line index, and the span in its own offsets. */
interface Place {
  name: string;
  index: LineIndex;
  span: Span;
}

export function renderDiagnostics(diagnostics: readonly Diagnostic[], file: string, text: string, options: RenderOptions): string {
  const main: SourceFile = { path: undefined, name: file, text, base: 0 };
  const sources = options.sources !== undefined && options.sources.length > 1 ? options.sources : [main];
  const indexes = new Map<SourceFile, LineIndex>();
  const place = (span: Span): Place => {
    const source = fileAt(sources, span.start);
    let index = indexes.get(source);
    if (index === undefined) indexes.set(source, (index = new LineIndex(source.base === 0 ? text : source.text)));
    return { name: displayName(file, source), index, span: { start: span.start - source.base, end: span.end - source.base } };
  };
  return diagnostics.map((d) => renderOne(d, place, options)).join("\n");
}

function renderOne(d: Diagnostic, place: (span: Span) => Place, { color }: RenderOptions): string {
  const paint = (code: string, s: string): string => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const severityColor = d.severity === "error" ? ANSI.red : ANSI.yellow;
  const primary = place(d.span);
  const related = d.related.map((r) => ({ place: place(r.span), message: r.message }));
  const start = primary.index.position(primary.span.start);
  const lines = [primary, ...related.map((r) => r.place)].map((p) => p.index.position(p.span.start).line + 1);
  const gutter = String(Math.max(...lines)).length;
  const pad = " ".repeat(gutter);
  const bar = paint(ANSI.blue, "|");
  const out: string[] = [];
  out.push(`${paint(`${ANSI.bold};${severityColor}`, `${d.severity}[${d.code}]`)}${paint(ANSI.bold, `: ${terminalSafe(d.message)}`)}`);
  out.push(`${pad}${paint(ANSI.blue, "-->")} ${terminalSafe(primary.name)}:${start.line + 1}:${start.character + 1}`);
  out.push(`${pad} ${bar}`);
  out.push(...frame(primary, terminalSafe(d.label ?? ""), "^", severityColor));
  for (const { place: at, message } of related) {
    const position = at.index.position(at.span.start);
    out.push(`${pad}${paint(ANSI.blue, ":::")} ${terminalSafe(at.name)}:${position.line + 1}:${position.character + 1}`);
    out.push(...frame(at, terminalSafe(message), "-", ANSI.blue));
  }
  if (d.help !== undefined) out.push(`${pad} ${paint(ANSI.blue, "=")} ${paint(ANSI.bold, "help")}: ${terminalSafe(d.help)}`);
  return out.join("\n") + "\n";

  function frame({ index, span }: Place, label: string, mark: string, markColor: string): string[] {
    const from = index.position(span.start);
    const to = index.position(span.end);
    const raw = index.lineText(from.line).replace(/\t/g, " ");
    const endCharacter = to.line === from.line ? to.character : raw.length;
    // Columns are counted in the escaped line, where one character may take several.
    const lineText = terminalSafe(raw);
    const column = terminalSafe(raw.slice(0, from.character)).length;
    const width = Math.max(1, terminalSafe(raw.slice(from.character, endCharacter)).length);
    const number = String(from.line + 1).padStart(gutter);
    const underline = " ".repeat(column) + mark.repeat(width);
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
