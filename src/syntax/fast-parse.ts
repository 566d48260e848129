// The parser for text without syntax errors: recursive descent over the lexer's tokens,
// building the AST directly. It gives exactly the tree that the Chevrotain grammar
// (parser.ts) and the AST builder give, and gives up (returns undefined) at the first
// token that grammar would not accept without an error, or where the builder would
// report something. `parse()` then runs the Chevrotain parser, whose error recovery and
// messages are the language's. A file without errors, the common case, never needs it:
// no grammar self-analysis at start-up and no concrete syntax tree, which made up most
// of the time to check a large file. test/syntax/fast-parse.test.ts holds the two to the same
// trees on every example and on random and mutated text.

import type { IToken, TokenType } from "./chevrotain.js";
import * as T from "./lexer.js";
import type * as A from "./ast.js";
import type { Span } from "../diagnostics/diagnostic.js";
import { PRECEDENCE, unquote } from "./build-ast.js";

/** Thrown to abandon the fast path; never escapes this module. */
class GiveUp {}
const GIVE_UP = new GiveUp();

const KEYWORD_TYPES: ReadonlySet<TokenType> = new Set(T.KEYWORDS);
/** Tokens that can start a statement in a body: the Chevrotain grammar's first set of `statement`. */
const STATEMENT_START: ReadonlySet<TokenType> = new Set([T.Input, T.Repeat, T.For, T.Residual, T.Gate, T.Frozen, T.If, T.Let, T.From, T.Expect, T.Identifier, T.Global]);
/** Tokens that can start an expression. */
const EXPRESSION_START: ReadonlySet<TokenType> = new Set([T.Minus, T.Not, T.NumberLiteral, T.StringLiteral, T.True, T.False, T.Identifier, T.LBracket, T.LParen]);
const BINARY_OPERATORS: ReadonlySet<TokenType> = new Set(T.ALL_TOKENS.filter((t) => (t.CATEGORIES ?? []).includes(T.BinaryOperator)));

function tokenSpan(token: IToken): Span {
  return { start: token.startOffset, end: token.startOffset + token.image.length };
}

/** The span from the start of one token to the end of another. */
function between(first: IToken, last: IToken): Span {
  return { start: first.startOffset, end: last.startOffset + last.image.length };
}

function name(token: IToken): A.Identifier {
  return { text: token.image, span: tokenSpan(token) };
}

/**
 * The program for tokens that parse without errors, or undefined. `docs` maps the offset
 * of a token to the doc comment right before it.
 */
export function fastParse(tokens: IToken[], docs: Map<number, string>, textLength: number, comments: A.Comment[]): A.Program | undefined {
  try {
    return new FastParser(tokens, docs).program(textLength, comments);
  } catch (error) {
    // Nesting too deep for this parser's recursion is left to the grammar too, as before.
    if (error === GIVE_UP || error instanceof RangeError) return undefined;
    throw error;
  }
}

class FastParser {
  private index = 0;

  constructor(
    private readonly tokens: IToken[],
    private readonly docs: Map<number, string>,
  ) {}

  private peek(ahead = 0): TokenType | undefined {
    return this.tokens[this.index + ahead]?.tokenType;
  }

  private at(type: TokenType): boolean {
    return this.tokens[this.index]?.tokenType === type;
  }

  private next(type: TokenType): IToken {
    const token = this.current;
    if (token.tokenType !== type) throw GIVE_UP;
    this.index++;
    return token;
  }

  /** The next token; the end of the input is an error wherever this is asked. */
  private get current(): IToken {
    const token = this.tokens[this.index];
    if (token === undefined) throw GIVE_UP;
    return token;
  }

  /** The last token taken. */
  private get last(): IToken {
    return this.tokens[this.index - 1]!;
  }

  /** A declared name. The grammar takes a keyword there too, for the builder to report: that is not this parser's to do. */
  private declaredName(): A.Identifier {
    const token = this.current;
    if (token.tokenType !== T.Identifier) throw GIVE_UP;
    this.index++;
    return name(token);
  }

  program(textLength: number, comments: A.Comment[]): A.Program {
    const declarations: A.Declaration[] = [];
    const imports: A.ImportDecl[] = [];
    const constants: A.ConstantDecl[] = [];
    while (this.index < this.tokens.length) {
      const type = this.peek();
      if (type === T.Newline) this.index++;
      else if (type === T.Block || type === T.Model) declarations.push(this.blockOrModel());
      else if (type === T.Train) declarations.push(this.train());
      else if (type === T.Import) {
        imports.push(this.importDecl());
        this.topLevelEnd();
      } else if (type === T.Let) {
        const constant = this.letStatement();
        const doc = this.docs.get(constant.span.start);
        if (doc !== undefined) constant.doc = doc;
        constants.push(constant);
        this.topLevelEnd();
      } else throw GIVE_UP;
    }
    return { declarations, imports, constants, comments, span: { start: 0, end: textLength } };
  }

  private topLevelEnd(): void {
    if (this.index < this.tokens.length) this.next(T.Newline);
  }

  private importDecl(): A.ImportDecl {
    const keyword = this.next(T.Import);
    this.next(T.LBrace);
    const names: A.ImportName[] = [];
    for (;;) {
      if (this.at(T.Newline)) this.index++;
      else if (this.at(T.RBrace)) break;
      else {
        const first = this.current;
        if (first.tokenType !== T.Identifier && !KEYWORD_TYPES.has(first.tokenType)) throw GIVE_UP;
        this.index++;
        const entry: A.ImportName = { name: name(first), span: tokenSpan(first) };
        if (this.at(T.As)) {
          this.index++;
          entry.alias = this.declaredName();
          entry.span = between(first, this.last);
        }
        names.push(entry);
        if (this.at(T.Comma)) this.index++;
      }
    }
    this.next(T.RBrace);
    this.next(T.From);
    const path = this.next(T.StringLiteral);
    return { kind: "import", keyword: tokenSpan(keyword), names, path: unquote(path.image), pathSpan: tokenSpan(path), span: between(keyword, path) };
  }

  private blockOrModel(): A.BlockDecl | A.ModelDecl {
    const keyword = this.current;
    this.index++;
    const declName = this.declaredName();
    const params = this.at(T.LParen) ? this.params() : [];
    let contract: A.Contract | undefined;
    if (keyword.tokenType === T.Block && this.at(T.Colon)) {
      this.index++;
      const input = this.expression();
      this.next(T.Arrow);
      const output = this.expression();
      contract = { input, output, span: { start: input.span.start, end: Math.max(input.span.end, output.span.end) } };
    }
    const body = this.body();
    const span = between(keyword, this.last);
    const doc = this.docs.get(span.start);
    if (keyword.tokenType === T.Block) return { kind: "block", name: declName, params, ...(contract ? { contract } : {}), body, doc, span };
    return { kind: "model", name: declName, params, body, doc, span };
  }

  private params(): A.Parameter[] {
    this.next(T.LParen);
    const params: A.Parameter[] = [];
    if (!this.at(T.RParen)) {
      for (;;) {
        const first = this.current;
        const paramName = this.declaredName();
        let value: A.Expr | undefined;
        if (this.at(T.Equals)) {
          this.index++;
          value = this.expression();
        }
        params.push({ name: paramName, default: value, span: between(first, this.last) });
        if (!this.at(T.Comma)) break;
        this.index++;
      }
    }
    this.next(T.RParen);
    return params;
  }

  private train(): A.TrainDecl {
    const keyword = this.next(T.Train);
    const model = name(this.next(T.Identifier));
    this.next(T.LBrace);
    const entries: A.TrainEntry[] = [];
    for (;;) {
      if (this.at(T.Newline)) this.index++;
      else if (this.at(T.Identifier)) {
        const key = this.next(T.Identifier);
        this.next(T.Colon);
        const value = this.expression();
        entries.push({ key: name(key), value, span: between(key, this.last) });
      } else break;
    }
    this.next(T.RBrace);
    const span = between(keyword, this.last);
    return { kind: "train", model, entries, doc: this.docs.get(span.start), span };
  }

  private body(): A.Body {
    const open = this.next(T.LBrace);
    const statements: A.Statement[] = [];
    for (;;) {
      const type = this.peek();
      if (type === T.Newline) this.index++;
      else if (type !== undefined && STATEMENT_START.has(type)) {
        statements.push(this.statement());
        if (this.at(T.Newline)) this.index++;
        else if (!this.at(T.RBrace)) throw GIVE_UP;
      } else break;
    }
    this.next(T.RBrace);
    return { statements, span: between(open, this.last) };
  }

  private statement(): A.Statement {
    const first = this.current;
    const type = first.tokenType;
    let built: A.Statement;
    // The span of the whole statement, `as NAME` included, is filled in at the end.
    const span: Span = { start: first.startOffset, end: first.startOffset };
    if (type === T.Input) {
      this.index++;
      const inputName = this.declaredName();
      this.next(T.Colon);
      built = { kind: "input", name: inputName, shape: this.expression(), span };
    } else if (type === T.Repeat) {
      this.index++;
      built = { kind: "repeat", keyword: tokenSpan(first), count: this.expression(), body: this.body(), span };
    } else if (type === T.For) {
      this.index++;
      const variables = [this.declaredName()];
      while (this.at(T.Comma)) {
        this.index++;
        variables.push(this.declaredName());
      }
      this.next(T.In);
      built = { kind: "for", keyword: tokenSpan(first), variables, iterable: this.expression(), body: this.body(), span };
    } else if (type === T.Residual) {
      this.index++;
      let condition: A.Expr | undefined;
      if (this.at(T.If)) {
        this.index++;
        condition = this.expression();
      }
      const body = this.body();
      const shortcut = this.at(T.Shortcut) ? this.shortcut() : undefined;
      built = { kind: "residual", keyword: tokenSpan(first), condition, body, shortcut, span };
    } else if (type === T.Gate) {
      this.index++;
      built = { kind: "gate", keyword: tokenSpan(first), body: this.body(), span };
    } else if (type === T.Frozen) {
      this.index++;
      built = { kind: "frozen", keyword: tokenSpan(first), body: this.body(), span };
    } else if (type === T.If) built = this.ifStatement();
    else if (type === T.Let) built = this.letStatement(span);
    else if (type === T.From) {
      this.index++;
      built = { kind: "from", name: name(this.next(T.Identifier)), span };
    } else if (type === T.Expect) {
      this.index++;
      built = { kind: "expect", keyword: tokenSpan(first), shape: this.expression(), span };
    } else if (type === T.Identifier && this.peek(1) === T.LBrace) {
      this.index++;
      this.index++;
      const branches: A.Body[] = [];
      for (;;) {
        if (this.at(T.Newline)) this.index++;
        else if (this.at(T.Branch)) {
          this.index++;
          branches.push(this.body());
        } else break;
      }
      this.next(T.RBrace);
      built = { kind: "join", op: name(first), branches, span };
    } else {
      const calls = [this.call()];
      while (this.at(T.Arrow)) {
        this.index++;
        calls.push(this.call());
      }
      built = { kind: "chain", calls, span };
    }
    if (this.at(T.As)) {
      this.index++;
      built.binding = this.declaredName();
    }
    // An `if` has a span of its own; the others share the statement's.
    const end = this.last.startOffset + this.last.image.length;
    if (built.span === span) span.end = end;
    const doc = this.docs.get(first.startOffset);
    if (doc !== undefined) built.doc = doc;
    return built;
  }

  /** `let NAME = value`; in a body it has the statement's span (`span`), which the caller completes. */
  private letStatement(span?: Span): Extract<A.Statement, { kind: "let" }> {
    const keyword = this.next(T.Let);
    const letName = this.declaredName();
    this.next(T.Equals);
    const value = this.expression();
    return { kind: "let", name: letName, value, span: span ?? between(keyword, this.last) };
  }

  private shortcut(): A.Shortcut {
    const keyword = this.next(T.Shortcut);
    if (this.at(T.LBrace)) {
      const body = this.body();
      return { kind: "body", body, span: between(keyword, this.last) };
    }
    const mode = name(this.next(T.Identifier));
    if (mode.text === "auto") return { kind: "auto", span: between(keyword, this.last) };
    // Only `auto` is a mode; the checker reports anything else with the mode's span.
    return { kind: "auto", span: mode.span, invalidMode: mode } as A.Shortcut;
  }

  private ifStatement(): Extract<A.Statement, { kind: "if" }> {
    const keyword = this.next(T.If);
    const condition = this.expression();
    const then = this.body();
    let otherwise: A.Body | undefined;
    if (this.at(T.Else)) {
      this.index++;
      if (this.at(T.If)) {
        const nested = this.ifStatement();
        otherwise = { statements: [nested], span: nested.span };
      } else otherwise = this.body();
    }
    return { kind: "if", keyword: tokenSpan(keyword), condition, then, otherwise, span: between(keyword, this.last) };
  }

  private call(): A.Call {
    const first = this.current;
    let global: IToken | undefined;
    if (first.tokenType === T.Global) {
      global = first;
      this.index++;
    }
    let callName = name(this.next(T.Identifier));
    if (global !== undefined) {
      callName = { text: `global_${callName.text}`, span: { start: global.startOffset, end: Math.max(callName.span.end, global.startOffset + 6) } };
    }
    let args: A.Argument[] = [];
    let parenthesized = false;
    const type = this.peek();
    if (type === T.LParen) {
      this.index++;
      args = this.argumentList();
      this.next(T.RParen);
      parenthesized = true;
    } else if (type === T.Comma || (type !== undefined && EXPRESSION_START.has(type))) {
      if (type === T.Comma) this.index++;
      args = this.arguments();
    }
    return { name: callName, args, parenthesized, span: between(first, this.last) };
  }

  /** Arguments in parentheses, possibly none. */
  private argumentList(): A.Argument[] {
    const type = this.peek();
    return type !== undefined && EXPRESSION_START.has(type) ? this.arguments() : [];
  }

  /** One argument or more, separated by commas. */
  private arguments(): A.Argument[] {
    const args = [this.argument()];
    for (;;) {
      const type = this.peek();
      if (type === T.Comma) {
        this.index++;
        args.push(this.argument());
      } else if (type !== undefined && EXPRESSION_START.has(type)) throw GIVE_UP; // a missing comma, or an error
      else return args;
    }
  }

  private argument(): A.Argument {
    const first = this.current;
    if (first.tokenType === T.Identifier && this.peek(1) === T.Colon) {
      this.index += 2;
      const value = this.expression();
      return { value, span: between(first, this.last), name: name(first) };
    }
    const value = this.expression();
    return { value, span: between(first, this.last) };
  }

  /** `a if condition else b`, Python's conditional expression, binds loosest. */
  private expression(): A.Expr {
    const first = this.current;
    const value = this.binary();
    if (!this.at(T.If)) return value;
    this.index++;
    const condition = this.binary();
    this.next(T.Else);
    const otherwise = this.expression();
    return { kind: "conditional", condition, then: value, otherwise, span: between(first, this.last) };
  }

  /** Operands and operators, by precedence climbing; every operator is left-associative. */
  private binary(): A.Expr {
    const operands = [this.unary()];
    const operators: A.BinaryOp[] = [];
    for (;;) {
      const type = this.peek();
      if (type === undefined || !BINARY_OPERATORS.has(type)) break;
      operators.push(this.current.image as A.BinaryOp);
      this.index++;
      operands.push(this.unary());
    }
    if (operators.length === 0) return operands[0]!;
    let index = 0;
    const climb = (first: A.Expr, minimum: number): A.Expr => {
      let left = first;
      while (index < operators.length && PRECEDENCE[operators[index]!] >= minimum) {
        const op = operators[index]!;
        index++;
        let right = operands[index]!;
        while (index < operators.length && PRECEDENCE[operators[index]!] > PRECEDENCE[op]) right = climb(right, PRECEDENCE[op] + 1);
        left = { kind: "binary", op, left, right, span: { start: left.span.start, end: Math.max(right.span.end, left.span.end) } };
      }
      return left;
    };
    return climb(operands[0]!, 0);
  }

  private unary(): A.Expr {
    const first = this.current;
    if (first.tokenType === T.Minus) {
      this.index++;
      const operand = this.unary();
      const span = between(first, this.last);
      // Fold `-3` into a literal so that negative numbers print and compare simply.
      if (operand.kind === "number") return { kind: "number", value: -operand.value, span };
      return { kind: "unary", op: "-", operand, span };
    }
    if (first.tokenType === T.Not) {
      this.index++;
      const operand = this.unary();
      return { kind: "unary", op: "not", operand, span: between(first, this.last) };
    }
    return this.primary();
  }

  private primary(): A.Expr {
    const first = this.current;
    this.index++;
    const type = first.tokenType;
    if (type === T.NumberLiteral) return { kind: "number", value: Number(first.image), span: tokenSpan(first) };
    if (type === T.StringLiteral) return { kind: "string", value: unquote(first.image), span: tokenSpan(first) };
    if (type === T.True) return { kind: "bool", value: true, span: tokenSpan(first) };
    if (type === T.False) return { kind: "bool", value: false, span: tokenSpan(first) };
    if (type === T.Identifier) {
      const callee = name(first);
      if (!this.at(T.LParen)) return { kind: "name", name: callee, span: tokenSpan(first) };
      this.index++;
      const args = this.argumentList();
      this.next(T.RParen);
      return { kind: "call", callee, args, span: between(first, this.last) };
    }
    if (type === T.LBracket) {
      const items: A.Expr[] = [];
      if (!this.at(T.RBracket)) {
        items.push(this.expression());
        while (this.at(T.Comma)) {
          this.index++;
          items.push(this.expression());
        }
      }
      this.next(T.RBracket);
      return { kind: "list", items, tuple: false, span: between(first, this.last) };
    }
    if (type === T.LParen) {
      const items = [this.expression()];
      while (this.at(T.Comma)) {
        this.index++;
        items.push(this.expression());
      }
      this.next(T.RParen);
      const span = between(first, this.last);
      if (items.length === 1) return { kind: "paren", inner: items[0]!, span };
      return { kind: "list", items, tuple: true, span };
    }
    throw GIVE_UP;
  }
}
