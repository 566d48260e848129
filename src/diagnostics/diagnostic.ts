// Diagnostics are plain data: every phase appends them to a sink, and each front end
// (the CLI's text renderer, `--json`, the language server) converts them on the way out.

/** A half-open range of UTF-16 offsets into one source text. */
export interface Span {
  start: number;
  end: number;
}

export type Severity = "error" | "warning";

/** One text replacement that a fix applies. */
export interface TextEdit {
  span: Span;
  newText: string;
}

/** A suggested change that resolves the diagnostic when applied. */
export interface Fix {
  title: string;
  edits: TextEdit[];
}

/** "The other end" of a problem: where an incoming shape or a definition came from. */
export interface RelatedInfo {
  span: Span;
  message: string;
}

export interface Diagnostic {
  /** A stable code such as E0302; the catalogue in codes.ts explains each one. */
  code: string;
  severity: Severity;
  message: string;
  span: Span;
  /** Text printed under the caret; defaults to nothing. */
  label?: string;
  related: RelatedInfo[];
  /** One sentence that tells the user how to fix it. */
  help?: string;
  fixes: Fix[];
}

export function spanOf(start: number, end: number): Span {
  return { start, end: Math.max(start, end) };
}

/**
 * Collects diagnostics. A second report of the same message at the same span is dropped:
 * a mistake inside a block or loop body is reported once, however often the body runs.
 */
export class DiagnosticSink {
  readonly items: Diagnostic[] = [];
  private readonly seen = new Set<string>();
  /**
   * Where the checker is: the block calls and loop iterations around the code being checked,
   * innermost first. Appended to every diagnostic's related information.
   */
  context: readonly RelatedInfo[] = [];

  add(diagnostic: Diagnostic): void {
    const key = `${diagnostic.code}@${diagnostic.span.start}:${diagnostic.span.end}:${diagnostic.message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.items.push(this.context.length === 0 ? diagnostic : { ...diagnostic, related: [...diagnostic.related, ...this.context] });
  }

  get errorCount(): number {
    return this.items.filter((d) => d.severity === "error").length;
  }
}

export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) => a.span.start - b.span.start || a.span.end - b.span.end || a.code.localeCompare(b.code),
  );
}
