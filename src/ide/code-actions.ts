// Code actions: the checker's fixes (insert `flatten`, add `shortcut auto`, did-you-mean
// renames, expected shapes) for the diagnostics that touch the requested range.

import type { Diagnostic, Span, TextEdit } from "../diagnostics/diagnostic.js";
import type { Analysis } from "./analysis.js";

export interface CodeAction {
  title: string;
  diagnostic: Diagnostic;
  edits: TextEdit[];
  /** Whether this is the one fix for its diagnostic, safe to apply without asking. */
  preferred: boolean;
}

export function codeActions(analysis: Analysis, range: Span): CodeAction[] {
  const actions: CodeAction[] = [];
  for (const diagnostic of analysis.compilation.diagnostics) {
    if (diagnostic.span.end < range.start || diagnostic.span.start > range.end) continue;
    for (const fix of diagnostic.fixes) actions.push({ title: fix.title, diagnostic, edits: fix.edits, preferred: diagnostic.fixes.length === 1 });
  }
  return actions;
}
