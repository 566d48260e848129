// Turns Chevrotain's concrete syntax tree into the AST. A recovered node may lack any of
// its children, so every accessor here tolerates absence and substitutes a `missing`
// node with a sensible span instead of throwing.

import type { CstElement, CstNode, IToken } from "chevrotain";
import { KEYWORDS } from "./lexer.js";
import type { Span } from "../diagnostics/diagnostic.js";
import type * as A from "./ast.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { diagnostic } from "../diagnostics/codes.js";

type Children = Record<string, CstElement[] | undefined>;

function isToken(element: CstElement | undefined): element is IToken {
  return element !== undefined && (element as IToken).image !== undefined;
}

function tokenOf(children: Children, key: string, index = 0): IToken | undefined {
  const element = children[key]?.[index];
  if (!isToken(element) || element.isInsertedInRecovery || Number.isNaN(element.startOffset)) return undefined;
  return element;
}

function nodeOf(children: Children, key: string, index = 0): CstNode | undefined {
  const element = children[key]?.[index];
  return element !== undefined && !isToken(element) ? element : undefined;
}

function nodesOf(children: Children, key: string): CstNode[] {
  return (children[key] ?? []).filter((e): e is CstNode => !isToken(e));
}

function tokensOf(children: Children, key: string): IToken[] {
  return (children[key] ?? []).filter((e): e is IToken => isToken(e) && !e.isInsertedInRecovery && !Number.isNaN(e.startOffset));
}

function tokenSpan(token: IToken): Span {
  return { start: token.startOffset, end: token.startOffset + token.image.length };
}

/** The span of a node; `fallback` where recovery left it without located tokens. */
function nodeSpan(node: CstNode | undefined, fallback: Span): Span {
  const location = node?.location;
  if (location === undefined || Number.isNaN(location.startOffset) || location.endOffset === undefined || Number.isNaN(location.endOffset)) {
    return fallback;
  }
  return { start: location.startOffset, end: location.endOffset + 1 };
}

function identifier(token: IToken | undefined, fallback: Span): A.Identifier {
  return token === undefined ? { text: "", span: { start: fallback.end, end: fallback.end } } : { text: token.image, span: tokenSpan(token) };
}

const KEYWORD_TYPES = new Set(KEYWORDS);

export const PRECEDENCE: Record<A.BinaryOp, number> = {
  or: 1,
  and: 2,
  "==": 3,
  "!=": 3,
  "<": 3,
  ">": 3,
  "<=": 3,
  ">=": 3,
  "+": 4,
  "-": 4,
  "*": 5,
  "/": 5,
  "%": 5,
};

export class AstBuilder {
  /** Syntax problems the grammar accepts in order to recover well, such as a missing comma. */
  readonly diagnostics: Diagnostic[] = [];

  constructor(private readonly docComments: Map<number, string>) {}

  program(cst: CstNode, textLength: number, comments: A.Comment[]): A.Program {
    const declarations: A.Declaration[] = [];
    const imports: A.ImportDecl[] = [];
    const constants: A.ConstantDecl[] = [];
    for (const declaration of nodesOf(cst.children, "declaration")) {
      const importNode = nodeOf(declaration.children, "importDecl");
      const letNode = nodeOf(declaration.children, "letStmt");
      if (importNode !== undefined) imports.push(this.importDecl(importNode));
      else if (letNode !== undefined) {
        const span = nodeSpan(letNode, { start: 0, end: 0 });
        const c = letNode.children;
        const constant: A.ConstantDecl = { kind: "let", name: this.declaredName(tokenOf(c, "name"), span), value: this.expression(nodeOf(c, "value"), span), span };
        const doc = this.docBefore(span);
        if (doc !== undefined) constant.doc = doc;
        constants.push(constant);
      } else {
        const built = this.declaration(declaration);
        if (built !== undefined) declarations.push(built);
      }
    }
    return { declarations, imports, constants, comments, span: { start: 0, end: textLength } };
  }

  private importDecl(node: CstNode): A.ImportDecl {
    const c = node.children;
    const span = nodeSpan(node, { start: 0, end: 0 });
    const keyword = tokenOf(c, "Import");
    const keywordSpan = keyword ? tokenSpan(keyword) : { start: span.start, end: span.start };
    const bare = tokenOf(c, "barePath");
    if (bare !== undefined) {
      // `import "blocks.cnn"`: say what an import looks like, with the path filled in.
      this.diagnostics.push(
        diagnostic("E0101", tokenSpan(bare), "an import names what it takes from the file", {
          help: `write \`import { NAME, … } from ${bare.image}\`, naming the blocks and constants to use`,
        }),
      );
      return { kind: "import", keyword: keywordSpan, names: [], path: "", pathSpan: tokenSpan(bare), span };
    }
    const names = nodesOf(c, "importName").map((entry): A.ImportName => {
      const ec = entry.children;
      const entrySpan = nodeSpan(entry, span);
      const built: A.ImportName = { name: identifier(tokenOf(ec, "name"), entrySpan), span: entrySpan };
      const aliasToken = tokenOf(ec, "alias");
      if (aliasToken !== undefined) built.alias = this.declaredName(aliasToken, entrySpan);
      else if (tokenOf(ec, "As") !== undefined) built.alias = identifier(undefined, entrySpan);
      return built;
    });
    const pathToken = tokenOf(c, "path");
    return {
      kind: "import",
      keyword: keywordSpan,
      names,
      path: pathToken ? unquote(pathToken.image) : "",
      pathSpan: pathToken ? tokenSpan(pathToken) : { start: span.end, end: span.end },
      span,
    };
  }

  /** A declared name; a keyword there is reported, and the name is dropped so nothing cascades. */
  private declaredName(token: IToken | undefined, fallback: Span): A.Identifier {
    if (token !== undefined && KEYWORD_TYPES.has(token.tokenType)) {
      this.diagnostics.push(diagnostic("E0101", tokenSpan(token), `\`${token.image}\` is a keyword and cannot be a name`, { help: `choose another name, such as \`${token.image}_\`` }));
      return { text: "", span: tokenSpan(token) };
    }
    return identifier(token, fallback);
  }

  private docBefore(span: Span): string | undefined {
    return this.docComments.get(span.start);
  }

  private declaration(node: CstNode): A.Declaration | undefined {
    const c = node.children;
    const inner = nodeOf(c, "blockDecl") ?? nodeOf(c, "modelDecl") ?? nodeOf(c, "trainDecl");
    if (inner === undefined) return undefined;
    const span = nodeSpan(inner, { start: 0, end: 0 });
    const ic = inner.children;
    if (inner.name === "trainDecl") {
      const keyword = tokenOf(ic, "Train");
      const entries: A.TrainEntry[] = [];
      for (const entry of nodesOf(ic, "trainEntry")) {
        const ec = entry.children;
        const entrySpan = nodeSpan(entry, span);
        entries.push({ key: identifier(tokenOf(ec, "key"), entrySpan), value: this.expression(nodeOf(ec, "value"), entrySpan), span: entrySpan });
      }
      return { kind: "train", model: identifier(tokenOf(ic, "model"), keyword ? tokenSpan(keyword) : span), entries, doc: this.docBefore(span), span };
    }
    const name = this.declaredName(tokenOf(ic, "name"), span);
    const params = this.params(nodeOf(ic, "paramList"), span);
    const body = this.body(nodeOf(ic, "body"), span);
    if (inner.name === "blockDecl") {
      const inputNode = nodeOf(ic, "contractInput");
      const outputNode = nodeOf(ic, "contractOutput");
      const contract =
        inputNode === undefined
          ? undefined
          : (() => {
              const input = this.expression(inputNode, span);
              const output = this.expression(outputNode, { start: input.span.end, end: input.span.end });
              return { input, output, span: { start: input.span.start, end: Math.max(input.span.end, output.span.end) } };
            })();
      return { kind: "block", name, params, ...(contract ? { contract } : {}), body, doc: this.docBefore(span), span };
    }
    return { kind: "model", name, params, body, doc: this.docBefore(span), span };
  }

  private params(node: CstNode | undefined, fallback: Span): A.Parameter[] {
    if (node === undefined) return [];
    return nodesOf(node.children, "param").map((param) => {
      const span = nodeSpan(param, fallback);
      const defaultNode = nodeOf(param.children, "default");
      return {
        name: this.declaredName(tokenOf(param.children, "name"), span),
        default: defaultNode === undefined ? undefined : this.expression(defaultNode, span),
        span,
      };
    });
  }

  body(node: CstNode | undefined, fallback: Span): A.Body {
    if (node === undefined) return { statements: [], span: { start: fallback.end, end: fallback.end } };
    const span = nodeSpan(node, fallback);
    const statements: A.Statement[] = [];
    for (const statement of nodesOf(node.children, "statement")) {
      const built = this.statement(statement, span);
      if (built !== undefined) statements.push(built);
    }
    return { statements, span };
  }

  private statement(node: CstNode, fallback: Span): A.Statement | undefined {
    const c = node.children;
    const span = nodeSpan(node, fallback);
    const bindingToken = tokenOf(c, "binding");
    const built = this.statementKind(node, span);
    if (built === undefined) return undefined;
    if (bindingToken !== undefined) built.binding = this.declaredName(bindingToken, span);
    else if (tokenOf(c, "As") !== undefined) built.binding = identifier(undefined, span);
    const doc = this.docBefore(span);
    if (doc !== undefined) built.doc = doc;
    return built;
  }

  private statementKind(node: CstNode, span: Span): A.Statement | undefined {
    const c = node.children;
    const keywordSpan = (inner: CstNode, key: string): Span => {
      const token = tokenOf(inner.children, key);
      return token ? tokenSpan(token) : { start: span.start, end: span.start };
    };
    let inner: CstNode | undefined;
    if ((inner = nodeOf(c, "chain"))) {
      const calls = nodesOf(inner.children, "call").map((call) => this.call(call, span));
      return calls.length === 0 ? undefined : { kind: "chain", calls, span };
    }
    if ((inner = nodeOf(c, "inputStmt"))) {
      const ic = inner.children;
      return { kind: "input", name: this.declaredName(tokenOf(ic, "name"), span), shape: this.expression(nodeOf(ic, "shape"), span), span };
    }
    if ((inner = nodeOf(c, "repeatStmt"))) {
      const ic = inner.children;
      return { kind: "repeat", keyword: keywordSpan(inner, "Repeat"), count: this.expression(nodeOf(ic, "count"), span), body: this.body(nodeOf(ic, "body"), span), span };
    }
    if ((inner = nodeOf(c, "forStmt"))) {
      const ic = inner.children;
      return {
        kind: "for",
        keyword: keywordSpan(inner, "For"),
        variables: tokensOf(ic, "variable").map((t) => this.declaredName(t, span)),
        iterable: this.expression(nodeOf(ic, "iterable"), span),
        body: this.body(nodeOf(ic, "body"), span),
        span,
      };
    }
    if ((inner = nodeOf(c, "residualStmt"))) {
      const ic = inner.children;
      const conditionNode = nodeOf(ic, "condition");
      const shortcutNode = nodeOf(ic, "shortcut");
      let shortcut: A.Shortcut | undefined;
      if (shortcutNode !== undefined) {
        const shortcutSpan = nodeSpan(shortcutNode, span);
        const bodyNode = nodeOf(shortcutNode.children, "body");
        if (bodyNode !== undefined) shortcut = { kind: "body", body: this.body(bodyNode, shortcutSpan), span: shortcutSpan };
        else {
          const mode = identifier(tokenOf(shortcutNode.children, "mode"), shortcutSpan);
          // Only `auto` is a mode; the checker reports anything else with the mode's span.
          shortcut = { kind: "auto", span: mode.text === "auto" ? shortcutSpan : mode.span };
          if (mode.text !== "auto") (shortcut as A.Shortcut & { invalidMode?: A.Identifier }).invalidMode = mode;
        }
      }
      return {
        kind: "residual",
        keyword: keywordSpan(inner, "Residual"),
        condition: conditionNode === undefined ? undefined : this.expression(conditionNode, span),
        body: this.body(nodeOf(ic, "body"), span),
        shortcut,
        span,
      };
    }
    if ((inner = nodeOf(c, "gateStmt"))) {
      return { kind: "gate", keyword: keywordSpan(inner, "Gate"), body: this.body(nodeOf(inner.children, "body"), span), span };
    }
    if ((inner = nodeOf(c, "frozenStmt"))) {
      return { kind: "frozen", keyword: keywordSpan(inner, "Frozen"), body: this.body(nodeOf(inner.children, "body"), span), span };
    }
    if ((inner = nodeOf(c, "ifStmt"))) return this.ifStatement(inner, span);
    if ((inner = nodeOf(c, "letStmt"))) {
      const ic = inner.children;
      return { kind: "let", name: this.declaredName(tokenOf(ic, "name"), span), value: this.expression(nodeOf(ic, "value"), span), span };
    }
    if ((inner = nodeOf(c, "fromStmt"))) {
      return { kind: "from", name: identifier(tokenOf(inner.children, "name"), span), span };
    }
    if ((inner = nodeOf(c, "expectStmt"))) {
      return { kind: "expect", keyword: keywordSpan(inner, "Expect"), shape: this.expression(nodeOf(inner.children, "shape"), span), span };
    }
    if ((inner = nodeOf(c, "joinStmt"))) {
      const ic = inner.children;
      return {
        kind: "join",
        op: identifier(tokenOf(ic, "op"), span),
        branches: nodesOf(ic, "branch").map((b) => this.body(b, span)),
        span,
      };
    }
    return undefined;
  }

  private ifStatement(node: CstNode, fallback: Span): A.Statement {
    const c = node.children;
    const span = nodeSpan(node, fallback);
    const keyword = tokenOf(c, "If");
    const elseIf = nodeOf(c, "elseIf");
    let otherwise: A.Body | undefined;
    if (elseIf !== undefined) {
      const nested = this.ifStatement(elseIf, span);
      otherwise = { statements: [nested], span: nested.span };
    } else {
      const otherwiseNode = nodeOf(c, "otherwise");
      if (otherwiseNode !== undefined) otherwise = this.body(otherwiseNode, span);
    }
    return {
      kind: "if",
      keyword: keyword ? tokenSpan(keyword) : { start: span.start, end: span.start },
      condition: this.expression(nodeOf(c, "condition"), span),
      then: this.body(nodeOf(c, "then"), span),
      otherwise,
      span,
    };
  }

  private call(node: CstNode, fallback: Span): A.Call {
    const c = node.children;
    const span = nodeSpan(node, fallback);
    const globalToken = tokenOf(c, "Global");
    let name = identifier(tokenOf(c, "name"), span);
    // `global avgpool` names the op `global_avgpool`; the span covers both words.
    if (globalToken !== undefined) {
      name = { text: name.text === "" ? "global_" : `global_${name.text}`, span: { start: globalToken.startOffset, end: Math.max(name.span.end, globalToken.startOffset + 6) } };
    }
    const listNode = nodeOf(c, "argumentList");
    const bareNode = nodeOf(c, "bareArguments");
    const argsNode = listNode ?? bareNode;
    return { name, args: argsNode === undefined ? [] : this.argumentsOf(argsNode, span), parenthesized: listNode !== undefined || tokenOf(c, "LParen") !== undefined, span };
  }

  private argumentsOf(node: CstNode, callSpan: Span): A.Argument[] {
    // An argument that recovery made up (`pool 2, k,: 1` has one after `k,`) has no tokens: it
    // sits, empty, at the end of the call, not over the whole call, so argument spans stay in order.
    const fallback = { start: callSpan.end, end: callSpan.end };
    const more = nodeOf(node.children, "moreArguments");
    const uncommaed = more ? nodesOf(more.children, "uncommaed") : [];
    for (const argument of uncommaed) {
      const at = nodeSpan(argument, fallback).start;
      this.diagnostics.push(diagnostic("E0101", { start: at, end: at }, "expected `,` between arguments", { help: "separate arguments with commas", fixes: [{ title: "Insert `,`", edits: [{ span: { start: at, end: at }, newText: ", " }] }] }));
    }
    const all = [...nodesOf(node.children, "argument"), ...(more ? [...nodesOf(more.children, "argument"), ...uncommaed] : [])];
    all.sort((a, b) => nodeSpan(a, fallback).start - nodeSpan(b, fallback).start);
    return all.map((argument) => {
      const span = nodeSpan(argument, fallback);
      const nameToken = tokenOf(argument.children, "name");
      const built: A.Argument = { value: this.expression(nodeOf(argument.children, "value"), span), span };
      if (nameToken !== undefined) built.name = identifier(nameToken, span);
      return built;
    });
  }

  expression(node: CstNode | undefined, fallback: Span): A.Expr {
    const missing: A.Expr = { kind: "missing", span: { start: fallback.end, end: fallback.end } };
    if (node === undefined) return missing;
    const span = nodeSpan(node, missing.span);
    const c = node.children;
    switch (node.name) {
      case "expression": {
        const value = this.expression(nodeOf(c, "value"), span);
        const condition = nodeOf(c, "condition");
        if (condition === undefined && c["If"] === undefined) return value;
        return { kind: "conditional", condition: this.expression(condition, span), then: value, otherwise: this.expression(nodeOf(c, "otherwise"), span), span };
      }
      case "binaryExpr":
        return this.binaryChain(node, span);
      case "unary": {
        const inverted = nodeOf(c, "inverted");
        if (inverted !== undefined) return { kind: "unary", op: "not", operand: this.expression(inverted, span), span };
        const negated = nodeOf(c, "negated");
        if (negated !== undefined) {
          const operand = this.expression(negated, span);
          // Fold `-3` into a literal so that negative numbers print and compare simply.
          if (operand.kind === "number") return { kind: "number", value: -operand.value, span };
          return { kind: "unary", op: "-", operand, span };
        }
        return this.expression(nodeOf(c, "primary"), span);
      }
      case "primary":
        return this.primary(node, span);
      default:
        return missing;
    }
  }

  /** Precedence climbing over the flat operand and operator lists; every operator is left-associative. */
  private binaryChain(node: CstNode, span: Span): A.Expr {
    const operands = nodesOf(node.children, "operand").map((operand) => this.expression(operand, span));
    const operators = tokensOf(node.children, "operator").map((t) => t.image as A.BinaryOp);
    if (operands.length === 0) return { kind: "missing", span };
    // Operators whose right operand is missing (recovered input) are dropped.
    const usable = Math.min(operators.length, operands.length - 1);
    let index = 0;
    const climb = (first: A.Expr, minimum: number): A.Expr => {
      let left = first;
      while (index < usable && PRECEDENCE[operators[index]!] >= minimum) {
        const op = operators[index]!;
        index++;
        let right = operands[index]!;
        while (index < usable && PRECEDENCE[operators[index]!] > PRECEDENCE[op]) right = climb(right, PRECEDENCE[op] + 1);
        left = { kind: "binary", op, left, right, span: { start: left.span.start, end: Math.max(right.span.end, left.span.end) } };
      }
      return left;
    };
    return climb(operands[0]!, 0);
  }

  private primary(node: CstNode, span: Span): A.Expr {
    const c = node.children;
    let token: IToken | undefined;
    if ((token = tokenOf(c, "NumberLiteral"))) return { kind: "number", value: Number(token.image), span };
    if ((token = tokenOf(c, "StringLiteral"))) return { kind: "string", value: unquote(token.image), span };
    if (tokenOf(c, "True")) return { kind: "bool", value: true, span };
    if (tokenOf(c, "False")) return { kind: "bool", value: false, span };
    if ((token = tokenOf(c, "Identifier"))) {
      const name = identifier(token, span);
      const argsNode = nodeOf(c, "argumentList");
      if (argsNode !== undefined || tokenOf(c, "LParen") !== undefined) {
        return { kind: "call", callee: name, args: argsNode ? this.argumentsOf(argsNode, span) : [], span };
      }
      return { kind: "name", name, span };
    }
    const items = nodesOf(c, "item").map((item) => this.expression(item, span));
    if (c["LBracket"] !== undefined) return { kind: "list", items, tuple: false, span };
    if (c["open"] !== undefined) {
      if (items.length === 1) return { kind: "paren", inner: items[0]!, span };
      return { kind: "list", items, tuple: true, span };
    }
    return { kind: "missing", span };
  }
}

export function unquote(image: string): string {
  const inner = image.slice(1, -1);
  return inner.replace(/\\(.)/g, (_, ch: string) => (ch === "n" ? "\n" : ch === "t" ? "\t" : ch));
}
