// How many layers one run of a body adds at least, read from its text before it runs. A
// repeat or loop whose runs times this would pass the layer limit is refused before its first
// run (LIMITS.layers), instead of after unrolling 200,000 layers. Only what is certain counts:
// a layer call adds one layer when it succeeds, a block call its body's layers; the branch an
// `if` may skip, and a block call that recurses count nothing, so the estimate never refuses a
// model that fits.
//
// Counts, loop lists and `if` conditions are evaluated in the scope the repeat runs in, as the
// unrolling will evaluate them: `let n = 9000` then `repeat n` counts like `repeat 9000`, and so
// do a block's arguments and defaults. A value the estimate cannot know without running the
// body (a loop variable, a `let` that fails here) counts nothing.

import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { DiagnosticSink } from "../diagnostics/diagnostic.js";
import { lookupOp } from "../ops/registry.js";
import type { BlockDecl, Body, Call, Expr, Statement } from "../syntax/ast.js";
import { LIMITS } from "../limits.js";
import { bindArguments, type Slot } from "./arguments.js";
import { Evaluator, FAILED, isSymbol, Scope, type Value } from "./values.js";

/** Past the limit every estimate is as bad as any other; capping keeps the products finite. */
const CAP = LIMITS.layers + 1;

const capped = (n: number): number => Math.min(CAP, n);

/** The estimate evaluates what the unrolling will evaluate again, and report, itself. */
class SilentSink extends DiagnosticSink {
  override add(_diagnostic: Diagnostic): void {}
}

/** What a block's body can name: the blocks and constants of the file that declares it. */
export interface EstimateScope {
  blocks: ReadonlyMap<string, BlockDecl>;
  constants: Scope;
}

export class LayerEstimate {
  private readonly silent = new SilentSink();
  private readonly evaluator = new Evaluator(this.silent);
  private readonly entered = new Set<BlockDecl>();
  /**
   * Statements the estimates may still visit for this model. Each repeat estimates its body
   * when it starts, so a nest of repeats is read again at every level; the budget (the one
   * unrolling has) bounds that work. Once it is spent the estimates count what they have
   * read, still a lower bound.
   */
  private budget: number = LIMITS.steps;
  /** Bodies the walk is inside. */
  private depth = 0;

  /** `scopeOf(block)`: the blocks and constants its body can name. */
  constructor(private readonly scopeOf: (block: BlockDecl) => EstimateScope) {}

  /** A new model: a fresh budget. */
  reset(): void {
    this.budget = LIMITS.steps;
  }

  /**
   * The layers one run of `body` adds at least, where `blocks` are the blocks its calls can
   * name and `values` the scope it runs in; `bound` names what each run binds anew (a loop's
   * variables), which the estimate does not know.
   */
  perRun(body: Body, blocks: ReadonlyMap<string, BlockDecl>, values: Scope, bound: readonly string[] = []): number {
    const scope = values.child();
    for (const name of bound) scope.define(name, { value: FAILED, span: body.span });
    return this.body(body, blocks, scope);
  }

  private body(body: Body, blocks: ReadonlyMap<string, BlockDecl>, scope: Scope): number {
    // Bodies nested deeper than the unrolling enters (E0403) count nothing: the walk recurses, and a chain of thousands of blocks must not overflow the stack.
    if (this.depth >= LIMITS.elaborationDepth) return 0;
    this.depth++;
    let layers = 0;
    try {
      for (const statement of body.statements) {
        if (--this.budget < 0) break;
        layers = capped(layers + this.statement(statement, blocks, scope));
      }
    } finally {
      this.depth--;
    }
    return layers;
  }

  private statement(statement: Statement, blocks: ReadonlyMap<string, BlockDecl>, scope: Scope): number {
    switch (statement.kind) {
      case "chain": {
        let layers = 0;
        for (const call of statement.calls) {
          if (lookupOp(call.name.text) !== undefined) layers += 1;
          else {
            const block = blocks.get(call.name.text);
            if (block !== undefined) layers += this.blockLayers(block, call, scope);
          }
        }
        return capped(layers);
      }
      case "input":
        return 1;
      case "let": {
        // As the unrolling binds it: a second `let` of a name in one scope is an error and binds nothing.
        const name = statement.name.text;
        if (name === "" || scope.hasOwn(name)) return 0;
        const value = this.value(statement.value, scope);
        scope.define(name, { value: value ?? FAILED, span: statement.name.span });
        return 0;
      }
      case "repeat": {
        const count = this.count(statement.count, scope);
        return count === 0 ? 0 : capped(count * this.body(statement.body, blocks, scope.child()));
      }
      case "for": {
        const items = this.value(statement.iterable, scope);
        const length = Array.isArray(items) && items.length <= LIMITS.repeat ? items.length : 0;
        if (length === 0) return 0;
        const inner = scope.child();
        for (const variable of statement.variables) inner.define(variable.text, { value: FAILED, span: variable.span });
        return capped(length * this.body(statement.body, blocks, inner));
      }
      case "residual":
        // The add joins body and shortcut unless a condition may turn the residual off.
        return capped(this.body(statement.body, blocks, scope.child()) + (statement.condition === undefined ? 1 : 0));
      case "gate":
        return capped(this.body(statement.body, blocks, scope.child()) + 1);
      case "frozen":
        return this.body(statement.body, blocks, scope.child());
      case "join":
        return capped(statement.branches.reduce((sum, branch) => sum + this.body(branch, blocks, scope.child()), 1));
      case "if": {
        const condition = this.value(statement.condition, scope);
        const then = (): number => this.body(statement.then, blocks, scope.child());
        const otherwise = (): number => (statement.otherwise ? this.body(statement.otherwise, blocks, scope.child()) : 0);
        if (condition === true) return then();
        if (condition === false) return otherwise();
        return Math.min(then(), otherwise());
      }
      case "from":
      case "expect":
        return 0;
    }
  }

  /** A block call's body, run with the call's arguments and the block's defaults, as the unrolling binds them. */
  private blockLayers(block: BlockDecl, call: Call, scope: Scope): number {
    if (this.entered.has(block)) return 0;
    const slots: Slot[] = block.params.map((p) => ({ name: p.name.text, positional: true, required: p.default === undefined }));
    const bound = bindArguments(call, block.name.text, slots, this.silent);
    // A call whose arguments do not bind does not run its body.
    if (!bound.ok) return 0;
    const own = this.scopeOf(block);
    const values = new Scope(own.constants);
    for (const param of block.params) {
      const arg = bound.byName.get(param.name.text);
      const value = arg !== undefined ? this.value(arg.value, scope) : param.default !== undefined ? this.value(param.default, values) : undefined;
      values.define(param.name.text, { value: value ?? FAILED, span: param.name.span });
    }
    this.entered.add(block);
    try {
      return this.body(block.body, own.blocks, values);
    } finally {
      this.entered.delete(block);
    }
  }

  /** The value of an expression where the estimate knows it; undefined where it does not. */
  private value(expr: Expr, scope: Scope): Value | undefined {
    // A bare number needs no evaluator (most counts are literals).
    if (expr.kind === "number") return expr.value;
    const value = this.evaluator.evaluate(expr, scope);
    return value === undefined || isSymbol(value) ? undefined : value;
  }

  /** A repeat count the unrolling accepts; 0 where it is unknown, or refused on its own. */
  private count(expr: Expr, scope: Scope): number {
    const value = this.value(expr, scope);
    return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= LIMITS.repeat ? value : 0;
  }
}
