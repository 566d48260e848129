// The grammar, as a Chevrotain CstParser with error recovery on. It holds no semantics:
// the concrete syntax tree it builds is turned into the AST by `build-ast.ts`.
//
// One parser instance serves every input (Chevrotain's recommended use): `parseCst`
// resets it with the new tokens. It is made on first use: text without syntax errors
// never gets here (fast-parse.ts), and the grammar's self-analysis takes tens of
// milliseconds. That analysis skips Chevrotain's grammar validations, which a test runs.

import { CstParser, EMPTY_ALT, EOF, type CstNode, type IParserErrorMessageProvider, type IToken, type TokenType } from "./chevrotain.js";
import * as T from "./lexer.js";

const RULE_DESCRIPTIONS: Record<string, string> = {
  file: "`model`, `block`, `train`, `import` or `let`",
  declaration: "`model`, `block`, `train`, `import` or `let`",
  importDecl: "`{ NAME, … } from \"PATH\"`",
  importName: "a name",
  topLevelEnd: "a new line",
  statement: "a layer, a block call or a statement such as `repeat`",
  statementEnd: "a new line or `->`",
  expression: "a value",
  primary: "a value",
  unary: "a value",
  binaryExpr: "a value",
  bareArguments: "an argument",
  argumentList: "an argument",
  body: "`{`",
  blockDecl: "a block declaration",
  modelDecl: "a model declaration",
  trainDecl: "a train declaration",
  argument: "an argument",
  call: "a layer or block name",
  shortcut: "`auto` or a `{ … }` body",
  trainEntry: "a setting such as `epochs: 10`",
};

export function describeToken(token: IToken): string {
  if (token.tokenType === EOF) return "the end of the file";
  if (token.tokenType === T.Newline) return "the end of the line";
  return `\`${token.image}\``;
}

function isKeyword(token: IToken): boolean {
  return T.KEYWORDS.includes(token.tokenType);
}

function describeType(type: TokenType): string {
  if (type === EOF) return "the end of the file";
  return type.LABEL ?? `\`${type.name}\``;
}

/** `import` inside a body: only the top level of a file imports. */
const IMPORT_MESSAGE = "`import` belongs at the top level of the file, outside every model and block";

const messages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual }) {
    if (expected === T.Identifier && isKeyword(actual)) return `expected a name, found the keyword \`${actual.image}\`: keywords cannot be names`;
    return `expected ${describeType(expected)}, found ${describeToken(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `unexpected ${describeToken(firstRedundant)}`;
  },
  buildNoViableAltMessage({ actual, ruleName }) {
    if (actual[0]?.tokenType === T.Import && ruleName !== "file" && ruleName !== "declaration") return IMPORT_MESSAGE;
    return `expected ${RULE_DESCRIPTIONS[ruleName] ?? "something else"}, found ${describeToken(actual[0]!)}`;
  },
  buildEarlyExitMessage({ actual, ruleName }) {
    return `expected ${RULE_DESCRIPTIONS[ruleName] ?? "something else"}, found ${describeToken(actual[0]!)}`;
  },
};

export class CnnParser extends CstParser {
  constructor({ validate }: { validate: boolean }) {
    super(T.ALL_TOKENS, { recoveryEnabled: true, nodeLocationTracking: "onlyOffset", maxLookahead: 3, errorMessageProvider: messages, skipValidations: !validate });
    this.performSelfAnalysis();
  }

  /** How many declarations the parser is inside: 0 at the top level of the file. */
  private declarationDepth = 0;
  /** Whether a decision or a recovery depended on tokens before the first one or after the last one (see `CstResult`). */
  lookedBefore = false;
  lookedAfter = false;

  file = this.RULE("file", () => {
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(T.Newline) },
        {
          ALT: () => {
            this.declarationDepth++;
            try {
              this.SUBRULE(this.declaration);
            } finally {
              this.declarationDepth--;
            }
          },
        },
      ]);
    });
  });

  // Every lookahead and recovery reads tokens through these two. Past either end they give
  // EOF; the top level reading the one EOF after the last token is how every parse ends.
  protected override LA(howMuch: number): IToken {
    return this.noteBounds(super.LA(howMuch), howMuch);
  }

  protected override LA_FAST(howMuch: number): IToken {
    return this.noteBounds(super.LA_FAST(howMuch), howMuch);
  }

  private noteBounds(token: IToken, howMuch: number): IToken {
    if (token.tokenType !== EOF) return token;
    if (howMuch <= 0) {
      if (this.declarationDepth > 0) this.lookedBefore = true;
    } else if (this.declarationDepth > 0 || howMuch > 1) this.lookedAfter = true;
    return token;
  }

  declaration = this.RULE("declaration", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.blockDecl) },
      { ALT: () => this.SUBRULE(this.modelDecl) },
      { ALT: () => this.SUBRULE(this.trainDecl) },
      {
        ALT: () => {
          this.SUBRULE(this.importDecl);
          this.SUBRULE(this.topLevelEnd);
        },
      },
      {
        ALT: () => {
          this.SUBRULE(this.letStmt);
          this.SUBRULE2(this.topLevelEnd);
        },
      },
    ]);
  });

  /** An import or a top-level constant ends its line (or the file). */
  topLevelEnd = this.RULE("topLevelEnd", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Newline) },
      { GATE: () => this.LA(1).tokenType === EOF, ALT: EMPTY_ALT() },
    ]);
  });

  /**
   * `import { a, b as c } from "PATH"`. The bare `import "PATH"` of other languages is
   * accepted too, so that the AST builder can say what is missing instead of a cascade.
   */
  importDecl = this.RULE("importDecl", () => {
    this.CONSUME(T.Import);
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.LBrace);
          this.MANY(() => {
            this.OR2([
              { ALT: () => this.CONSUME(T.Newline) },
              {
                ALT: () => {
                  this.SUBRULE(this.importName);
                  this.OPTION(() => this.CONSUME(T.Comma));
                },
              },
            ]);
          });
          this.CONSUME(T.RBrace);
          this.CONSUME(T.From);
          this.CONSUME(T.StringLiteral, { LABEL: "path" });
        },
      },
      { ALT: () => this.CONSUME2(T.StringLiteral, { LABEL: "barePath" }) },
    ]);
  });

  importName = this.RULE("importName", () => {
    this.CONSUME(T.Word, { LABEL: "name" });
    this.OPTION(() => {
      this.CONSUME(T.As);
      this.CONSUME2(T.Word, { LABEL: "alias" });
    });
  });

  blockDecl = this.RULE("blockDecl", () => {
    this.CONSUME(T.Block);
    this.CONSUME(T.Word, { LABEL: "name" });
    this.OPTION(() => this.SUBRULE(this.paramList));
    // A shape contract: `: [h, w, c] -> [h / stride, w / stride, channels]`.
    this.OPTION2(() => {
      this.CONSUME(T.Colon);
      this.SUBRULE(this.expression, { LABEL: "contractInput" });
      this.CONSUME(T.Arrow);
      this.SUBRULE2(this.expression, { LABEL: "contractOutput" });
    });
    this.SUBRULE(this.body);
  });

  modelDecl = this.RULE("modelDecl", () => {
    this.CONSUME(T.Model);
    this.CONSUME(T.Word, { LABEL: "name" });
    this.OPTION(() => this.SUBRULE(this.paramList));
    this.SUBRULE(this.body);
  });

  paramList = this.RULE("paramList", () => {
    this.CONSUME(T.LParen);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.param) });
    this.CONSUME(T.RParen);
  });

  param = this.RULE("param", () => {
    this.CONSUME(T.Word, { LABEL: "name" });
    this.OPTION(() => {
      this.CONSUME(T.Equals);
      this.SUBRULE(this.expression, { LABEL: "default" });
    });
  });

  trainDecl = this.RULE("trainDecl", () => {
    this.CONSUME(T.Train);
    this.CONSUME(T.Identifier, { LABEL: "model" });
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(T.Newline) }, { ALT: () => this.SUBRULE(this.trainEntry) }]);
    });
    this.CONSUME(T.RBrace);
  });

  trainEntry = this.RULE("trainEntry", () => {
    this.CONSUME(T.Identifier, { LABEL: "key" });
    this.CONSUME(T.Colon);
    this.SUBRULE(this.expression, { LABEL: "value" });
  });

  body = this.RULE("body", () => {
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(T.Newline) },
        {
          ALT: () => {
            this.SUBRULE(this.statement);
            this.SUBRULE(this.statementEnd);
          },
        },
      ]);
    });
    this.CONSUME(T.RBrace);
  });

  /** A statement ends at a new line, or right before the `}` that closes its body. */
  statementEnd = this.RULE("statementEnd", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Newline) },
      { GATE: () => this.LA(1).tokenType === T.RBrace, ALT: EMPTY_ALT() },
    ]);
  });

  statement = this.RULE("statement", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.inputStmt) },
      { ALT: () => this.SUBRULE(this.repeatStmt) },
      { ALT: () => this.SUBRULE(this.forStmt) },
      { ALT: () => this.SUBRULE(this.residualStmt) },
      { ALT: () => this.SUBRULE(this.gateStmt) },
      { ALT: () => this.SUBRULE(this.frozenStmt) },
      { ALT: () => this.SUBRULE(this.ifStmt) },
      { ALT: () => this.SUBRULE(this.letStmt) },
      { ALT: () => this.SUBRULE(this.fromStmt) },
      { ALT: () => this.SUBRULE(this.expectStmt) },
      { ALT: () => this.SUBRULE(this.joinStmt) },
      { ALT: () => this.SUBRULE(this.chain) },
    ]);
    this.OPTION(() => {
      this.CONSUME(T.As);
      this.CONSUME(T.Word, { LABEL: "binding" });
    });
  });

  inputStmt = this.RULE("inputStmt", () => {
    this.CONSUME(T.Input);
    this.CONSUME(T.Word, { LABEL: "name" });
    this.CONSUME(T.Colon);
    this.SUBRULE(this.expression, { LABEL: "shape" });
  });

  repeatStmt = this.RULE("repeatStmt", () => {
    this.CONSUME(T.Repeat);
    this.SUBRULE(this.expression, { LABEL: "count" });
    this.SUBRULE(this.body);
  });

  forStmt = this.RULE("forStmt", () => {
    this.CONSUME(T.For);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.CONSUME(T.Word, { LABEL: "variable" }) });
    this.CONSUME(T.In);
    this.SUBRULE(this.expression, { LABEL: "iterable" });
    this.SUBRULE(this.body);
  });

  residualStmt = this.RULE("residualStmt", () => {
    this.CONSUME(T.Residual);
    this.OPTION(() => {
      this.CONSUME(T.If);
      this.SUBRULE(this.expression, { LABEL: "condition" });
    });
    this.SUBRULE(this.body);
    this.OPTION2(() => this.SUBRULE(this.shortcut));
  });

  shortcut = this.RULE("shortcut", () => {
    this.CONSUME(T.Shortcut);
    this.OR([{ ALT: () => this.CONSUME(T.Identifier, { LABEL: "mode" }) }, { ALT: () => this.SUBRULE(this.body) }]);
  });

  gateStmt = this.RULE("gateStmt", () => {
    this.CONSUME(T.Gate);
    this.SUBRULE(this.body);
  });

  /** `frozen { … }`: the layers of the body keep their weights in training. */
  frozenStmt = this.RULE("frozenStmt", () => {
    this.CONSUME(T.Frozen);
    this.SUBRULE(this.body);
  });

  ifStmt = this.RULE("ifStmt", () => {
    this.CONSUME(T.If);
    this.SUBRULE(this.expression, { LABEL: "condition" });
    this.SUBRULE(this.body, { LABEL: "then" });
    this.OPTION(() => {
      this.CONSUME(T.Else);
      this.OR([
        { ALT: () => this.SUBRULE(this.ifStmt, { LABEL: "elseIf" }) },
        { ALT: () => this.SUBRULE2(this.body, { LABEL: "otherwise" }) },
      ]);
    });
  });

  letStmt = this.RULE("letStmt", () => {
    this.CONSUME(T.Let);
    this.CONSUME(T.Word, { LABEL: "name" });
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression, { LABEL: "value" });
  });

  fromStmt = this.RULE("fromStmt", () => {
    this.CONSUME(T.From);
    this.CONSUME(T.Identifier, { LABEL: "name" });
  });

  expectStmt = this.RULE("expectStmt", () => {
    this.CONSUME(T.Expect);
    this.SUBRULE(this.expression, { LABEL: "shape" });
  });

  joinStmt = this.RULE("joinStmt", () => {
    this.CONSUME(T.Identifier, { LABEL: "op" });
    this.CONSUME(T.LBrace);
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(T.Newline) },
        {
          ALT: () => {
            this.CONSUME(T.Branch);
            this.SUBRULE(this.body, { LABEL: "branch" });
          },
        },
      ]);
    });
    this.CONSUME(T.RBrace);
  });

  chain = this.RULE("chain", () => {
    this.SUBRULE(this.call);
    this.MANY(() => {
      this.CONSUME(T.Arrow);
      this.SUBRULE2(this.call);
    });
  });

  call = this.RULE("call", () => {
    this.OPTION(() => this.CONSUME(T.Global));
    this.CONSUME(T.Identifier, { LABEL: "name" });
    this.OPTION2(() => {
      this.OR([
        {
          IGNORE_AMBIGUITIES: true,
          ALT: () => {
            this.CONSUME(T.LParen);
            this.SUBRULE(this.argumentList);
            this.CONSUME(T.RParen);
          },
        },
        {
          ALT: () => {
            // `global avgpool, keepdims: true`: a comma may separate the name from named arguments.
            this.OPTION3(() => this.CONSUME(T.Comma, { LABEL: "leadingComma" }));
            this.SUBRULE(this.bareArguments);
          },
        },
      ]);
    });
  });

  argumentList = this.RULE("argumentList", () => {
    this.OPTION(() => {
      this.SUBRULE(this.argument);
      this.SUBRULE(this.moreArguments);
    });
  });

  bareArguments = this.RULE("bareArguments", () => {
    this.SUBRULE(this.argument);
    this.SUBRULE(this.moreArguments);
  });

  /**
   * `, argument` repeated. A named argument right after another argument, without the comma,
   * is accepted here and reported by the AST builder as one missing comma, not a cascade.
   */
  moreArguments = this.RULE("moreArguments", () => {
    this.MANY(() => {
      this.OR([
        {
          ALT: () => {
            this.CONSUME(T.Comma);
            this.SUBRULE(this.argument);
          },
        },
        {
          GATE: () => this.LA(1).tokenType === T.Identifier && this.LA(2).tokenType === T.Colon,
          ALT: () => this.SUBRULE2(this.argument, { LABEL: "uncommaed" }),
        },
      ]);
    });
  });

  argument = this.RULE("argument", () => {
    this.OPTION(() => {
      this.CONSUME(T.Identifier, { LABEL: "name" });
      this.CONSUME(T.Colon);
    });
    this.SUBRULE(this.expression, { LABEL: "value" });
  });

  /** `a if condition else b`, Python's conditional expression, binds loosest. */
  expression = this.RULE("expression", () => {
    this.SUBRULE(this.binaryExpr, { LABEL: "value" });
    this.OPTION(() => {
      this.CONSUME(T.If);
      this.SUBRULE2(this.binaryExpr, { LABEL: "condition" });
      this.CONSUME(T.Else);
      this.SUBRULE(this.expression, { LABEL: "otherwise" });
    });
  });

  /**
   * Operands joined by binary operators, flat: the AST builder applies precedence. One rule
   * instead of one per precedence level keeps the syntax tree small, and parsing fast.
   */
  binaryExpr = this.RULE("binaryExpr", () => {
    this.SUBRULE(this.unary, { LABEL: "operand" });
    this.MANY(() => {
      this.CONSUME(T.BinaryOperator, { LABEL: "operator" });
      this.SUBRULE2(this.unary, { LABEL: "operand" });
    });
  });

  unary = this.RULE("unary", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Minus);
          this.SUBRULE(this.unary, { LABEL: "negated" });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Not);
          this.SUBRULE2(this.unary, { LABEL: "inverted" });
        },
      },
      { ALT: () => this.SUBRULE(this.primary) },
    ]);
  });

  primary = this.RULE("primary", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.NumberLiteral) },
      { ALT: () => this.CONSUME(T.StringLiteral) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      {
        ALT: () => {
          this.CONSUME(T.Identifier);
          this.OPTION(() => {
            this.CONSUME(T.LParen);
            this.SUBRULE(this.argumentList);
            this.CONSUME(T.RParen);
          });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.LBracket);
          this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.expression, { LABEL: "item" }) });
          this.CONSUME(T.RBracket);
        },
      },
      {
        ALT: () => {
          this.CONSUME2(T.LParen, { LABEL: "open" });
          this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE2(this.expression, { LABEL: "item" }) });
          this.CONSUME2(T.RParen, { LABEL: "close" });
        },
      },
    ]);
  });
}

let parser: CnnParser | undefined;

export interface CstResult {
  cst: CstNode;
  errors: { message: string; token: IToken; previous: IToken | undefined }[];
  /**
   * Whether the parse could differ if these tokens were part of a longer file, with tokens
   * before them (`before`) or after them (`after`): a declaration's lookahead or error
   * recovery reached past the first or last token, or a stray token at the top level ended
   * the parse early (in a longer file that drops the rest of the file too).
   */
  dependsOnSurroundings: { before: boolean; after: boolean };
}

export function parseCst(tokens: IToken[]): CstResult {
  parser ??= new CnnParser({ validate: false });
  // The lexer made these tokens before the parser completed their kinds (lexer.ts): give
  // each the index Chevrotain matches by. It is the same for every token of a kind, so a
  // token stamped before keeps its value.
  for (const token of tokens) token.tokenTypeIdx = token.tokenType.tokenTypeIdx!;
  parser.input = tokens;
  parser.lookedBefore = false;
  parser.lookedAfter = false;
  const cst = parser.file();
  const errors = parser.errors.map((e) => ({
    message: e.message,
    token: e.token,
    previous: (e as unknown as { previousToken?: IToken }).previousToken,
  }));
  const stoppedEarly = parser.errors.some((e) => e.name === "NotAllInputParsedException");
  return { cst, errors, dependsOnSurroundings: { before: parser.lookedBefore, after: parser.lookedAfter || stoppedEarly } };
}
