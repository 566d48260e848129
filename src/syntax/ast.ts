// The syntax tree. Every node carries its source span. Where the input was broken the
// parser still produces a node: a `missing` expression or an identifier with empty text,
// so later phases never see `undefined` holes.

import type { Span } from "../diagnostics/diagnostic.js";

export interface Identifier {
  text: string;
  span: Span;
}

export type Expr =
  | { kind: "number"; value: number; span: Span }
  | { kind: "string"; value: string; span: Span }
  | { kind: "bool"; value: boolean; span: Span }
  | { kind: "name"; name: Identifier; span: Span }
  | { kind: "list"; items: Expr[]; tuple: boolean; span: Span }
  | { kind: "unary"; op: "-" | "not"; operand: Expr; span: Span }
  | { kind: "binary"; op: BinaryOp; left: Expr; right: Expr; span: Span }
  | { kind: "call"; callee: Identifier; args: Argument[]; span: Span }
  | { kind: "paren"; inner: Expr; span: Span }
  | { kind: "conditional"; condition: Expr; then: Expr; otherwise: Expr; span: Span }
  | { kind: "missing"; span: Span };

export type BinaryOp = "+" | "-" | "*" | "/" | "%" | "==" | "!=" | "<" | ">" | "<=" | ">=" | "and" | "or";

/** A positional (`name` absent) or named argument. */
export interface Argument {
  name?: Identifier;
  value: Expr;
  span: Span;
}

/** A layer or block invocation: `conv 64, kernel: 3` or `Basic(128, stride: 2)`. */
export interface Call {
  name: Identifier;
  args: Argument[];
  /** Whether the arguments were written in parentheses. */
  parenthesized: boolean;
  span: Span;
}

export interface Body {
  statements: Statement[];
  span: Span;
}

interface StatementBase {
  span: Span;
  /** `... as skip`: names the tensor that the statement produces. */
  binding?: Identifier;
  doc?: string;
}

export type Statement =
  | (StatementBase & { kind: "chain"; calls: Call[] })
  | (StatementBase & { kind: "input"; name: Identifier; shape: Expr })
  | (StatementBase & { kind: "repeat"; keyword: Span; count: Expr; body: Body })
  | (StatementBase & { kind: "for"; keyword: Span; variables: Identifier[]; iterable: Expr; body: Body })
  | (StatementBase & {
      kind: "residual";
      keyword: Span;
      condition?: Expr;
      body: Body;
      shortcut?: Shortcut;
    })
  | (StatementBase & { kind: "gate"; keyword: Span; body: Body })
  /** The layers of the body (and of the blocks it calls) are not trained: their weights stay as loaded. */
  | (StatementBase & { kind: "frozen"; keyword: Span; body: Body })
  | (StatementBase & { kind: "join"; op: Identifier; branches: Body[] })
  | (StatementBase & { kind: "if"; keyword: Span; condition: Expr; then: Body; otherwise?: Body })
  | (StatementBase & { kind: "let"; name: Identifier; value: Expr })
  | (StatementBase & { kind: "from"; name: Identifier })
  | (StatementBase & { kind: "expect"; keyword: Span; shape: Expr });

export type Shortcut =
  | { kind: "auto"; span: Span }
  | { kind: "body"; body: Body; span: Span };

export interface Parameter {
  name: Identifier;
  default?: Expr;
  span: Span;
}

/** `: [h, w, c] -> [h / 2, w / 2, channels]`: the shapes a block takes and gives. */
export interface Contract {
  input: Expr;
  output: Expr;
  span: Span;
}

export interface BlockDecl {
  kind: "block";
  name: Identifier;
  params: Parameter[];
  contract?: Contract;
  body: Body;
  doc?: string;
  span: Span;
}

export interface ModelDecl {
  kind: "model";
  name: Identifier;
  params: Parameter[];
  body: Body;
  doc?: string;
  span: Span;
}

export interface TrainEntry {
  key: Identifier;
  value: Expr;
  span: Span;
}

export interface TrainDecl {
  kind: "train";
  model: Identifier;
  entries: TrainEntry[];
  doc?: string;
  span: Span;
}

export type Declaration = BlockDecl | ModelDecl | TrainDecl;

/** One name in an import list: `basic`, or `basic as Basic`. */
export interface ImportName {
  name: Identifier;
  alias?: Identifier;
  span: Span;
}

/** `import { a, b as c } from "./blocks.cnn"`, at the top level of a file. */
export interface ImportDecl {
  kind: "import";
  keyword: Span;
  names: ImportName[];
  /** The path as written, without quotes; empty when it is missing. */
  path: string;
  /** The string literal, quotes included (where a missing file is reported). */
  pathSpan: Span;
  span: Span;
}

/** A top-level `let`: a constant visible in every model and block of the file, and importable. */
export type ConstantDecl = Extract<Statement, { kind: "let" }>;

export interface Comment {
  text: string;
  span: Span;
  doc: boolean;
}

export interface Program {
  declarations: Declaration[];
  /** Top-level imports and constants, kept apart from the declarations, in source order. */
  imports: ImportDecl[];
  constants: ConstantDecl[];
  comments: Comment[];
  span: Span;
}
