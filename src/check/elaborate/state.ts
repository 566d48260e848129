// The state of an elaboration, made explicit. Three lifetimes:
// - `Shared`: one compilation's, across its models: the blocks in scope and what earlier
//   runs established (contracts proved, stated channels that held).
// - `Unrolling`: one model's budgets and nesting (statements run, bodies entered, repeat
//   multiplicity), which a contract proof run inside the model counts against too.
// - `ModelState`: the graph being built, its sizes, diagnostics and call facts. A contract
//   proof builds a block's graph on its own, in a fresh `ModelState` (`sandboxed()`) that it
//   then drops, so the model's graph is never saved and restored.
// The graph-building primitives (adding a node, reporting, comparing sizes) live here; the
// interpreter (interpret.ts) runs bodies, and is reached through `Shared.runBody` by the
// modules below it, so that no module imports one above it.

import { diagnostic, type Code, type DiagnosticExtras } from "../../diagnostics/codes.js";
import { DiagnosticSink, type RelatedInfo, type Span } from "../../diagnostics/diagnostic.js";
import type { Args, ParamCounts } from "../../ops/types.js";
import type { BlockDecl, Body, Call, Expr, ModelDecl } from "../../syntax/ast.js";
import type { CallTable, BlockCall, LayerNode, NodeRole } from "../graph.js";
import type { Dim, Shape } from "../../shape/shape.js";
import { SizeContext, type Relation } from "../sizes.js";
import { isSymbolic, remainder } from "../../shape/symbolic.js";
import { fieldOf, type Field } from "../receptive-field.js";
import { Evaluator, type Scope } from "../values.js";
import type { ModuleScope } from "../modules.js";
import { formatLimit, LIMITS } from "../../limits.js";
import type { LayerEstimate } from "../layer-estimate.js";

/** A tensor during elaboration: the node that produced it and where that was in the source. */
export interface Tensor {
  node: number;
  /** Undefined once an error made it unknown. */
  shape?: Shape;
  origin: Span;
}

export interface Env {
  values: Scope;
  tensors: Map<string, Tensor>;
  current?: Tensor;
  /** Context notes added to each diagnostic: "in this call of `Basic`", "in iteration 2 of this repeat". */
  context: RelatedInfo[];
  blockPath: string[];
  /** The block calls of `blockPath`, one per instance, so that two calls of one block stay apart. */
  blockCalls: BlockCall[];
  /** Inside a `frozen { … }` body, or a block called from one: the layers' weights are not trained. */
  frozen: boolean;
  /** Whether this body belongs to a model (where `input` is allowed). */
  inModel: boolean;
  /** The blocks and constants of the file whose declaration this body belongs to. */
  module: ModuleScope;
  /**
   * Inside a block imported from another file: the call in the main file that reached it.
   * Layer nodes take this span, so summaries and the IR point at a line of the file they describe.
   */
  site?: Span;
}

/** Thrown past every body once a limit is reported: elaboration of the model stops there. */
export class LimitExceeded extends Error {}

/** What one compilation's elaborations share, across its models. */
export interface Shared {
  /** The blocks and constants of a declaration's file. */
  scopeOf(decl: BlockDecl | ModelDecl): ModuleScope;
  /** Contracts already checked against their body, by block, arguments and input channels. */
  readonly verifiedContracts: Map<string, boolean>;
  /** Contracts inferred for hovers, by the same key. */
  readonly inferredContracts: Map<string, string>;
  /** Layer calls whose shape checks (stated channels included) passed on some run. */
  readonly statedChannelsHeld: WeakSet<Call>;
  readonly layerEstimate: LayerEstimate;
  /** Runs a body's statements (the interpreter, interpret.ts). */
  runBody(state: ModelState, body: Body, env: Env): void;
}

/** One model's unrolling: its budgets and nesting, shared with the contract proofs run inside it. */
export interface Unrolling {
  inputSeen: boolean;
  /** Statements run, against LIMITS.steps. */
  steps: number;
  /** Bodies entered and not yet left. */
  depth: number;
  /** How many times the body being unrolled runs: the product of the enclosing repeat counts and loop lengths. */
  multiplicity: number;
  /** Layers the model had when the outermost repeat or loop being unrolled started. */
  layersBeforeLoops: number;
  /** The blocks whose bodies are being run, innermost last: a block that calls itself stops there. */
  readonly activeBlocks: BlockDecl[];
  /** The main-file call that reached the code being checked, inside a block from another file. */
  site: Span | undefined;
  /** Sizes given on the command line (`--shape H=224`): they replace the symbolic names. */
  readonly fixedSizes: ReadonlyMap<string, number>;
}

export function newUnrolling(fixedSizes: ReadonlyMap<string, number>): Unrolling {
  return { inputSeen: false, steps: 0, depth: 0, multiplicity: 1, layersBeforeLoops: 0, activeBlocks: [], site: undefined, fixedSizes };
}

/** The graph being built for a model (or, in a contract proof, for one block body) and what it reports. */
export class ModelState {
  readonly nodes: LayerNode[] = [];
  private readonly counters = new Map<string, number>();
  complete = true;
  /** The accepted values of the model's named sizes (H, W, …). */
  readonly sizes = new SizeContext();
  /** Set when a size comparison fails for every accepted size; the op's own report then explains it. */
  sizeFailure: { code: Code; explanation: string } | undefined;
  /** Block call ids, per model, so that an incremental re-check of one model gives the ids compile() gives. */
  blockCallCount = 0;

  constructor(
    readonly shared: Shared,
    readonly unrolling: Unrolling,
    readonly sink: DiagnosticSink,
    readonly calls: CallTable,
    readonly evaluator: Evaluator,
  ) {
    evaluator.exactDivision = (dividend, divisor, span) => this.holds(remainder(dividend, divisor), "==", 0, span);
  }

  /**
   * A fresh graph, sizes, diagnostics and call table for running a block body on its own,
   * counted against this model's budgets; the model's own state is left as it is.
   */
  sandboxed(): ModelState {
    const sink = new DiagnosticSink();
    const inner = new ModelState(this.shared, this.unrolling, sink, new Map(), new Evaluator(sink));
    inner.blockCallCount = this.blockCallCount;
    return inner;
  }

  scopeOf(decl: BlockDecl | ModelDecl): ModuleScope {
    return this.shared.scopeOf(decl);
  }

  body(body: Body, env: Env): void {
    this.shared.runBody(this, body, env);
  }

  /** A compile-time condition; undefined (and an unknown tensor) when it has no boolean value. */
  condition(expr: Expr, span: Span, env: Env): boolean | undefined {
    const value = this.evaluator.evaluate(expr, env.values);
    const condition = value === undefined ? undefined : this.evaluator.boolean(value, expr.span);
    if (condition === undefined) {
      this.complete = false;
      env.current = this.unknown(env, span);
    }
    return condition;
  }

  /** Runs a nested body in a child value scope that shares the tensors and current tensor. */
  scoped(body: Body, env: Env, extra?: (scope: Scope) => void, context?: RelatedInfo): void {
    const child: Env = { ...env, values: env.values.child(), context: context ? [context, ...env.context] : env.context };
    extra?.(child.values);
    this.body(body, child);
    this.sink.context = env.context;
    env.current = child.current;
  }

  /**
   * A size comparison for shape rules and joins. On a failure that depends on symbolic sizes
   * it remembers why, so the error that follows says which sizes the layer needs.
   */
  holds(a: Dim, relation: Relation, b: Dim, span: Span): boolean {
    // Inside a block from another file, reasons point at the call in the main file.
    const result = this.sizes.compare(a, relation, b, this.unrolling.site ?? span);
    if (result.verdict === "always" || result.verdict === "conditional") return true;
    if ((isSymbolic(a) || isSymbolic(b)) && result.explanation !== undefined) {
      this.sizeFailure ??= { code: result.verdict === "never" ? "E0701" : "E0702", explanation: result.explanation };
    }
    return false;
  }

  /** Reports a shape error, rewritten as E0701/E0702 when symbolic sizes made it fail. */
  reportShape(code: Code, span: Span, message: string, extras: DiagnosticExtras = {}): void {
    const failure = this.sizeFailure;
    this.sizeFailure = undefined;
    if (failure === undefined) return this.report(code, span, message, extras);
    const why = failure.code === "E0701" ? "no accepted input size works here" : "cnnc cannot decide this for every input size";
    this.report(failure.code, span, `${message}: ${why}`, {
      ...extras,
      label: failure.explanation,
      help: failure.code === "E0701" ? "change this layer or the ones before it so that some input size fits, or fix the sizes with `--shape`" : "use one size name where the sizes must agree, or fix the sizes with `--shape H=…,W=…`",
      fixes: [],
    });
  }

  report(code: Code, span: Span, message: string, extras: DiagnosticExtras = {}): void {
    this.complete = false;
    this.sink.add(diagnostic(code, span, message, extras));
  }

  addNode(op: string, role: NodeRole, args: Args, inputs: Tensor[], shape: Shape, params: ParamCounts, macs: number, span: Span, env: Env): Tensor {
    if (this.nodes.length >= LIMITS.layers) {
      this.report("E0401", span, `the model has more than ${formatLimit(LIMITS.layers)} layers`, { help: "reduce repeat counts" });
      throw new LimitExceeded();
    }
    const count = (this.counters.get(op) ?? 0) + 1;
    this.counters.set(op, count);
    const node: LayerNode = {
      id: this.nodes.length,
      name: op === "input" ? "" : `${op}_${count}`,
      op,
      args,
      inputs: inputs.map((t) => t.node),
      shape,
      params,
      macs,
      span: env.site ?? span,
      role,
      blockPath: env.blockPath,
      blockCalls: env.blockCalls,
    };
    // Only layers with weights are marked: freezing is about weights, not about the ops between them.
    if (env.frozen && params.trainable + params.nonTrainable > 0) node.frozen = true;
    // A flat input has no spatial extent, so nothing after it has a receptive field.
    const field = op === "input" && shape.length !== 3 ? undefined : fieldOf(op, args, inputs.map((t) => this.nodes[t.node]?.field), inputs.map((t) => t.shape!));
    if (field !== undefined) node.field = field;
    this.nodes.push(node);
    return { node: node.id, shape, origin: span };
  }

  unknown(env: Env, origin: Span): Tensor {
    return { node: env.current?.node ?? -1, origin };
  }

  /**
   * The current tensor. A layer before the model's input has none; the model-level "has no
   * input" error (or the broken `input` line) already says why, so this stays silent.
   */
  requireCurrent(env: Env, span: Span): Tensor | undefined {
    if (env.current !== undefined) return env.current;
    this.complete = false;
    env.current = { node: -1, origin: span };
    return undefined;
  }

  /** Counts one executed statement against the budget that keeps elaboration bounded. */
  step(span: Span): void {
    if (++this.unrolling.steps <= LIMITS.steps) return;
    this.report("E0401", span, `unrolling this model runs more than ${formatLimit(LIMITS.steps)} statements`, { help: "reduce the repeat counts or loop lengths" });
    throw new LimitExceeded();
  }

  /** The facts of a source call for the summary and the editor, from its first run. */
  recordCall(env: Env, call: Call, kind: "op" | "block", name: string, input: Shape | undefined, output: Shape | undefined, params: ParamCounts, macs: number, field?: Field): void {
    if (this.calls.has(call)) return;
    this.calls.set(call, { kind, name, input, output, params, macs, ...(env.frozen ? { frozen: true as const } : {}), ...(field ? { field } : {}), ...(this.sizes.symbolic ? { sizes: this.sizes.sets } : {}) });
  }
}
