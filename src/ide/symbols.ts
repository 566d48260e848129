// Name resolution for the editor: which declaration every name in the source refers to.
//
// The checker resolves names while it elaborates, once per instantiation; the editor needs
// the static picture instead: one symbol per declared name (a model, a block, a parameter,
// a `let` constant, a loop variable, a named tensor) and every place that mentions it, in
// source offsets. Definition, references, rename, hovers, completion and semantic tokens
// all read this index. It works on any tree the parser returns, broken or not.

import type { Span } from "../diagnostics/diagnostic.js";
import type { ImportBinding } from "../check/modules.js";
import type { Argument, BlockDecl, Body, Call, ConstantDecl, Expr, ModelDecl, Program, Statement } from "../syntax/ast.js";

export type SymbolKind = "model" | "block" | "parameter" | "constant" | "loop-variable" | "tensor";

export interface SourceSymbol {
  kind: SymbolKind;
  name: string;
  /** The identifier that declares it (the first one, for a tensor bound more than once). */
  span: Span;
  /** The model or block whose body declares it; undefined for models and blocks. */
  owner?: ModelDecl | BlockDecl;
  /** For models and blocks: the declaration itself. */
  declaration?: ModelDecl | BlockDecl;
  /** For tensors and constants: the statement that binds it. */
  statement?: Statement;
  /** For parameters: the default value, if any. */
  defaultValue?: Expr;
  /** For constants: the value expression. */
  value?: Expr;
  /**
   * For an imported block or constant: the import that names it here, and what it names
   * in the other file (absent when the import failed). Its `span` is the local name in the
   * import statement; the declaration's spans lie in the other file (see `Compilation.locate`).
   */
  imported?: { binding: ImportBinding; path?: string; target?: BlockDecl | ConstantDecl };
  /** Where the name can be used: the offsets between which it is in scope. */
  scope: Span;
}

/** `imported-name`: the other file's name in `import { NAME as ALIAS }`, which a rename of the alias leaves alone. */
export type ReferenceRole = "declaration" | "call" | "named-argument" | "train-model" | "value" | "tensor" | "imported-name";

export interface Reference {
  span: Span;
  symbol: SourceSymbol;
  role: ReferenceRole;
}

/** A call in the source, with the declaration and statement that contain it. */
export interface CallSite {
  call: Call;
  statement: Statement;
  owner: ModelDecl | BlockDecl;
}

export interface SymbolIndex {
  symbols: SourceSymbol[];
  /** Every mention of a symbol, declarations included, sorted by offset. */
  references: Reference[];
  calls: CallSite[];
  /** Models and blocks by name, imported blocks included; the first declaration of a name wins, as in the checker. */
  declarations: Map<string, ModelDecl | BlockDecl>;
  /** The symbol of a model or block declaration. */
  declarationSymbols: Map<ModelDecl | BlockDecl, SourceSymbol>;
}

/** The innermost thing at an offset: a reference, touched at either end, like an editor's cursor. */
export function referenceAt(index: SymbolIndex, offset: number): Reference | undefined {
  let found: Reference | undefined;
  for (const reference of index.references) {
    if (reference.span.start > offset) break;
    if (offset <= reference.span.end) found = reference;
  }
  return found;
}

export function referencesTo(index: SymbolIndex, symbol: SourceSymbol): Reference[] {
  return index.references.filter((r) => r.symbol === symbol);
}

/** The innermost call whose name or argument list contains the offset. */
export function callAt(index: SymbolIndex, offset: number): CallSite | undefined {
  let found: CallSite | undefined;
  for (const site of index.calls) {
    if (site.call.span.start <= offset && offset <= site.call.span.end) {
      if (found === undefined || site.call.span.start >= found.call.span.start) found = site;
    }
  }
  return found;
}

class Scope {
  private readonly names = new Map<string, SourceSymbol>();
  constructor(private readonly parent?: Scope) {}

  lookup(name: string): SourceSymbol | undefined {
    return this.names.get(name) ?? this.parent?.lookup(name);
  }

  define(symbol: SourceSymbol): void {
    this.names.set(symbol.name, symbol);
  }

  child(): Scope {
    return new Scope(this);
  }
}

class IndexBuilder {
  readonly symbols: SourceSymbol[] = [];
  readonly references: Reference[] = [];
  readonly calls: CallSite[] = [];
  readonly declarations = new Map<string, ModelDecl | BlockDecl>();
  readonly declarationSymbols = new Map<ModelDecl | BlockDecl, SourceSymbol>();
  private tensors = new Map<string, SourceSymbol>();
  private owner!: ModelDecl | BlockDecl;
  private inTrain = false;
  /** Top-level constants, local and imported: visible in every model and block. */
  private readonly fileScope = new Scope();

  constructor(
    private readonly program: Program,
    private readonly imports: readonly ImportBinding[],
  ) {}

  /** Imported names and top-level constants, which every declaration's scope starts from. */
  private fileNames(): void {
    for (const binding of this.imports) {
      const local = binding.local;
      if (local.text === "") continue;
      const target = binding.target;
      const symbol = this.symbol({
        kind: target?.kind === "block" ? "block" : "constant",
        name: local.text,
        span: local.span,
        scope: this.program.span,
        imported: { binding, path: binding.module?.source.path, target },
        ...(target?.kind === "block" ? { declaration: target } : {}),
        ...(target?.kind === "let" ? { statement: target, value: target.value } : {}),
      });
      this.reference(local.span, symbol, "declaration");
      if (binding.entry.alias !== undefined) this.reference(binding.entry.name.span, symbol, "imported-name");
      if (target?.kind === "block") {
        if (!this.declarations.has(local.text)) this.declarations.set(local.text, target);
        this.declarationSymbols.set(target, symbol);
      } else this.fileScope.define(symbol);
    }
    for (const constant of this.program.constants) {
      this.expression(constant.value, this.fileScope);
      if (constant.name.text === "") continue;
      const symbol = this.symbol({ kind: "constant", name: constant.name.text, span: constant.name.span, statement: constant, value: constant.value, scope: this.program.span });
      this.reference(constant.name.span, symbol, "declaration");
      this.fileScope.define(symbol);
    }
  }

  build(): SymbolIndex {
    this.fileNames();
    const declarationSymbols: SourceSymbol[] = [];
    for (const decl of this.program.declarations) {
      if (decl.kind === "train" || decl.name.text === "") continue;
      const symbol = this.symbol({ kind: decl.kind, name: decl.name.text, span: decl.name.span, declaration: decl, scope: this.program.span });
      this.declarationSymbols.set(decl, symbol);
      if (!this.declarations.has(decl.name.text)) this.declarations.set(decl.name.text, decl);
      declarationSymbols.push(symbol);
    }
    for (const symbol of declarationSymbols) this.reference(symbol.span, symbol, "declaration");
    for (const decl of this.program.declarations) {
      if (decl.kind === "train") {
        const model = this.declarations.get(decl.model.text);
        if (model?.kind === "model") this.reference(decl.model.span, this.declarationSymbols.get(model)!, "train-model");
        // Words in training settings (`val_loss`, `max`) are choices, never names in scope.
        this.inTrain = true;
        for (const entry of decl.entries) this.expression(entry.value, new Scope());
        this.inTrain = false;
        continue;
      }
      this.declaration(decl);
    }
    this.references.sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
    return { symbols: this.symbols, references: this.references, calls: this.calls, declarations: this.declarations, declarationSymbols: this.declarationSymbols };
  }

  private symbol(symbol: SourceSymbol): SourceSymbol {
    this.symbols.push(symbol);
    return symbol;
  }

  private reference(span: Span, symbol: SourceSymbol, role: ReferenceRole): void {
    if (span.end > span.start) this.references.push({ span, symbol, role });
  }

  private declaration(decl: ModelDecl | BlockDecl): void {
    this.owner = decl;
    this.tensors = new Map();
    const scope = this.fileScope.child();
    for (const param of decl.params) {
      if (param.default !== undefined) this.expression(param.default, scope);
      if (param.name.text === "") continue;
      const symbol = this.symbol({ kind: "parameter", name: param.name.text, span: param.name.span, owner: decl, defaultValue: param.default, scope: decl.span });
      this.reference(param.name.span, symbol, "declaration");
      scope.define(symbol);
    }
    this.body(decl.body, scope);
  }

  /** Declares a tensor name, or adds another binding of the same name to its symbol. */
  private bindTensor(name: { text: string; span: Span }, statement: Statement): void {
    if (name.text === "") return;
    let symbol = this.tensors.get(name.text);
    if (symbol === undefined) {
      symbol = this.symbol({ kind: "tensor", name: name.text, span: name.span, owner: this.owner, statement, scope: { start: statement.span.end, end: this.owner.body.span.end } });
      this.tensors.set(name.text, symbol);
    }
    this.reference(name.span, symbol, "declaration");
  }

  private body(body: Body, scope: Scope): void {
    for (const statement of body.statements) {
      this.statement(statement, scope, body);
      if (statement.binding !== undefined) this.bindTensor(statement.binding, statement);
    }
  }

  private statement(statement: Statement, scope: Scope, body: Body): void {
    switch (statement.kind) {
      case "chain":
        for (const call of statement.calls) this.call(call, statement, scope);
        return;
      case "input":
        this.expression(statement.shape, scope);
        this.bindTensor(statement.name, statement);
        return;
      case "let": {
        this.expression(statement.value, scope);
        if (statement.name.text === "") return;
        const symbol = this.symbol({ kind: "constant", name: statement.name.text, span: statement.name.span, owner: this.owner, statement, value: statement.value, scope: { start: statement.span.end, end: body.span.end } });
        this.reference(statement.name.span, symbol, "declaration");
        scope.define(symbol);
        return;
      }
      case "from": {
        const tensor = this.tensors.get(statement.name.text) ?? this.laterTensor(statement.name.text);
        if (tensor !== undefined) this.reference(statement.name.span, tensor, "tensor");
        return;
      }
      case "expect":
        this.expression(statement.shape, scope);
        return;
      case "repeat":
        this.expression(statement.count, scope);
        this.body(statement.body, scope.child());
        return;
      case "for": {
        this.expression(statement.iterable, scope);
        const inner = scope.child();
        for (const variable of statement.variables) {
          if (variable.text === "") continue;
          const symbol = this.symbol({ kind: "loop-variable", name: variable.text, span: variable.span, owner: this.owner, statement, scope: statement.body.span });
          this.reference(variable.span, symbol, "declaration");
          inner.define(symbol);
        }
        this.body(statement.body, inner);
        return;
      }
      case "residual":
        if (statement.condition !== undefined) this.expression(statement.condition, scope);
        this.body(statement.body, scope.child());
        if (statement.shortcut?.kind === "body") this.body(statement.shortcut.body, scope.child());
        return;
      case "gate":
      case "frozen":
        this.body(statement.body, scope.child());
        return;
      case "join":
        for (const branch of statement.branches) this.body(branch, scope.child());
        return;
      case "if":
        this.expression(statement.condition, scope);
        this.body(statement.then, scope.child());
        if (statement.otherwise !== undefined) this.body(statement.otherwise, scope.child());
        return;
    }
  }

  /**
   * A tensor bound later in the body. Using it before its binding is an error the checker
   * reports, but the name still refers to that binding: renaming one must rename both.
   */
  private laterTensor(name: string): SourceSymbol | undefined {
    const visit = (body: Body): Statement | undefined => {
      for (const statement of body.statements) {
        if (statement.binding?.text === name || (statement.kind === "input" && statement.name.text === name)) return statement;
        for (const inner of nestedBodies(statement)) {
          const found = visit(inner);
          if (found !== undefined) return found;
        }
      }
      return undefined;
    };
    const statement = visit(this.owner.body);
    if (statement === undefined) return undefined;
    const span = statement.kind === "input" && statement.name.text === name ? statement.name.span : statement.binding!.span;
    const symbol = this.symbol({ kind: "tensor", name, span, owner: this.owner, statement, scope: { start: statement.span.end, end: this.owner.body.span.end } });
    this.tensors.set(name, symbol);
    return symbol;
  }

  private call(call: Call, statement: Statement, scope: Scope): void {
    this.calls.push({ call, statement, owner: this.owner });
    const target = this.declarations.get(call.name.text);
    const block = target?.kind === "block" ? target : undefined;
    if (block !== undefined) this.reference(call.name.span, this.declarationSymbols.get(block)!, "call");
    for (const arg of call.args) this.argument(arg, block, scope);
  }

  private argument(arg: Argument, block: BlockDecl | undefined, scope: Scope): void {
    if (arg.name !== undefined && block !== undefined) {
      const param = this.symbols.find((s) => s.kind === "parameter" && s.owner === block && s.name === arg.name!.text);
      if (param !== undefined) this.reference(arg.name.span, param, "named-argument");
    }
    this.expression(arg.value, scope);
  }

  private expression(expr: Expr, scope: Scope): void {
    switch (expr.kind) {
      case "name": {
        if (this.inTrain) return;
        const value = scope.lookup(expr.name.text);
        if (value !== undefined) {
          this.reference(expr.name.span, value, "value");
          return;
        }
        const tensor = this.tensors.get(expr.name.text) ?? (this.isInBody(expr) ? this.laterTensor(expr.name.text) : undefined);
        if (tensor !== undefined) this.reference(expr.name.span, tensor, "tensor");
        return;
      }
      case "list":
        for (const item of expr.items) this.expression(item, scope);
        return;
      case "unary":
        this.expression(expr.operand, scope);
        return;
      case "binary":
        this.expression(expr.left, scope);
        this.expression(expr.right, scope);
        return;
      case "call":
        for (const arg of expr.args) this.expression(arg.value, scope);
        return;
      case "paren":
        this.expression(expr.inner, scope);
        return;
      case "conditional":
        this.expression(expr.condition, scope);
        this.expression(expr.then, scope);
        this.expression(expr.otherwise, scope);
        return;
      default:
        return;
    }
  }

  /** Whether an expression lies in the current model's or block's body (train settings have no tensors). */
  private isInBody(expr: Expr): boolean {
    // A top-level constant's value is in no body.
    if (this.owner === undefined) return false;
    return this.owner.body.span.start <= expr.span.start && expr.span.end <= this.owner.body.span.end;
  }
}

/** The bodies directly nested in a statement, in source order. */
export function nestedBodies(statement: Statement): Body[] {
  switch (statement.kind) {
    case "repeat":
    case "for":
    case "gate":
    case "frozen":
      return [statement.body];
    case "residual":
      return statement.shortcut?.kind === "body" ? [statement.body, statement.shortcut.body] : [statement.body];
    case "if":
      return statement.otherwise !== undefined ? [statement.then, statement.otherwise] : [statement.then];
    case "join":
      return statement.branches;
    default:
      return [];
  }
}

/** The index of one file; `imports` (the file's module's, from the compilation) bind imported names. */
export function buildSymbolIndex(program: Program, imports: readonly ImportBinding[] = []): SymbolIndex {
  return new IndexBuilder(program, imports).build();
}
