// The formatter's printer, shared by `cnnc fmt`, the language server and the prettier
// plugin. It reprints the token stream rather than the syntax tree: every token and
// comment is kept, in order and with its own text, and only the space between them
// changes. Line breaks stay where the writer put them, because in .cnn a new line can end
// a statement; what changes is indentation (2 spaces per open brace or bracket, 2 more on
// a continued line), the spaces inside a line (`a -> b`, `name arg, key: value`,
// `f(x)`), and runs of blank lines (one at most, none just inside braces or at the ends).
// That keeps the model unchanged by construction, and the printer checks it: it refuses
// to return text whose tokens or statement breaks differ from the input's.

import type { IToken, TokenType } from "chevrotain";
import * as T from "../syntax/lexer.js";
import { parse } from "../syntax/parse.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";

export interface FormatOptions {
  /** Spaces per indentation level; 2 unless a caller such as prettier says otherwise. */
  indentWidth?: number;
}

export type FormatResult = { ok: true; text: string } | { ok: false; diagnostics: Diagnostic[] };

/** One thing the printer places: a token, a comment, or a semicolon the lexer turned into a line break. */
interface Item {
  start: number;
  end: number;
  text: string;
  kind: "token" | "comment" | "semicolon";
  type?: TokenType;
  /** Whether a statement ends in the gap before this item (a significant new line or `;`). */
  breakBefore: boolean;
  /** Line breaks in the gap before this item. */
  newlinesBefore: number;
  /** The whitespace before the item when it is on the same line as the previous one. */
  spaceBefore: string;
  /** The type of the token before this one, comments aside. */
  previousTokenType?: TokenType;
  /** Whether whitespace follows the item in the input. */
  spacedAfter: boolean;
}

const NO_SPACE_BEFORE: ReadonlySet<TokenType> = new Set([T.Comma, T.RParen, T.RBracket, T.Colon]);
const NO_SPACE_AFTER: ReadonlySet<TokenType> = new Set([T.LParen, T.LBracket]);
const ENDS_OPERAND: ReadonlySet<TokenType> = new Set([T.Identifier, T.NumberLiteral, T.StringLiteral, T.RParen, T.RBracket, T.True, T.False]);
const OPENERS: ReadonlySet<TokenType> = new Set([T.LBrace, T.LParen, T.LBracket]);
const CLOSERS: ReadonlySet<TokenType> = new Set([T.RBrace, T.RParen, T.RBracket]);

/** Problems that leave the parse a guess (or, for a file too large or too deep, undone). */
const SYNTAX_CODES: ReadonlySet<string> = new Set(["E0101", "E0102", "E0103", "E0104"]);

/**
 * Formats a .cnn text. Text with syntax errors is returned as the errors instead: where the
 * parser had to guess, reindenting could make a guess look like the writer's intent.
 */
export function formatText(text: string, options: FormatOptions = {}): FormatResult {
  const syntax = parse(text).diagnostics.filter((d) => SYNTAX_CODES.has(d.code));
  if (syntax.length > 0) return { ok: false, diagnostics: syntax };
  const printed = print(text, options.indentWidth ?? 2, /\r\n/.test(text) ? "\r\n" : "\n");
  const problem = compareStructure(text, printed);
  if (problem !== undefined) throw new Error(`the formatter would change the program (${problem}); this is a bug in cnnc`);
  return { ok: true, text: printed };
}

function items(text: string): Item[] {
  const lexed = T.lex(text);
  const significant = new Set<number>();
  const real: IToken[] = [];
  for (const token of lexed.tokens) {
    if (token.tokenType === T.Newline) significant.add(token.startOffset);
    else real.push(token);
  }
  const placed: { start: number; end: number; text: string; kind: Item["kind"]; type?: TokenType }[] = [
    ...real.map((t) => ({ start: t.startOffset, end: t.startOffset + t.image.length, text: t.image, kind: "token" as const, type: t.tokenType })),
    ...lexed.comments.map((c) => ({ start: c.startOffset, end: c.startOffset + c.image.length, text: c.image, kind: "comment" as const })),
  ].sort((a, b) => a.start - b.start);
  const out: Item[] = [];
  let position = 0;
  let pendingBreak = false;
  let previousTokenType: TokenType | undefined;
  const gap = (from: number, to: number): { newlines: number; space: string } => {
    const between = text.slice(from, to);
    const lastBreak = between.lastIndexOf("\n");
    return { newlines: (between.match(/\n/g) ?? []).length, space: between.slice(lastBreak + 1).replace(/[^ \t]/g, "") };
  };
  for (const item of placed) {
    // Semicolons sit in the gaps: the lexer reports them as line breaks.
    let from = position;
    for (let i = position; i < item.start; i++) {
      const ch = text[i];
      if (ch === "\n" && significant.has(i)) pendingBreak = true;
      if (ch !== ";") continue;
      const before = gap(from, i);
      out.push({ start: i, end: i + 1, text: ";", kind: "semicolon", breakBefore: pendingBreak, newlinesBefore: before.newlines, spaceBefore: before.space, previousTokenType, spacedAfter: true });
      pendingBreak = significant.has(i);
      from = i + 1;
    }
    const before = gap(from, item.start);
    out.push({ ...item, breakBefore: pendingBreak, newlinesBefore: before.newlines, spaceBefore: before.space, previousTokenType, spacedAfter: /[ \t\r\n]/.test(text[item.end] ?? "") });
    if (item.kind === "token") {
      pendingBreak = false;
      previousTokenType = item.type;
    }
    position = item.end;
  }
  return out;
}

/** Prints the items line by line; `eol` is the input's line ending (CRLF files stay CRLF). */
function print(text: string, indentWidth: number, eol: string): string {
  const list = items(text);
  const lines: string[] = [];
  let line = "";
  /** Open braces and brackets, with the output line each was opened on. */
  const open: { type: TokenType; line: number }[] = [];
  let previousToken: Item | undefined;
  /** Whether a statement break has happened since the last token (comments do not count). */
  let statementBroken = true;

  const indentFor = (index: number): number => {
    // Closers at the start of the line belong to the level they close.
    const stack = [...open];
    for (let i = index; i < list.length; i++) {
      const item = list[i]!;
      if (item.kind !== "token" || !CLOSERS.has(item.type!)) break;
      if (i > index && list[i]!.newlinesBefore > 0) break;
      stack.pop();
    }
    const levels = new Set(stack.map((s) => s.line)).size;
    const first = list[index]!;
    const innermost = stack[stack.length - 1];
    const insideBody = innermost === undefined || innermost.type === T.LBrace;
    const startsWithCloser = first.kind === "token" && CLOSERS.has(first.type!);
    const continued = !statementBroken && !first.breakBefore && previousToken !== undefined && insideBody && !startsWithCloser && previousToken.type !== T.LBrace;
    return levels + (continued ? 1 : 0);
  };

  for (let i = 0; i < list.length; i++) {
    const item = list[i]!;
    if (item.breakBefore) statementBroken = true;
    const startsLine = lines.length + line.length === 0 || item.newlinesBefore > 0;
    if (startsLine) {
      if (lines.length > 0 || line.length > 0) {
        lines.push(line.trimEnd());
        const blank = item.newlinesBefore >= 2 && !(previousItem(list, i)?.type === T.LBrace) && !(item.kind === "token" && item.type === T.RBrace);
        if (blank) lines.push("");
      }
      line = " ".repeat(indentWidth * indentFor(i)) + item.text;
    } else {
      line += spaceBetween(list[i - 1]!, item) + item.text;
    }
    if (item.kind === "token") {
      const type = item.type!;
      // An import's name list is a list, not a body: a line after a comma there is not a continued statement.
      if (OPENERS.has(type)) open.push({ type: type === T.LBrace && previousToken?.type === T.Import ? T.LBracket : type, line: lines.length });
      else if (CLOSERS.has(type)) open.pop();
      previousToken = item;
      statementBroken = false;
    } else if (item.kind === "semicolon") {
      statementBroken = true;
    }
  }
  if (line.length > 0 || lines.length > 0) lines.push(line.trimEnd());
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines.length === 0 ? "" : lines.join(eol) + eol;
}

function previousItem(list: Item[], index: number): Item | undefined {
  return index > 0 ? list[index - 1] : undefined;
}

/** The space between two items on one line. */
function spaceBetween(a: Item, b: Item): string {
  if (b.kind === "comment") return a.kind === "token" && b.text.startsWith("//") && b.spaceBefore.length > 0 ? b.spaceBefore.replace(/\t/g, " ") : " ";
  if (b.kind === "semicolon") return "";
  if (a.kind === "comment" || a.kind === "semicolon") return " ";
  const at = a.type!;
  const bt = b.type!;
  if (NO_SPACE_BEFORE.has(bt)) return "";
  if (NO_SPACE_AFTER.has(at)) return "";
  if (at === T.LBrace && bt === T.RBrace) return "";
  // A call's parentheses follow its name: `conv(64)`, `floor(x / 2)`; after a keyword, a space.
  if (bt === T.LParen && at === T.Identifier) return "";
  if (at === T.Minus && isUnaryMinus(a)) return "";
  return " ";
}

/**
 * Whether a `-` negates what follows rather than subtracting. After an operand it subtracts,
 * except after a layer name written `conv -1` (a space before the minus and none after),
 * which the parser reads as a negative argument.
 */
function isUnaryMinus(minus: Item): boolean {
  const previous = minus.previousTokenType;
  if (previous === undefined || !ENDS_OPERAND.has(previous)) return true;
  return previous === T.Identifier && minus.spaceBefore.length > 0 && !minus.spacedAfter;
}

/**
 * Compares what the parser sees in two texts: the same tokens with the same text, and the
 * same statement breaks between them. Returns what differs, or undefined.
 */
export function compareStructure(before: string, after: string): string | undefined {
  const shape = (text: string): string[] => {
    const lexed = T.lex(text);
    const out: string[] = [];
    for (const token of lexed.tokens) out.push(token.tokenType === T.Newline ? "⏎" : token.image);
    while (out[out.length - 1] === "⏎") out.pop();
    // Line ends (a lone CR too, which the comment token keeps) and the blanks before them are the printer's to choose.
    const comments = lexed.comments.map((c) => c.image.split(/\r\n|\r|\n/).map((line) => line.trimEnd()).join("\n").replace(/\n+$/, ""));
    return [...out, "§", ...comments];
  };
  const a = shape(before);
  const b = shape(after);
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return `item ${i}: ${JSON.stringify(a[i])} became ${JSON.stringify(b[i])}`;
  return undefined;
}
