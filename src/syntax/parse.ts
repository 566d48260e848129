// The parse phase: text in, a complete AST and its syntax diagnostics out. It never
// fails: broken input gives a tree with `missing` nodes and one diagnostic per problem.

import type { IToken, TokenType } from "chevrotain";
import { Block, DocComment, Import, LBrace, LBracket, Let, lex, LParen, Model, Newline, RBrace, RBracket, RParen, Semicolon, Train } from "./lexer.js";
import { parseCst } from "./parser.js";
import { AstBuilder } from "./build-ast.js";
import { fastParse } from "./fast-parse.js";
import type { Comment, Program } from "./ast.js";
import type { Diagnostic, Span } from "../diagnostics/diagnostic.js";
import { diagnostic, syntaxError, unexpectedCharacter } from "../diagnostics/codes.js";
import { formatLimit, LIMITS } from "../limits.js";

export interface ParseResult {
  program: Program;
  diagnostics: Diagnostic[];
}

/**
 * Parses one file. `base` is the file's offset in a multi-file compilation's source map:
 * every span in the result (tree, comments, diagnostics) is shifted by it, so spans from
 * different files never overlap. The main file has base 0.
 */
export function parse(text: string, base = 0): ParseResult {
  const { program, diagnostics } = parseAtZero(text);
  const result = { program, diagnostics };
  if (base !== 0) shiftSpans([result.program, result.diagnostics], base);
  return result;
}

/** The parse of a piece of a file, and whether it could differ inside the whole file. */
export interface RegionParseResult extends ParseResult {
  /** See `CstResult`: always false where the text has no syntax errors. */
  dependsOnSurroundings: { before: boolean; after: boolean };
}

/**
 * Parses one top-level region of a file (src/ide/incremental.ts) on its own, at offset 0.
 * The result is what parsing the whole file gives for these tokens unless
 * `dependsOnSurroundings` says otherwise.
 */
export function parseRegion(text: string): RegionParseResult {
  return parseAtZero(text);
}

/** Whether a piece of a file is refused or cut short says nothing about the whole file. */
const REFUSED = { before: true, after: true } as const;

/** A file that is not parsed (too large): no declarations, one diagnostic. */
function refused(text: string, problem: Diagnostic): RegionParseResult {
  const program = { declarations: [], imports: [], constants: [], comments: [], span: { start: 0, end: text.length } };
  return { program, diagnostics: [problem], dependsOnSurroundings: { ...REFUSED } };
}

const DECLARATION_KEYWORDS: ReadonlySet<TokenType> = new Set([Model, Block, Train, Let, Import]);

/**
 * Where the top-level declaration holding `deep` starts: the last declaration keyword that
 * begins a line outside any bracket or brace before it (0 when there is none).
 */
function declarationStart(tokens: readonly IToken[], deep: IToken): number {
  let depth = 0;
  let start = 0;
  let lineStart = true;
  for (const token of tokens) {
    if (token.startOffset >= deep.startOffset) break;
    const type = token.tokenType;
    if (depth === 0 && lineStart && DECLARATION_KEYWORDS.has(type)) start = token.startOffset;
    if (type === LParen || type === LBracket || type === LBrace) depth++;
    else if (type === RParen || type === RBracket || type === RBrace) depth = Math.max(0, depth - 1);
    lineStart = type === Newline || type === Semicolon;
  }
  return start;
}

/** Parses with the Chevrotain grammar even where the text has no errors: the reference test/fast-parse.test.ts holds the fast parser to. */
export function parseWithGrammar(text: string): ParseResult {
  const { program, diagnostics } = parseAtZero(text, false);
  return { program, diagnostics };
}

function parseAtZero(text: string, fastPath = true): RegionParseResult {
  if (text.length > LIMITS.fileSize) {
    return refused(text, diagnostic("E0104", { start: 0, end: 0 }, `the file has ${formatLimit(text.length)} characters, over the limit of ${formatLimit(LIMITS.fileSize)}`, { help: "split it into files that import each other" }));
  }
  const { tokens, comments: commentTokens, hashComments, errors: lexErrors, tooDeep } = lex(text);
  if (tooDeep !== undefined) {
    const span = { start: tooDeep.startOffset, end: tooDeep.startOffset + tooDeep.image.length };
    const problem = diagnostic("E0103", span, `this nests more than ${LIMITS.nesting} levels deep, the compiler's limit`, {
      label: `level ${LIMITS.nesting + 1}`,
      help: "brackets, braces and each operator of an expression count one level: name parts of the expression with `let`, or move inner bodies into blocks",
    });
    // The declarations before the over-deep one are parsed as if the file ended there, so an
    // editor still has their symbols, hovers and checks; the rest of the file is not read.
    const before = parseAtZero(text.slice(0, declarationStart(tokens, tooDeep)), fastPath);
    return { program: { ...before.program, span: { start: 0, end: text.length } }, diagnostics: [...before.diagnostics, problem], dependsOnSurroundings: { ...REFUSED } };
  }
  const diagnostics: Diagnostic[] = lexErrors.map((e) => unexpectedCharacter(e.offset, e.length, e.text));
  for (const hash of hashComments) {
    const span = { start: hash.startOffset, end: hash.startOffset + 1 };
    diagnostics.push(diagnostic("E0102", span, "`#` does not start a comment in .cnn files", { help: "use `//` for comments", fixes: [{ title: "Use `//`", edits: [{ span, newText: "//" }] }] }));
  }
  const comments: Comment[] = commentTokens.map((t) => ({
    text: t.image,
    span: { start: t.startOffset, end: t.startOffset + t.image.length },
    doc: t.tokenType === DocComment,
  }));
  const docs = docCommentsByFollowingOffset(commentTokens, tokens, text);
  const fast = fastPath ? fastParse(tokens, docs, text.length, comments) : undefined;
  if (fast !== undefined) return { program: fast, diagnostics, dependsOnSurroundings: { before: false, after: false } };
  const { program, dependsOnSurroundings } = parseWithRecovery(tokens, docs, text, comments, diagnostics);
  return { program, diagnostics, dependsOnSurroundings };
}

/** The Chevrotain grammar with its error recovery, for text with syntax errors; adds them to `diagnostics`. */
function parseWithRecovery(tokens: IToken[], docs: Map<number, string>, text: string, comments: Comment[], diagnostics: Diagnostic[]): { program: Program; dependsOnSurroundings: RegionParseResult["dependsOnSurroundings"] } {
  const { cst, errors, dependsOnSurroundings } = parseCst(tokens);
  for (const error of errors) diagnostics.push(syntaxError(error.message, errorSpan(error.token, error.previous, text)));
  const builder = new AstBuilder(docs);
  const program = builder.program(cst, text.length, comments);
  diagnostics.push(...builder.diagnostics);
  return { program, dependsOnSurroundings };
}

/** Where to put the caret for a parse error: on the token, or just after the previous one at the end of input. */
function errorSpan(token: IToken, previous: IToken | undefined, text: string): { start: number; end: number } {
  if (!Number.isNaN(token.startOffset) && token.image !== "" && token.image !== "\n") {
    return { start: token.startOffset, end: token.startOffset + token.image.length };
  }
  if (!Number.isNaN(token.startOffset) && token.image === "\n") return { start: token.startOffset, end: token.startOffset };
  const after = previous && !Number.isNaN(previous.startOffset) ? previous.startOffset + previous.image.length : text.length;
  return { start: after, end: after };
}

/**
 * Maps the offset of the first token after a run of `///` lines to the run's text, so the
 * AST builder can attach documentation to the declaration or statement that follows.
 */
function docCommentsByFollowingOffset(comments: IToken[], tokens: IToken[], text: string): Map<number, string> {
  const docs = new Map<number, string>();
  let run: string[] = [];
  let runEnd = -1;
  let tokenIndex = 0;
  for (const comment of comments) {
    if (comment.tokenType !== DocComment) continue;
    const start = comment.startOffset;
    if (run.length > 0 && !adjacentLines(text, runEnd, start)) run = [];
    run.push(comment.image.slice(3).replace(/^ /, ""));
    runEnd = start + comment.image.length;
    while (tokenIndex < tokens.length && tokens[tokenIndex]!.startOffset < runEnd) tokenIndex++;
    let next = tokenIndex;
    while (next < tokens.length && tokens[next]!.image === "\n") next++;
    const following = tokens[next];
    if (following !== undefined && adjacentLines(text, runEnd, following.startOffset)) docs.set(following.startOffset, run.join("\n"));
  }
  return docs;
}

/** Whether only blanks and at most one line break separate two offsets: a blank line ends a doc comment. */
function adjacentLines(text: string, from: number, to: number): boolean {
  return /^[ \t\r]*\n?[ \t\r]*$/.test(text.slice(from, to));
}

/**
 * Calls `fn` once for every distinct span object reachable from a value: objects with
 * exactly `start` and `end`.
 */
export function forEachSpan(root: unknown, fn: (span: Span) => void): void {
  const visited = new Set<object>();
  const visit = (value: unknown): void => {
    if (value === null || typeof value !== "object" || visited.has(value)) return;
    visited.add(value);
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
      return;
    }
    const record = value as Record<string, unknown>;
    if (typeof record["start"] === "number" && typeof record["end"] === "number" && Object.keys(record).length === 2) {
      fn(value as Span);
      return;
    }
    for (const key in record) visit(record[key]);
  };
  visit(root);
}

/** Adds `delta` to every span in a tree; a span object shared by two nodes is shifted once. */
function shiftSpans(root: unknown, delta: number): void {
  forEachSpan(root, (span) => {
    span.start += delta;
    span.end += delta;
  });
}
