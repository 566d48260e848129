// The lexer: Chevrotain tokens plus one pass that decides which newlines end statements.
//
// Newlines separate statements, but a newline inside brackets or parentheses, after a
// token that cannot end an expression (`->`, `,`, `:`, `=`, an operator) or before a
// leading `->` continues the statement instead. Deciding that here keeps the grammar free
// of whitespace rules.

import type { IToken, TokenType } from "./chevrotain.js";
import { LIMITS } from "../limits.js";

/**
 * Chevrotain's `Lexer.NA` and `Lexer.SKIPPED` by meaning: a token kind no text matches (a
 * category), and the group of text the lexer drops. The token kinds are made here, not by
 * Chevrotain's `createToken`, so that start-up does not load Chevrotain (≈ 230 KB): only a
 * file with a syntax error needs its parser, which takes these objects as they are and
 * completes them (`tokenTypeIdx`, category maps) when it is first built.
 * test/syntax/lexer.test.ts builds Chevrotain's own lexer from them.
 */
export const NOT_APPLICABLE = /NOT_APPLICABLE/;
export const SKIPPED = "skipped";

interface TokenConfig {
  name: string;
  pattern: RegExp;
  label?: string;
  categories?: TokenType[];
  longer_alt?: TokenType;
  group?: string;
  line_breaks?: boolean;
}

function createToken(config: TokenConfig): TokenType {
  const type: TokenType = { name: config.name, PATTERN: config.pattern, CATEGORIES: config.categories ?? [] };
  if (config.label !== undefined) type.LABEL = config.label;
  if (config.longer_alt !== undefined) type.LONGER_ALT = config.longer_alt;
  if (config.group !== undefined) type.GROUP = config.group;
  if (config.line_breaks !== undefined) type.LINE_BREAKS = config.line_breaks;
  // Chevrotain picks its category-aware token matcher only when some kind already lists
  // the kinds in its category (`categoryMatches`); it recomputes the list when it builds the parser.
  for (const category of type.CATEGORIES ?? []) ((category as { categoryMatches?: unknown[] }).categoryMatches ??= []).push(config.name);
  return type;
}

/**
 * Where the grammar declares a name (a parameter, a constant, `as NAME`), it accepts any
 * word, keywords included, so that `as input` is one clear error instead of the start of
 * an `input` statement; the AST builder reports keywords used as names.
 */
export const Word = createToken({ name: "Word", pattern: NOT_APPLICABLE, label: "a name" });
export const Identifier = createToken({ name: "Identifier", pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: "a name", categories: [Word] });

/** Every binary operator, so the grammar can take them as one token kind. */
export const BinaryOperator = createToken({ name: "BinaryOperator", pattern: NOT_APPLICABLE, label: "an operator" });

function keyword(word: string, ...categories: TokenType[]): TokenType {
  return createToken({ name: word[0]!.toUpperCase() + word.slice(1), pattern: new RegExp(word), longer_alt: Identifier, label: `\`${word}\``, categories: [Word, ...categories] });
}

export const Model = keyword("model");
export const Block = keyword("block");
export const Train = keyword("train");
export const Input = keyword("input");
export const Repeat = keyword("repeat");
export const For = keyword("for");
export const In = keyword("in");
export const Residual = keyword("residual");
export const Shortcut = keyword("shortcut");
export const Gate = keyword("gate");
export const Frozen = keyword("frozen");
export const Branch = keyword("branch");
export const If = keyword("if");
export const Else = keyword("else");
export const Let = keyword("let");
export const As = keyword("as");
export const From = keyword("from");
export const Expect = keyword("expect");
export const Global = keyword("global");
export const And = keyword("and", BinaryOperator);
export const Or = keyword("or", BinaryOperator);
export const Not = keyword("not");
export const True = keyword("true");
export const False = keyword("false");
export const Import = keyword("import");

export const KEYWORDS = [
  Model, Block, Train, Input, Repeat, For, In, Residual, Shortcut, Gate, Frozen, Branch, If, Else,
  Let, As, From, Expect, Global, And, Or, Not, True, False, Import,
];

export const KEYWORD_TEXTS: ReadonlySet<string> = new Set(KEYWORDS.map((k) => (k.PATTERN as RegExp).source));

export const DocComment = createToken({ name: "DocComment", pattern: /\/\/\/[^\n]*/, group: "comments" });
export const LineComment = createToken({ name: "LineComment", pattern: /\/\/[^\n]*/, group: "comments" });
export const BlockComment = createToken({ name: "BlockComment", pattern: /\/\*[\s\S]*?\*\//, group: "comments", line_breaks: true });
/** `#` is a comment in Python, Darknet cfg and YAML; here it is an error with a fix, skipped to the end of the line. */
export const HashComment = createToken({ name: "HashComment", pattern: /#[^\n]*/, group: "invalid" });
/** A semicolon separates statements like a new line. */
export const Semicolon = createToken({ name: "Semicolon", pattern: /;/, label: "`;`" });
export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r\f\v\u00a0\ufeff]+/, group: SKIPPED });
export const Newline = createToken({ name: "Newline", pattern: /\n/, line_breaks: true, label: "a new line" });

export const Arrow = createToken({ name: "Arrow", pattern: /->/, label: "`->`" });
export const LBrace = createToken({ name: "LBrace", pattern: /\{/, label: "`{`" });
export const RBrace = createToken({ name: "RBrace", pattern: /\}/, label: "`}`" });
export const LParen = createToken({ name: "LParen", pattern: /\(/, label: "`(`" });
export const RParen = createToken({ name: "RParen", pattern: /\)/, label: "`)`" });
export const LBracket = createToken({ name: "LBracket", pattern: /\[/, label: "`[`" });
export const RBracket = createToken({ name: "RBracket", pattern: /\]/, label: "`]`" });
export const Comma = createToken({ name: "Comma", pattern: /,/, label: "`,`" });
export const Colon = createToken({ name: "Colon", pattern: /:/, label: "`:`" });
export const EqEq = createToken({ name: "EqEq", pattern: /==/, label: "`==`", categories: [BinaryOperator] });
export const NotEq = createToken({ name: "NotEq", pattern: /!=/, label: "`!=`", categories: [BinaryOperator] });
export const LtEq = createToken({ name: "LtEq", pattern: /<=/, label: "`<=`", categories: [BinaryOperator] });
export const GtEq = createToken({ name: "GtEq", pattern: />=/, label: "`>=`", categories: [BinaryOperator] });
export const Lt = createToken({ name: "Lt", pattern: /</, label: "`<`", categories: [BinaryOperator] });
export const Gt = createToken({ name: "Gt", pattern: />/, label: "`>`", categories: [BinaryOperator] });
export const Equals = createToken({ name: "Equals", pattern: /=/, label: "`=`" });
export const Plus = createToken({ name: "Plus", pattern: /\+/, label: "`+`", categories: [BinaryOperator] });
export const Minus = createToken({ name: "Minus", pattern: /-/, label: "`-`", categories: [BinaryOperator] });
export const Star = createToken({ name: "Star", pattern: /\*/, label: "`*`", categories: [BinaryOperator] });
export const Slash = createToken({ name: "Slash", pattern: /\//, label: "`/`", categories: [BinaryOperator] });
export const Percent = createToken({ name: "Percent", pattern: /%/, label: "`%`", categories: [BinaryOperator] });
export const NumberLiteral = createToken({
  name: "NumberLiteral",
  pattern: /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/,
  label: "a number",
});
export const StringLiteral = createToken({ name: "StringLiteral", pattern: /"(?:[^"\\\n]|\\.)*"/, label: "a string" });

export const ALL_TOKENS: TokenType[] = [
  WhiteSpace, Newline, Semicolon, DocComment, LineComment, BlockComment, HashComment,
  Arrow, LBrace, RBrace, LParen, RParen, LBracket, RBracket, Comma, Colon,
  EqEq, NotEq, LtEq, GtEq, Lt, Gt, Equals, Plus, Minus, Star, Slash, Percent,
  NumberLiteral, StringLiteral,
  ...KEYWORDS, Identifier, Word, BinaryOperator,
];


export interface LexError {
  offset: number;
  length: number;
  text: string;
}

export interface LexResult {
  tokens: IToken[];
  comments: IToken[];
  /** `#` comments: reported, then ignored. */
  hashComments: IToken[];
  errors: LexError[];
  /** The first token that nests deeper than `LIMITS.nesting` (E0103); the file is not parsed then. */
  tooDeep?: IToken;
}

/** Tokens after which a newline continues the statement instead of ending it. */
const CONTINUES_AFTER: ReadonlySet<TokenType> = new Set([
  Arrow, Comma, Colon, Equals, EqEq, NotEq, LtEq, GtEq, Lt, Gt, Plus, Minus, Star, Slash, Percent, And, Or, Not,
]);

export function lex(text: string): LexResult {
  const scanned = scan(text);
  const tokens = significantNewlines(scanned.tokens);
  const tooDeep = firstTooDeep(tokens);
  return { tokens, comments: scanned.comments, hashComments: scanned.hashComments, errors: scanned.errors, ...(tooDeep ? { tooDeep } : {}) };
}

const KEYWORD_BY_TEXT: ReadonlyMap<string, TokenType> = new Map(KEYWORDS.map((k) => [(k.PATTERN as RegExp).source, k]));
const NUMBER = new RegExp((NumberLiteral.PATTERN as RegExp).source, "y");
const STRING = new RegExp((StringLiteral.PATTERN as RegExp).source, "y");
const SINGLE: ReadonlyMap<string, TokenType> = new Map([
  ["\n", Newline], [";", Semicolon], ["{", LBrace], ["}", RBrace], ["(", LParen], [")", RParen], ["[", LBracket], ["]", RBracket],
  [",", Comma], [":", Colon], ["+", Plus], ["*", Star], ["%", Percent],
]);
/** Operators that are one token alone and another with `=` (or `>`) after them. */
const PAIRED: ReadonlyMap<string, [TokenType | undefined, string, TokenType]> = new Map([
  ["=", [Equals, "=", EqEq]], ["!", [undefined, "=", NotEq]], ["<", [Lt, "=", LtEq]], [">", [Gt, "=", GtEq]], ["-", [Minus, ">", Arrow]],
]);

function isWhiteSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 13 || code === 12 || code === 11 || code === 0xa0 || code === 0xfeff;
}

function isWordStart(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || code === 95;
}

function isWordPart(code: number): boolean {
  return isWordStart(code) || (code >= 48 && code <= 57);
}

/**
 * The token that starts at `offset` and its length, or undefined where none does. It
 * takes the first of ALL_TOKENS whose pattern matches there, as Chevrotain's lexer does
 * (a keyword gives way to a longer name); test/syntax/lexer.test.ts holds it to that
 * lexer. Hand-written because building Chevrotain's lexer took 40 ms of every start-up.
 */
function tokenAt(text: string, offset: number): [TokenType, number] | undefined {
  const ch = text[offset]!;
  const code = text.charCodeAt(offset);
  if (isWhiteSpace(code)) {
    let end = offset + 1;
    while (end < text.length && isWhiteSpace(text.charCodeAt(end))) end++;
    return [WhiteSpace, end - offset];
  }
  const single = SINGLE.get(ch);
  if (single !== undefined) return [single, 1];
  if (isWordStart(code)) {
    let end = offset + 1;
    while (end < text.length && isWordPart(text.charCodeAt(end))) end++;
    return [KEYWORD_BY_TEXT.get(text.slice(offset, end)) ?? Identifier, end - offset];
  }
  if (ch === "/") {
    const next = text[offset + 1];
    if (next === "/") return [text[offset + 2] === "/" ? DocComment : LineComment, lineEnd(text, offset) - offset];
    if (next === "*") {
      const close = text.indexOf("*/", offset + 2);
      if (close >= 0) return [BlockComment, close + 2 - offset];
    }
    return [Slash, 1];
  }
  if (ch === "#") return [HashComment, lineEnd(text, offset) - offset];
  const paired = PAIRED.get(ch);
  if (paired !== undefined) {
    const [alone, second, together] = paired;
    if (text[offset + 1] === second) return [together, 2];
    return alone === undefined ? undefined : [alone, 1];
  }
  const pattern = ch === "\"" ? STRING : (code >= 48 && code <= 57) || ch === "." ? NUMBER : undefined;
  if (pattern === undefined) return undefined;
  pattern.lastIndex = offset;
  const match = pattern.exec(text);
  return match === null ? undefined : [pattern === STRING ? StringLiteral : NumberLiteral, match[0].length];
}

function lineEnd(text: string, offset: number): number {
  const end = text.indexOf("\n", offset);
  return end < 0 ? text.length : end;
}

function token(text: string, start: number, length: number, type: TokenType): IToken {
  return { image: text.slice(start, start + length), startOffset: start, endOffset: start + length - 1, tokenTypeIdx: type.tokenTypeIdx as number, tokenType: type };
}

/** Splits text into tokens, comments and errors; an error is a run of characters no token starts at. */
function scan(text: string): { tokens: IToken[]; comments: IToken[]; hashComments: IToken[]; errors: LexError[] } {
  const tokens: IToken[] = [];
  const comments: IToken[] = [];
  const hashComments: IToken[] = [];
  const errors: LexError[] = [];
  let offset = 0;
  while (offset < text.length) {
    const found = tokenAt(text, offset);
    if (found === undefined) {
      const start = offset;
      do offset++;
      while (offset < text.length && tokenAt(text, offset) === undefined);
      errors.push({ offset: start, length: offset - start, text: text.slice(start, offset) });
      continue;
    }
    const [type, length] = found;
    if (type === DocComment || type === LineComment || type === BlockComment) comments.push(token(text, offset, length, type));
    else if (type === HashComment) hashComments.push(token(text, offset, length, type));
    else if (type !== WhiteSpace) tokens.push(token(text, offset, length, type));
    offset += length;
  }
  return { tokens, comments, hashComments, errors };
}

/**
 * The first token past the nesting limit, found in one pass over the tokens so that no
 * later phase (parser, AST builder, checker, formatter, editor features) ever recurses
 * deeper than the limit, whatever their implementation. Each open bracket or brace is a
 * level, and so is each operator of the expression it is in (`- - x`, `a + b + c`,
 * `a if c else b if d else e` nest without brackets); a comma or a statement's end starts
 * a new expression at that level.
 */
function firstTooDeep(tokens: readonly IToken[]): IToken | undefined {
  // One entry per open level (the file itself is the first): its opener and the operators counted there.
  const levels: { opener?: TokenType; operators: number }[] = [{ operators: 0 }];
  let depth = 0;
  const close = (): void => {
    if (levels.length > 1) depth -= 1 + levels.pop()!.operators;
  };
  for (const token of tokens) {
    const type = token.tokenType;
    const level = levels[levels.length - 1]!;
    if (type === LBrace || type === RBrace) {
      // A brace starts or ends a body: brackets left open before it end there, as the newline pass assumes.
      while (levels.length > 1 && levels[levels.length - 1]!.opener !== LBrace) close();
      if (type === RBrace) close();
    }
    if (type === LParen || type === LBracket || type === LBrace) {
      levels.push({ opener: type, operators: 0 });
      depth++;
    } else if (type === RParen || type === RBracket) {
      if (level.opener === LParen || level.opener === LBracket) close();
    } else if (type === Comma || type === Newline) {
      depth -= level.operators;
      level.operators = 0;
    } else if (NESTING_OPERATORS.has(type)) {
      level.operators++;
      depth++;
    }
    if (depth > LIMITS.nesting) return token;
  }
  return undefined;
}

/** Tokens that nest the expression after them one level deeper. */
const NESTING_OPERATORS: ReadonlySet<TokenType> = new Set([If, Not, And, Or, EqEq, NotEq, LtEq, GtEq, Lt, Gt, Plus, Minus, Star, Slash, Percent]);


/**
 * The opening brackets that are closed before the next brace or the end of the input. An
 * unclosed `(` must not swallow the lines after it, so only these suppress newlines.
 */
function closedBrackets(raw: IToken[]): Set<IToken> {
  const closed = new Set<IToken>();
  const stack: IToken[] = [];
  // Where each kind of opener sits in `stack`, so finding the innermost one is not a scan:
  // thousands of unclosed brackets must not make lexing quadratic.
  const positions = new Map<TokenType, number[]>([[LParen, []], [LBracket, []]]);
  const truncate = (length: number): void => {
    stack.length = length;
    for (const list of positions.values()) while (list.length > 0 && list[list.length - 1]! >= length) list.pop();
  };
  for (const token of raw) {
    const type = token.tokenType;
    if (type === LParen || type === LBracket) {
      positions.get(type)!.push(stack.length);
      stack.push(token);
    } else if (type === RParen || type === RBracket) {
      const index = positions.get(type === RParen ? LParen : LBracket)!.at(-1);
      if (index !== undefined) {
        closed.add(stack[index]!);
        truncate(index);
      }
    } else if (type === LBrace || type === RBrace) truncate(0);
  }
  return closed;
}

function significantNewlines(raw: IToken[]): IToken[] {
  const out: IToken[] = [];
  const closed = closedBrackets(raw);
  const open: IToken[] = [];
  let depth = 0;
  for (let i = 0; i < raw.length; i++) {
    let token = raw[i]!;
    if (token.tokenType === Semicolon) token = { ...token, tokenType: Newline, tokenTypeIdx: Newline.tokenTypeIdx as number };
    const type = token.tokenType;
    if ((type === LParen || type === LBracket) && closed.has(token)) {
      open.push(token);
      depth++;
    } else if ((type === RParen || type === RBracket) && depth > 0 && open[open.length - 1]?.tokenType === (type === RParen ? LParen : LBracket)) {
      open.pop();
      depth--;
    }
    // A brace starts a body whose newlines matter again, even inside an argument list.
    else if (type === LBrace || type === RBrace) {
      depth = 0;
      open.length = 0;
    }
    if (type !== Newline) {
      out.push(token);
      continue;
    }
    const previous = out[out.length - 1];
    if (depth > 0 || previous === undefined || previous.tokenType === Newline) continue;
    if (CONTINUES_AFTER.has(previous.tokenType)) continue;
    const next = nextSignificant(raw, i + 1);
    if (next !== undefined && next.tokenType === Arrow) continue;
    out.push(token);
  }
  return out;
}

function nextSignificant(raw: IToken[], from: number): IToken | undefined {
  for (let i = from; i < raw.length; i++) if (raw[i]!.tokenType !== Newline) return raw[i];
  return undefined;
}
