// Where the cursor is, grammatically, for completion and signature help. Text being typed
// is usually broken, so this reads the tokens before the cursor instead of the syntax
// tree: the open braces and brackets say which body or argument list the cursor is in,
// and the tokens of the current statement say what may come next.

import type { IToken, TokenType } from "chevrotain";
import type { Span } from "../diagnostics/diagnostic.js";
import * as T from "../syntax/lexer.js";

export type Place =
  /** Between declarations: `model`, `block`, `train`. */
  | { kind: "top" }
  /** After `train`: a model name. */
  | { kind: "train-model" }
  /** Where a statement starts, or after `->`: layers, blocks and (at the start) statement keywords. */
  | { kind: "statement"; inModel: boolean; afterArrow: boolean }
  /** Inside `concat { … }`: `branch`. */
  | { kind: "join-body" }
  /** A setting name in a `train` body. */
  | { kind: "train-setting"; given: string[] }
  /** The value of a training setting: `optimizer: |`, or an item of `metrics: [|`. */
  | { kind: "train-value"; setting: string }
  /** Inside `adam(|)`: its arguments. */
  | { kind: "train-arguments"; setting: string; choice: string; args: ArgumentPosition }
  /** The arguments of a layer or block call. */
  | { kind: "call-arguments"; callee: string; calleeSpan: Span; parenthesized: boolean; args: ArgumentPosition }
  /** After `from`: a tensor name. */
  | { kind: "tensor" }
  /** After `shortcut`. */
  | { kind: "shortcut" }
  /** After `global`. */
  | { kind: "global" }
  /** Any other expression: names in scope and functions. */
  | { kind: "expression" }
  /** Nowhere to complete: a comment, a string, a name being declared. */
  | { kind: "none" };

export interface ArgumentPosition {
  /** The index of the argument the cursor is in, counting from 0. */
  index: number;
  /** How many arguments before it were given by position. */
  positionalBefore: number;
  /** The names of the named arguments already given. */
  named: string[];
  /** Set when the cursor is in the value of a named argument: `kernel: |`. */
  name?: string;
  /** Whether the cursor is where a new argument starts (so its name may be typed). */
  atStart: boolean;
}

export interface CursorContext {
  /** The identifier under the cursor that a completion replaces (empty where none is typed yet). */
  word: Span;
  place: Place;
}

interface Frame {
  open: IToken;
  /** Index of the open token in the token list. */
  index: number;
  /** Index of the first token of the statement the frame was opened in. */
  statementStart: number;
}

const ENDS_VALUE: ReadonlySet<TokenType> = new Set([T.Identifier, T.NumberLiteral, T.StringLiteral, T.RParen, T.RBracket, T.True, T.False]);

const KEYWORD_STARTS = new Set(["repeat", "for", "if", "let", "expect", "input", "residual", "else"]);

export function cursorContext(text: string, offset: number): CursorContext {
  let wordStart = offset;
  while (wordStart > 0 && /[A-Za-z0-9_]/.test(text[wordStart - 1]!)) wordStart--;
  let wordEnd = offset;
  while (wordEnd < text.length && /[A-Za-z0-9_]/.test(text[wordEnd]!)) wordEnd++;
  const word = { start: wordStart, end: wordEnd };
  if (/^[0-9]/.test(text.slice(wordStart, wordEnd))) return { word, place: { kind: "none" } };
  const prefix = text.slice(0, wordStart);
  if (insideCommentOrString(prefix)) return { word, place: { kind: "none" } };
  const { tokens } = T.lex(prefix);
  return { word, place: classify(tokens) };
}

/** Whether the end of `prefix` is inside a comment or an unterminated string. */
function insideCommentOrString(prefix: string): boolean {
  const lineStart = prefix.lastIndexOf("\n") + 1;
  const line = prefix.slice(lineStart);
  // Scan the current line for `//` or an open quote outside strings.
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === "/" && line[i + 1] === "/") return true;
    else if (ch === "#") return true;
  }
  if (inString) return true;
  const open = prefix.lastIndexOf("/*");
  return open >= 0 && prefix.indexOf("*/", open + 2) < 0;
}

function classify(tokens: IToken[]): Place {
  const stack: Frame[] = [];
  let statementStart = 0;
  let declKind: string | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const type = token.tokenType;
    if (type === T.LBrace) {
      if (!stack.some((f) => f.open.tokenType === T.LBrace)) declKind = tokens[statementStart]?.image;
      dropBrackets(stack);
      stack.push({ open: token, index: i, statementStart });
      statementStart = i + 1;
    } else if (type === T.RBrace) {
      dropBrackets(stack);
      stack.pop();
      statementStart = i + 1;
    } else if (type === T.LParen || type === T.LBracket) {
      stack.push({ open: token, index: i, statementStart });
    } else if (type === T.RParen || type === T.RBracket) {
      const want = type === T.RParen ? T.LParen : T.LBracket;
      if (stack[stack.length - 1]?.open.tokenType === want) stack.pop();
    } else if (type === T.Newline) {
      dropBrackets(stack);
      statementStart = i + 1;
    }
  }
  const braces = stack.filter((f) => f.open.tokenType === T.LBrace);
  const brace = braces[braces.length - 1];
  const statement = tokens.slice(statementStart);
  if (brace === undefined) {
    if (statement.length === 0) return { kind: "top" };
    if (statement.length === 1 && statement[0]!.tokenType === T.Train) return { kind: "train-model" };
    return { kind: "none" };
  }
  const header = tokens.slice(brace.statementStart, brace.index);
  const inner = stack[stack.length - 1]!;
  if (declKind === "train") return trainPlace(tokens, statement, inner, braces.length);
  if (header.length === 1 && header[0]!.tokenType === T.Identifier && inner === brace) {
    return statement.length === 0 ? { kind: "join-body" } : { kind: "none" };
  }
  const inModel = declKind === "model";
  if (inner !== brace) {
    // Inside ( or [: the arguments of a call, or an expression.
    const before = tokens[inner.index - 1];
    if (inner.open.tokenType === T.LParen && before?.tokenType === T.Identifier && isCallName(tokens, inner.index - 1, statementStart)) {
      const calleeToken = before;
      const globalBefore = tokens[inner.index - 2]?.tokenType === T.Global;
      const callee = globalBefore ? `global_${calleeToken.image}` : calleeToken.image;
      return { kind: "call-arguments", callee, calleeSpan: spanOf(globalBefore ? tokens[inner.index - 2]! : calleeToken, calleeToken), parenthesized: true, args: argumentPosition(tokens.slice(inner.index + 1)) };
    }
    return { kind: "expression" };
  }
  if (statement.length === 0) return { kind: "statement", inModel, afterArrow: false };
  const last = statement[statement.length - 1]!;
  if (last.tokenType === T.Arrow) return { kind: "statement", inModel, afterArrow: true };
  if (last.tokenType === T.From) return { kind: "tensor" };
  if (last.tokenType === T.As) return { kind: "none" };
  if (last.tokenType === T.Shortcut) return { kind: "shortcut" };
  if (last.tokenType === T.Global) return { kind: "global" };
  const first = statement[0]!;
  if (KEYWORD_STARTS.has(first.image)) return keywordPlace(statement);
  // The current call: after the last `->`.
  let callStart = 0;
  for (let i = 0; i < statement.length; i++) if (statement[i]!.tokenType === T.Arrow) callStart = i + 1;
  const call = statement.slice(callStart);
  const nameIndex = call[0]?.tokenType === T.Global ? 1 : 0;
  const nameToken = call[nameIndex];
  if (nameToken === undefined || nameToken.tokenType !== T.Identifier) return { kind: "none" };
  const callee = nameIndex === 1 ? `global_${nameToken.image}` : nameToken.image;
  let argTokens = call.slice(nameIndex + 1);
  if (argTokens[0]?.tokenType === T.Comma) argTokens = argTokens.slice(1);
  if (argTokens.some((t) => t.tokenType === T.As)) return { kind: "none" };
  return { kind: "call-arguments", callee, calleeSpan: spanOf(call[0]!, nameToken), parenthesized: false, args: argumentPosition(argTokens) };
}

/** Closes the brackets left open on a line: a new line or brace ends them. */
function dropBrackets(stack: Frame[]): void {
  while (stack.length > 0 && stack[stack.length - 1]!.open.tokenType !== T.LBrace) stack.pop();
}

/** Whether the identifier at `index` names a layer or block (not a function such as `floor`). */
function isCallName(tokens: IToken[], index: number, statementStart: number): boolean {
  let at = index;
  if (tokens[at - 1]?.tokenType === T.Global) at--;
  if (at === statementStart) return true;
  return tokens[at - 1]?.tokenType === T.Arrow;
}

function keywordPlace(statement: IToken[]): Place {
  const first = statement[0]!.image;
  const has = (type: TokenType): boolean => statement.some((t) => t.tokenType === type);
  if (first === "for" && !has(T.In)) return { kind: "none" };
  if (first === "let" && !has(T.Equals)) return { kind: "none" };
  if (first === "input" && !has(T.Colon)) return { kind: "none" };
  return { kind: "expression" };
}

function trainPlace(tokens: IToken[], statement: IToken[], inner: Frame, braceDepth: number): Place {
  if (braceDepth > 1) return { kind: "none" };
  const given = settingNames(tokens, inner);
  if (statement.length === 0) return { kind: "train-setting", given };
  const setting = statement[0]!.image;
  if (statement[1]?.tokenType !== T.Colon) return { kind: "none" };
  if (inner.open.tokenType === T.LParen) {
    const choice = tokens[inner.index - 1];
    if (choice?.tokenType === T.Identifier) return { kind: "train-arguments", setting, choice: choice.image, args: argumentPosition(tokens.slice(inner.index + 1)) };
    return { kind: "none" };
  }
  if (inner.open.tokenType === T.LBracket) {
    const items = tokens.slice(inner.index + 1);
    const current = items.slice(lastIndexOf(items, T.Comma) + 1);
    return current.length === 0 ? { kind: "train-value", setting } : { kind: "none" };
  }
  return statement.length === 2 ? { kind: "train-value", setting } : { kind: "none" };
}

/** The settings already written in the train body the cursor is in. */
function settingNames(tokens: IToken[], frame: Frame): string[] {
  const names: string[] = [];
  for (let i = frame.index + 1; i < tokens.length - 1; i++) {
    if (tokens[i]!.tokenType === T.Identifier && tokens[i + 1]!.tokenType === T.Colon && (tokens[i - 1]!.tokenType === T.Newline || tokens[i - 1]!.tokenType === T.LBrace)) names.push(tokens[i]!.image);
  }
  return names;
}

/** Reads the argument tokens before the cursor: which argument it is in, and what is given. */
function argumentPosition(args: IToken[]): ArgumentPosition {
  const named: string[] = [];
  let positionalBefore = 0;
  let index = 0;
  let depth = 0;
  let current: IToken[] = [];
  const finish = (arg: IToken[]): void => {
    if (arg.length >= 2 && arg[0]!.tokenType === T.Identifier && arg[1]!.tokenType === T.Colon) named.push(arg[0]!.image);
    else if (arg.length > 0) positionalBefore++;
  };
  for (const token of args) {
    const type = token.tokenType;
    if (type === T.LParen || type === T.LBracket) depth++;
    else if (type === T.RParen || type === T.RBracket) depth--;
    if (type === T.Comma && depth === 0) {
      finish(current);
      current = [];
      index++;
      continue;
    }
    current.push(token);
  }
  if (current.length === 2 && current[0]!.tokenType === T.Identifier && current[1]!.tokenType === T.Colon) {
    return { index, positionalBefore, named, name: current[0]!.image, atStart: false };
  }
  if (current.length > 2 && current[0]!.tokenType === T.Identifier && current[1]!.tokenType === T.Colon) {
    return { index, positionalBefore, named, name: current[0]!.image, atStart: false };
  }
  // After a complete value and a space, a new word starts the next argument (a comma is missing).
  const last = current[current.length - 1];
  const afterValue = last !== undefined && depth === 0 && ENDS_VALUE.has(last.tokenType);
  return { index: afterValue ? index + 1 : index, positionalBefore: afterValue ? positionalBefore + 1 : positionalBefore, named, atStart: current.length === 0 || afterValue };
}

function lastIndexOf(tokens: IToken[], type: TokenType): number {
  for (let i = tokens.length - 1; i >= 0; i--) if (tokens[i]!.tokenType === type) return i;
  return -1;
}

function spanOf(first: IToken, last: IToken): Span {
  return { start: first.startOffset, end: last.startOffset + last.image.length };
}
