// How many layers one run of a body adds at least, read from its text before it runs. A
// repeat or loop whose runs times this would pass the layer limit is refused before its first
// run (LIMITS.layers), instead of after unrolling 200,000 layers. Only what is certain counts:
// a layer call adds one layer when it succeeds, a block call its body's layers; a count or
// list that is not written as a literal, the branch an `if` may skip, and a block call that
// recurses count nothing, so the estimate never refuses a model that fits.

import { lookupOp } from "../ops/registry.js";
import type { BlockDecl, Body, Expr, Statement } from "../syntax/ast.js";
import { LIMITS } from "../limits.js";

/** Past the limit every estimate is as bad as any other; capping keeps the products finite. */
const CAP = LIMITS.layers + 1;

const capped = (n: number): number => Math.min(CAP, n);

export class LayerEstimate {
  private readonly perBody = new WeakMap<Body, number>();
  private readonly entered = new Set<BlockDecl>();

  /** `blocksOf(block)`: the blocks that a call inside that block's body can name. */
  constructor(private readonly blocksOf: (block: BlockDecl) => ReadonlyMap<string, BlockDecl>) {}

  /** The layers one run of `body` adds at least, where `blocks` are the blocks its calls can name. */
  perRun(body: Body, blocks: ReadonlyMap<string, BlockDecl>): number {
    const known = this.perBody.get(body);
    if (known !== undefined) return known;
    let layers = 0;
    for (const statement of body.statements) layers = capped(layers + this.statement(statement, blocks));
    this.perBody.set(body, layers);
    return layers;
  }

  private statement(statement: Statement, blocks: ReadonlyMap<string, BlockDecl>): number {
    switch (statement.kind) {
      case "chain": {
        let layers = 0;
        for (const call of statement.calls) {
          if (lookupOp(call.name.text) !== undefined) layers += 1;
          else {
            const block = blocks.get(call.name.text);
            if (block !== undefined) layers += this.blockLayers(block);
          }
        }
        return capped(layers);
      }
      case "input":
        return 1;
      case "repeat":
        return capped(literalCount(statement.count) * this.perRun(statement.body, blocks));
      case "for":
        return capped(literalLength(statement.iterable) * this.perRun(statement.body, blocks));
      case "residual":
        // The add joins body and shortcut unless a condition may turn the residual off.
        return capped(this.perRun(statement.body, blocks) + (statement.condition === undefined ? 1 : 0));
      case "gate":
        return capped(this.perRun(statement.body, blocks) + 1);
      case "frozen":
        return this.perRun(statement.body, blocks);
      case "join":
        return capped(statement.branches.reduce((sum, branch) => sum + this.perRun(branch, blocks), 1));
      case "if":
        return Math.min(this.perRun(statement.then, blocks), statement.otherwise ? this.perRun(statement.otherwise, blocks) : 0);
      case "let":
      case "from":
      case "expect":
        return 0;
    }
  }

  private blockLayers(block: BlockDecl): number {
    if (this.entered.has(block)) return 0;
    this.entered.add(block);
    try {
      return this.perRun(block.body, this.blocksOf(block));
    } finally {
      this.entered.delete(block);
    }
  }
}

/** A whole number written as it is (`12`, `(12)`); anything else may be 0. */
function literal(expr: Expr): number | undefined {
  if (expr.kind === "paren") return literal(expr.inner);
  if (expr.kind !== "number" || !Number.isInteger(expr.value) || expr.value < 0) return undefined;
  return expr.value;
}

/** A repeat count over the repeat limit is refused on its own, so it counts nothing here. */
function literalCount(expr: Expr): number {
  const count = literal(expr) ?? 0;
  return count <= LIMITS.repeat ? count : 0;
}

/** The items of a list literal or of `range(…)` with literal bounds. */
function literalLength(expr: Expr): number {
  if (expr.kind === "paren") return literalLength(expr.inner);
  if (expr.kind === "list") return expr.items.length <= LIMITS.repeat ? expr.items.length : 0;
  if (expr.kind !== "call" || expr.callee.text !== "range" || expr.args.some((a) => a.name !== undefined)) return 0;
  const bounds = expr.args.map((a) => literal(a.value));
  if (bounds.some((b) => b === undefined)) return 0;
  const [start, end] = bounds.length === 1 ? [0, bounds[0]!] : bounds.length === 2 ? [bounds[0]!, bounds[1]!] : [0, 0];
  const length = Math.max(0, end - start);
  return length <= LIMITS.repeat ? length : 0;
}
