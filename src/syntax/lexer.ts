// The lexer: Chevrotain tokens plus one pass that decides which newlines end statements.
//
// Newlines separate statements, but a newline inside brackets or parentheses, after a
// token that cannot end an expression (`->`, `,`, `:`, `=`, an operator) or before a
// leading `->` continues the statement instead. Deciding that here keeps the grammar free
// of whitespace rules.

import { createToken, Lexer, type IToken, type TokenType } from "./chevrotain.js";

/**
 * Where the grammar declares a name (a parameter, a constant, `as NAME`), it accepts any
 * word, keywords included, so that `as input` is one clear error instead of the start of
 * an `input` statement; the AST builder reports keywords used as names.
 */
export const Word = createToken({ name: "Word", pattern: Lexer.NA, label: "a name" });
export const Identifier = createToken({ name: "Identifier", pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: "a name", categories: [Word] });

/** Every binary operator, so the grammar can take them as one token kind. */
export const BinaryOperator = createToken({ name: "BinaryOperator", pattern: Lexer.NA, label: "an operator" });

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
export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r\f\v\u00a0\ufeff]+/, group: Lexer.SKIPPED });
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
}

/** Tokens after which a newline continues the statement instead of ending it. */
const CONTINUES_AFTER: ReadonlySet<TokenType> = new Set([
  Arrow, Comma, Colon, Equals, EqEq, NotEq, LtEq, GtEq, Lt, Gt, Plus, Minus, Star, Slash, Percent, And, Or, Not,
]);

export function lex(text: string): LexResult {
  const { tokens, comments, hashComments, errors } = scan(text);
  return { tokens: significantNewlines(tokens), comments, hashComments, errors };
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
  return { image: text.slice(start, start + length), startOffset: start, endOffset: start + length - 1, tokenTypeIdx: type.tokenTypeIdx!, tokenType: type };
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
 * The opening brackets that are closed before the next brace or the end of the input. An
 * unclosed `(` must not swallow the lines after it, so only these suppress newlines.
 */
function closedBrackets(raw: IToken[]): Set<IToken> {
  const closed = new Set<IToken>();
  let stack: IToken[] = [];
  for (const token of raw) {
    const type = token.tokenType;
    if (type === LParen || type === LBracket) stack.push(token);
    else if (type === RParen || type === RBracket) {
      const want = type === RParen ? LParen : LBracket;
      const index = stack.map((t) => t.tokenType).lastIndexOf(want);
      if (index >= 0) {
        closed.add(stack[index]!);
        stack = stack.slice(0, index);
      }
    } else if (type === LBrace || type === RBrace) stack = [];
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
    if (token.tokenType === Semicolon) token = { ...token, tokenType: Newline, tokenTypeIdx: Newline.tokenTypeIdx! };
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
