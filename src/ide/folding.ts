// Folding ranges: bodies and brackets that span lines, block comments, and runs of line
// comments. Lines are 0-based; a range folds the lines after `startLine` up to `endLine`.

import * as T from "../syntax/lexer.js";
import type { Analysis } from "./analysis.js";

export interface FoldingRange {
  startLine: number;
  endLine: number;
  kind?: "comment" | "region";
}

export function foldingRanges(analysis: Analysis): FoldingRange[] {
  const lineOf = (offset: number): number => analysis.lines.position(offset).line;
  const ranges: FoldingRange[] = [];
  const { tokens, comments } = T.lex(analysis.text);
  const open: number[] = [];
  for (const token of tokens) {
    const type = token.tokenType;
    if (type === T.LBrace || type === T.LParen || type === T.LBracket) open.push(lineOf(token.startOffset));
    else if (type === T.RBrace || type === T.RParen || type === T.RBracket) {
      const start = open.pop();
      // The closing line stays visible: fold up to the line before it.
      const end = lineOf(token.startOffset) - 1;
      if (start !== undefined && end > start) ranges.push({ startLine: start, endLine: end });
    }
  }
  let runStart = -1;
  let runEnd = -1;
  const flushRun = (): void => {
    if (runStart >= 0 && runEnd > runStart) ranges.push({ startLine: runStart, endLine: runEnd, kind: "comment" });
    runStart = -1;
  };
  for (const comment of comments) {
    const start = lineOf(comment.startOffset);
    const end = lineOf(comment.startOffset + comment.image.length);
    if (comment.image.startsWith("/*")) {
      flushRun();
      if (end > start) ranges.push({ startLine: start, endLine: end, kind: "comment" });
      continue;
    }
    const alone = analysis.lines.lineText(start).trimStart().startsWith("//");
    if (!alone) continue;
    if (runStart >= 0 && start === runEnd + 1) runEnd = start;
    else {
      flushRun();
      runStart = start;
      runEnd = start;
    }
  }
  flushRun();
  return ranges.sort((a, b) => a.startLine - b.startLine || a.endLine - b.endLine);
}
