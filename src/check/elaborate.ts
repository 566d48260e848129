// Elaboration: runs a model's body at compile time. Blocks are inlined, repeats and loops
// unrolled, expressions evaluated, and every layer's shape inferred through the op
// registry. The result is the model's layer graph plus a side table of facts per source
// call, for the summary and the editor.
//
// After an error the current tensor's shape becomes unknown, and rules that see an unknown
// input stay silent: one mistake gives one message.

import { diagnostic, type Code, type DiagnosticExtras } from "../diagnostics/codes.js";
import { DiagnosticSink, type RelatedInfo, type Span } from "../diagnostics/diagnostic.js";
import { FILE_SPACING } from "../diagnostics/source-map.js";
import { conv as convOp } from "../ops/conv.js";
import { batchnorm as batchnormOp } from "../ops/norm.js";
import { lookupOp, MERGE_OPS, OPS, sourceName } from "../ops/registry.js";
import { defaultArgs, defaultValue, type ArgValue, type Args, type OpDef, type ParamCounts } from "../ops/types.js";
import type { BlockDecl, Body, Call, Contract, Expr, ModelDecl, Statement } from "../syntax/ast.js";
import { argumentRemoval, bindArguments, convertArgument, type BoundArguments, type Slot } from "./arguments.js";
import type { BlockCall, CallTable, LayerNode, ModelGraph, NodeRole } from "./graph.js";
import { formatShape, isConcreteShape, numericShape, windowOutput, type Dim, type Shape } from "../shape/shape.js";
import { sameShape, simplestShape } from "../ops/merge.js";
import { describeSizes, SizeContext, type Relation } from "./sizes.js";
import { formatDim, isSymbolic, remainder, sizeVar, SizeTooComplex, type SizeSet, type Sym } from "../shape/symbolic.js";
import { fieldOf, type Field } from "./receptive-field.js";
import { closestMatch } from "./suggest.js";
import { describeValue, Evaluator, FAILED, isSize, isSymbol, Scope, type Value } from "./values.js";
import type { ModuleScope } from "./modules.js";
import { formatLimit, LIMITS } from "../limits.js";
import { LayerEstimate } from "./layer-estimate.js";


/** A tensor during elaboration: the node that produced it and where that was in the source. */
interface Tensor {
  node: number;
  /** Undefined once an error made it unknown. */
  shape?: Shape;
  origin: Span;
}

interface Env {
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

class LimitExceeded extends Error {}

/** Contracts of imported blocks already proved against their bodies, by signature key. */
const PROVED_CONTRACTS = new WeakMap<BlockDecl, Set<string>>();

/** Each op's argument slots, made once: a 10,000-layer model would otherwise build them per layer. */
const OP_SLOTS = new WeakMap<OpDef, readonly Slot[]>();

function slotsOf(op: OpDef): readonly Slot[] {
  let slots = OP_SLOTS.get(op);
  if (slots === undefined) {
    slots = op.args.map((a) => ({ name: a.name, positional: a.positional === true, variadic: a.variadic, required: a.default === undefined && !a.optional && !a.variadic }));
    OP_SLOTS.set(op, slots);
  }
  return slots;
}

export class Elaborator {
  private evaluator: Evaluator;
  /** Contracts already checked against their body, by block, arguments and input channels. */
  private readonly verifiedContracts = new Map<string, boolean>();
  private readonly inferredContracts = new Map<string, string>();
  private nodes: LayerNode[] = [];
  private counters = new Map<string, number>();
  private blockCallCount = 0;
  private complete = true;
  private readonly activeBlocks: BlockDecl[] = [];
  private inputSeen = false;
  private steps = 0;
  /** How many times the body being unrolled runs: the product of the enclosing repeat counts and loop lengths. */
  private multiplicity = 1;
  /** Layers the model had when the outermost repeat or loop being unrolled started. */
  private layersBeforeLoops = 0;
  private readonly layerEstimate = new LayerEstimate((block) => this.scopeOf(block));
  /** Bodies entered and not yet left. */
  private depth = 0;
  /** Layer calls whose shape checks (stated channels included) passed on some run. */
  private readonly statedChannelsHeld = new WeakSet<Call>();
  /** The accepted values of the model's named sizes (H, W, …). */
  private sizes = new SizeContext();
  /** Sizes given on the command line (`--shape H=224`): they replace the symbolic names. */
  private fixedSizes: ReadonlyMap<string, number> = new Map();
  /** The main-file call that reached the code being checked, inside a block from another file. */
  private site: Span | undefined;
  /** Set when a size comparison fails for every accepted size; the op's own report then explains it. */
  private sizeFailure: { code: Code; explanation: string } | undefined;

  /** Names in a single-file compilation, and in any declaration `scopes` does not list. */
  private readonly fileScope: ModuleScope;

  constructor(
    blocks: ReadonlyMap<string, BlockDecl>,
    private sink: DiagnosticSink,
    private calls: CallTable,
    private readonly scopes?: ReadonlyMap<BlockDecl | ModelDecl, ModuleScope>,
  ) {
    this.evaluator = new Evaluator(sink);
    this.fileScope = { blocks, constants: new Scope(), silent: new Set() };
  }

  private scopeOf(decl: BlockDecl | ModelDecl): ModuleScope {
    return this.scopes?.get(decl) ?? this.fileScope;
  }

  elaborate(model: ModelDecl, overrides: ReadonlyMap<string, Value> = new Map(), fixedSizes: ReadonlyMap<string, number> = new Map()): ModelGraph {
    this.nodes = [];
    this.counters = new Map();
    this.complete = true;
    this.inputSeen = false;
    this.steps = 0;
    this.multiplicity = 1;
    this.layersBeforeLoops = 0;
    this.layerEstimate.reset();
    this.depth = 0;
    this.blockCallCount = 0; // ids are per model, so an incremental re-check of one model gives the ids compile() gives
    this.sink.context = [];
    this.sizes = new SizeContext();
    this.fixedSizes = fixedSizes;
    this.evaluator.exactDivision = this.exactDivision;
    const module = this.scopeOf(model);
    const values = new Scope(module.constants);
    for (const param of model.params) {
      const override = overrides.get(param.name.text);
      const value = override ?? (param.default ? this.evaluator.evaluate(param.default, values) : undefined);
      if (value === undefined) {
        if (!param.default) {
          this.report("E0203", param.name.span, `model parameter \`${param.name.text}\` needs a default value`, { help: `write \`${param.name.text} = …\`` });
        }
        this.complete = false;
        // Uses of the parameter stay silent: its one problem is already reported.
        values.define(param.name.text, { value: FAILED, span: param.name.span });
        continue;
      }
      values.define(param.name.text, { value, span: param.name.span });
    }
    const env: Env = { values, tensors: new Map(), context: [], blockPath: [], blockCalls: [], frozen: false, inModel: true, module };
    let inputName = "";
    try {
      this.body(model.body, env);
    } catch (error) {
      if (!(error instanceof LimitExceeded)) throw error;
      this.complete = false;
    }
    this.sink.context = [];
    const input = this.nodes.find((n) => n.op === "input");
    if (input !== undefined) inputName = input.name;
    else if (!this.inputSeen) {
      this.report("E0212", model.name.span, `model \`${model.name.text}\` has no input`, { help: "add a line such as `input image: [224, 224, 3]` at the top of its body" });
    }
    const params = { trainable: 0, frozen: 0, nonTrainable: 0, total: 0 };
    let macs = 0;
    for (const node of this.nodes) {
      if (node.frozen) params.frozen += node.params.trainable;
      else params.trainable += node.params.trainable;
      params.nonTrainable += node.params.nonTrainable;
      macs += node.macs;
    }
    params.total = params.trainable + params.frozen + params.nonTrainable;
    if (params.total > LIMITS.params) {
      this.report("E0401", model.name.span, `model \`${model.name.text}\` has ${formatLimit(params.total)} parameters, over the limit of ${formatLimit(LIMITS.params)}`, {
        help: "reduce the widths, the repeat counts, or the size of the first dense layer after flatten",
      });
      this.complete = false;
    }
    const output = env.current;
    const outputKnown = output !== undefined && output.shape !== undefined;
    return {
      name: model.name.text,
      decl: model,
      inputName,
      nodes: this.nodes,
      outputId: outputKnown && this.complete ? output.node : undefined,
      params,
      macs,
      complete: this.complete && outputKnown,
      ...(this.sizes.symbolic ? { sizes: { sets: this.sizes.snapshot(), reasons: [...this.sizes.reasons] } } : {}),
    };
  }

  /** Whether `dividend / divisor` can be exact: narrows the sizes to multiples, as `H / 32` asks. */
  private readonly exactDivision = (dividend: Dim, divisor: number, span: Span): boolean => this.holds(remainder(dividend, divisor), "==", 0, span);

  /**
   * A size comparison for shape rules and joins. On a failure that depends on symbolic sizes
   * it remembers why, so the error that follows says which sizes the layer needs.
   */
  private holds(a: Dim, relation: Relation, b: Dim, span: Span): boolean {
    // Inside a block from another file, reasons point at the call in the main file.
    const result = this.sizes.compare(a, relation, b, this.site ?? span);
    if (result.verdict === "always" || result.verdict === "conditional") return true;
    if ((isSymbolic(a) || isSymbolic(b)) && result.explanation !== undefined) {
      this.sizeFailure ??= { code: result.verdict === "never" ? "E0701" : "E0702", explanation: result.explanation };
    }
    return false;
  }

  /** Reports a shape error, rewritten as E0701/E0702 when symbolic sizes made it fail. */
  private reportShape(code: Code, span: Span, message: string, extras: DiagnosticExtras = {}): void {
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

  private report(code: Code, span: Span, message: string, extras: DiagnosticExtras = {}): void {
    this.complete = false;
    this.sink.add(diagnostic(code, span, message, extras));
  }

  private addNode(op: string, role: NodeRole, args: Args, inputs: Tensor[], shape: Shape, params: ParamCounts, macs: number, span: Span, env: Env): Tensor {
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

  private unknown(env: Env, origin: Span): Tensor {
    return { node: env.current?.node ?? -1, origin };
  }

  private body(body: Body, env: Env): void {
    if (this.depth >= LIMITS.elaborationDepth) {
      // The innermost notes say where the chain ends; all of them would repeat the chain hundreds of times.
      this.sink.context = env.context.slice(0, 3);
      this.report("E0403", { start: body.span.start, end: body.span.start + 1 }, `unrolling enters more than ${formatLimit(LIMITS.elaborationDepth)} nested bodies here`, {
        help: "block calls inside blocks inside loops nest too deeply: call the inner blocks one after another instead of one inside another",
      });
      throw new LimitExceeded();
    }
    this.depth++;
    try {
      for (const statement of body.statements) {
        this.statement(statement, env);
        if (statement.binding !== undefined && statement.binding.text !== "") {
          if (env.current !== undefined) env.tensors.set(statement.binding.text, { ...env.current, origin: statement.span });
        }
      }
    } finally {
      this.depth--;
    }
  }

  /**
   * Runs `iterations` of a repeat or loop body with the multiplicity they add, after
   * refusing a nest whose iterations multiply past the statement budget, or whose runs times
   * the layers one run adds at least pass the layer limit, before any runs.
   */
  private unrolled(count: number, span: Span, body: Body, env: Env, run: () => void, bound: readonly string[] = []): void {
    const total = this.multiplicity * count;
    if (total > LIMITS.steps) {
      const outer = this.multiplicity > 1 ? ` inside repeats and loops that run ${formatLimit(this.multiplicity)} times` : "";
      this.report("E0401", span, `this runs its body ${formatLimit(count)} times${outer}: ${formatLimit(total)} runs, over the limit of ${formatLimit(LIMITS.steps)}`, {
        help: "reduce the repeat counts or loop lengths",
      });
      throw new LimitExceeded();
    }
    const outermost = this.multiplicity === 1;
    if (outermost) this.layersBeforeLoops = this.nodes.length;
    // Nothing runs zero times: no estimate (its reading costs time too).
    const perRun = count === 0 ? 0 : this.layerEstimate.perRun(body, env.module.blocks, env.values, bound);
    const layers = this.layersBeforeLoops + total * perRun;
    if (layers > LIMITS.layers) {
      const runs = this.multiplicity > 1 ? `${formatLimit(total)} times (${formatLimit(count)} here, inside repeats and loops that run ${formatLimit(this.multiplicity)} times)` : `${formatLimit(count)} times`;
      const before = this.layersBeforeLoops > 0 ? ` with the ${formatLimit(this.layersBeforeLoops)} before it` : "";
      this.report("E0401", span, `this runs its body ${runs}, and each run adds at least ${formatLimit(perRun)} layers: at least ${formatLimit(layers)} layers${before}, over the limit of ${formatLimit(LIMITS.layers)}`, {
        help: "reduce the repeat counts or loop lengths, or the layers in the body",
      });
      throw new LimitExceeded();
    }
    const outer = this.multiplicity;
    this.multiplicity = Math.max(1, total);
    try {
      run();
    } finally {
      this.multiplicity = outer;
    }
  }

  /**
   * The current tensor. A layer before the model's input has none; the model-level "has no
   * input" error (or the broken `input` line) already says why, so this stays silent.
   */
  private requireCurrent(env: Env, span: Span): Tensor | undefined {
    if (env.current !== undefined) return env.current;
    this.complete = false;
    env.current = { node: -1, origin: span };
    return undefined;
  }

  /** Counts one executed statement against the budget that keeps elaboration bounded. */
  private step(span: Span): void {
    if (++this.steps <= LIMITS.steps) return;
    this.report("E0401", span, `unrolling this model runs more than ${formatLimit(LIMITS.steps)} statements`, { help: "reduce the repeat counts or loop lengths" });
    throw new LimitExceeded();
  }

  private statement(statement: Statement, env: Env): void {
    this.sink.context = env.context;
    this.site = env.site;
    this.step(statement.span);
    try {
      this.statementUnguarded(statement, env);
    } catch (error) {
      if (!(error instanceof SizeTooComplex)) throw error;
      this.sink.context = env.context;
      this.report("E0404", statement.span, `the sizes here get too complex to check: ${error.message}`, { help: "use fewer strides or divisors that share no factor, or fix the sizes with `--shape H=…,W=…`" });
      env.current = this.unknown(env, statement.span);
    }
  }

  private statementUnguarded(statement: Statement, env: Env): void {
    switch (statement.kind) {
      case "chain":
        for (const call of statement.calls) this.call(call, env);
        return;
      case "input":
        return this.input(statement, env);
      case "let": {
        if (statement.name.text === "") return;
        if (env.values.hasOwn(statement.name.text)) {
          this.report("E0209", statement.name.span, `\`${statement.name.text}\` is already defined in this scope`, { help: "choose another name" });
          return;
        }
        const outer = env.values.lookup(statement.name.text);
        if (outer !== undefined) {
          // Values never change: a `let` in a loop body that reuses an outer name is a new
          // constant for that iteration only, which is rarely what the writer meant.
          this.sink.add(
            diagnostic("W0201", statement.name.span, `\`${statement.name.text}\` shadows an outer definition; the outer value does not change`, {
              related: [{ span: outer.span, message: "the outer definition" }],
              help: "values are constants: compute the value for each iteration in the loop list instead, or choose another name",
            }),
          );
        }
        let value = this.evaluator.evaluate(statement.value, env.values);
        if (value !== undefined && isSymbol(value)) value = this.evaluator.reportUnknownName(value);
        if (value === undefined) {
          // Later uses stay silent: the constant's one problem is already reported.
          this.complete = false;
          env.values.define(statement.name.text, { value: FAILED, span: statement.name.span });
          return;
        }
        env.values.define(statement.name.text, { value, span: statement.name.span });
        return;
      }
      case "from": {
        const tensor = env.tensors.get(statement.name.text);
        if (tensor === undefined) {
          this.unknownTensor(statement.name.text, statement.name.span, env);
          env.current = this.unknown(env, statement.span);
          return;
        }
        env.current = tensor;
        return;
      }
      case "expect":
        return this.expect(statement, env);
      case "repeat":
        return this.repeat(statement, env);
      case "for":
        return this.forLoop(statement, env);
      case "if": {
        const condition = this.condition(statement.condition, statement.span, env);
        if (condition === undefined) return;
        const chosen = condition ? statement.then : statement.otherwise;
        if (chosen) this.scoped(chosen, env);
        return;
      }
      case "residual":
        return this.residual(statement, env);
      case "gate":
        return this.gate(statement, env);
      case "frozen": {
        const inner: Env = { ...env, frozen: true };
        this.scoped(statement.body, inner);
        env.current = inner.current;
        return;
      }
      case "join":
        return this.join(statement, env);
    }
  }

  /** A compile-time condition; undefined (and an unknown tensor) when it has no boolean value. */
  private condition(expr: Expr, span: Span, env: Env): boolean | undefined {
    const value = this.evaluator.evaluate(expr, env.values);
    const condition = value === undefined ? undefined : this.evaluator.boolean(value, expr.span);
    if (condition === undefined) {
      this.complete = false;
      env.current = this.unknown(env, span);
    }
    return condition;
  }

  /** Runs a nested body in a child value scope that shares the tensors and current tensor. */
  private scoped(body: Body, env: Env, extra?: (scope: Scope) => void, context?: RelatedInfo): void {
    const child: Env = { ...env, values: env.values.child(), context: context ? [context, ...env.context] : env.context };
    extra?.(child.values);
    this.body(body, child);
    this.sink.context = env.context;
    env.current = child.current;
  }

  private input(statement: Extract<Statement, { kind: "input" }>, env: Env): void {
    if (!env.inModel) {
      this.report("E0212", statement.span, "`input` belongs in a model, not in a block", { help: "a block starts from the tensor it is called on; remove this line" });
      return;
    }
    if (this.inputSeen) {
      this.report("E0212", statement.span, "a model has one input", { help: "remove this line, or use `from NAME` to continue from a named tensor" });
      return;
    }
    this.inputSeen = true;
    const value = this.evaluator.evaluate(statement.shape, env.values);
    const shape = value === undefined ? undefined : this.inputShape(value, statement.shape, env);
    if (shape === undefined) {
      this.complete = false;
      env.current = { node: -1, origin: statement.span };
      return;
    }
    if (shape.length !== 3 && shape.length !== 1) {
      // Two sizes are an image without its channels; four, one with a batch dimension.
      const withChannels = formatShape([...shape, 1]);
      const extras: DiagnosticExtras =
        shape.length === 2
          ? { help: `add the channels: \`${withChannels}\` for a grayscale image`, fixes: [{ title: `Write \`${withChannels}\``, edits: [{ span: statement.shape.span, newText: withChannels }] }] }
          : { help: shape.length === 4 ? "the batch dimension is implicit; do not write it" : "write the height, width and channels, or the features" };
      this.report("E0311", statement.shape.span, `an input shape is [height, width, channels] or [features], found ${formatShape(shape)}`, extras);
      env.current = { node: -1, origin: statement.span };
      return;
    }
    const tensor = this.addNode("input", "input", {}, [], shape, { trainable: 0, nonTrainable: 0 }, 0, statement.span, env);
    this.nodes[tensor.node]!.name = statement.name.text || "input";
    env.current = tensor;
    if (statement.name.text !== "") env.tensors.set(statement.name.text, tensor);
  }

  /**
   * The model's input shape. Height and width may be names (`[H, W, 3]`): each becomes a
   * symbolic size, unless `--shape` fixed it, and is then in scope for `expect` and arguments.
   */
  private inputShape(value: Value, expr: Expr, env: Env): Shape | undefined {
    const list = this.evaluator.list(value, expr.span);
    if (list === undefined) return undefined;
    const itemSpan = (i: number): Span => (expr.kind === "list" ? expr.items[i]?.span ?? expr.span : expr.span);
    const dims: Dim[] = [];
    for (let i = 0; i < list.length; i++) {
      const item = list[i]!;
      if (isSymbol(item) && list.length === 3 && i < 2) {
        const fixed = this.fixedSizes.get(item.name);
        const dim: Dim = fixed ?? sizeVar(item.name);
        if (fixed === undefined) this.sizes.declare(item.name);
        if (!env.values.hasOwn(item.name)) env.values.define(item.name, { value: dim as Value, span: item.span });
        dims.push(dim);
        continue;
      }
      if (isSymbol(item)) {
        this.report("E0311", item.span, `\`${item.name}\` names a size, but only height and width may be symbolic`, { help: "write the number of channels (or features) as a whole number" });
        return undefined;
      }
      if (typeof item !== "number" || !Number.isInteger(item) || item < 1) {
        this.report("E0311", itemSpan(i), `dimensions must be whole numbers ≥ 1 or size names, found ${describeValue(item)}`);
        return undefined;
      }
      dims.push(item);
    }
    return dims;
  }

  /** A shape written in the source (`expect`): whole numbers or expressions over the model's sizes. */
  private shapeLiteral(value: Value, span: Span): Dim[] | undefined {
    const list = this.evaluator.list(value, span);
    if (list === undefined) return undefined;
    const dims: Dim[] = [];
    for (const item of list) {
      if (isSize(item)) {
        dims.push(item as Sym);
        continue;
      }
      if (typeof item !== "number" || !Number.isInteger(item) || item < 1) {
        if (isSymbol(item)) {
          this.evaluator.reportUnknownName(item);
          this.complete = false;
          return undefined;
        }
        this.report("E0311", span, `dimensions must be whole numbers ≥ 1, found ${describeValue(item)}`);
        return undefined;
      }
      dims.push(item);
    }
    return dims;
  }

  private expect(statement: Extract<Statement, { kind: "expect" }>, env: Env): void {
    const current = this.requireCurrent(env, statement.span);
    const value = this.evaluator.evaluate(statement.shape, env.values);
    const expected = value === undefined ? undefined : this.shapeLiteral(value, statement.shape.span);
    if (current?.shape === undefined || expected === undefined) return;
    if (!sameShape(current.shape, expected, (a, relation, b) => this.holds(a, relation, b, statement.span))) {
      this.reportShape(
        "E0310",
        statement.shape.span,
        `expected shape ${formatShape(expected)}, but the tensor here is ${formatShape(current.shape)}`,
        {
          label: `inferred ${formatShape(current.shape)}`,
          related: [{ span: current.origin, message: `${formatShape(current.shape)} comes from here` }],
          help: "correct the expectation, or the layers before it",
          fixes: [{ title: `Expect ${formatShape(current.shape)}`, edits: [{ span: statement.shape.span, newText: formatShape(current.shape) }] }],
        }
      );
      env.current = this.unknown(env, statement.span);
    }
  }

  private repeat(statement: Extract<Statement, { kind: "repeat" }>, env: Env): void {
    const value = this.evaluator.evaluate(statement.count, env.values);
    const count = value === undefined ? undefined : this.evaluator.integer(value, statement.count.span);
    if (count === undefined) {
      this.complete = false;
      env.current = this.unknown(env, statement.span);
      return;
    }
    if (count < 0) {
      this.report("E0206", statement.count.span, `a repeat count cannot be negative, found ${count}`, { help: "use 0 to skip the body" });
      return;
    }
    if (count > LIMITS.repeat) {
      this.report("E0401", statement.count.span, `repeat ${count} is over the limit of ${formatLimit(LIMITS.repeat)}`, { help: "reduce the count" });
      env.current = this.unknown(env, statement.span);
      return;
    }
    this.unrolled(count, statement.count.span, statement.body, env, () => {
      for (let i = 0; i < count; i++) {
        const note = i === 0 ? undefined : { span: statement.keyword, message: `in iteration ${i + 1} of this repeat` };
        this.scoped(statement.body, env, undefined, note);
        // Once an iteration has failed, later ones could only repeat its message.
        if (env.current !== undefined && env.current.shape === undefined) return;
      }
    });
  }

  private forLoop(statement: Extract<Statement, { kind: "for" }>, env: Env): void {
    const value = this.evaluator.evaluate(statement.iterable, env.values);
    const items = value === undefined ? undefined : this.evaluator.list(value, statement.iterable.span);
    if (items === undefined) {
      this.complete = false;
      env.current = this.unknown(env, statement.span);
      return;
    }
    if (items.length > LIMITS.repeat) {
      this.report("E0401", statement.iterable.span, `the loop has ${items.length} items, over the limit of ${formatLimit(LIMITS.repeat)}`, { help: "use a shorter list" });
      env.current = this.unknown(env, statement.span);
      return;
    }
    const names = statement.variables;
    this.unrolled(items.length, statement.iterable.span, statement.body, env, () => {
      for (let i = 0; i < items.length; i++) {
        const item = items[i]!;
        let parts: readonly Value[] = [item];
        if (names.length > 1) {
          if (!Array.isArray(item) || item.length !== names.length) {
            const itemSpan = statement.iterable.kind === "list" ? statement.iterable.items[i]?.span ?? statement.iterable.span : statement.iterable.span;
            this.report("E0402", itemSpan, `item ${i + 1} of the loop should have ${names.length} values (${names.map((n) => n.text).join(", ")}), found ${describeValue(item)}`, { help: `write it as a tuple of ${names.length}` });
            env.current = this.unknown(env, statement.span);
            return;
          }
          parts = item;
        }
        const note = { span: statement.keyword, message: `in the loop iteration where ${names.map((n, k) => `${n.text} = ${describeValue(parts[k]!)}`).join(", ")}` };
        this.scoped(statement.body, env, (scope) => names.forEach((n, k) => scope.define(n.text, { value: parts[k]!, span: n.span })), i === 0 ? undefined : note);
      }
    }, names.map((n) => n.text));
  }

  private residual(statement: Extract<Statement, { kind: "residual" }>, env: Env): void {
    if (statement.condition !== undefined) {
      const condition = this.condition(statement.condition, statement.span, env);
      if (condition === undefined) return;
      if (!condition) {
        this.scoped(statement.body, env);
        return;
      }
    }
    const input = this.requireCurrent(env, statement.keyword);
    if (input === undefined) return;
    this.scoped(statement.body, env);
    const branch = env.current!;
    let shortcut: Tensor | undefined = input;
    const invalidMode = (statement.shortcut as { invalidMode?: { text: string; span: Span } } | undefined)?.invalidMode;
    if (invalidMode !== undefined) {
      this.report("E0205", invalidMode.span, `a shortcut is \`auto\` or a \`{ … }\` body, found \`${invalidMode.text}\``, { fixes: [{ title: "Use `shortcut auto`", edits: [{ span: invalidMode.span, newText: "auto" }] }] });
      env.current = this.unknown(env, statement.span);
      return;
    }
    if (statement.shortcut?.kind === "body") {
      const shortcutEnv: Env = { ...env, current: input };
      this.scoped(statement.shortcut.body, shortcutEnv);
      shortcut = shortcutEnv.current;
    }
    if (branch.shape === undefined || input.shape === undefined || shortcut?.shape === undefined) {
      env.current = this.unknown(env, statement.span);
      return;
    }
    const lastStatement = statement.body.statements[statement.body.statements.length - 1];
    const branchSpan = lastStatement?.span ?? statement.keyword;
    // With `shortcut auto`, sizes for which the shapes differ get a projection rather than a narrowing.
    const auto = statement.shortcut?.kind === "auto";
    const equal = auto
      ? branch.shape.length === shortcut.shape.length && branch.shape.every((d, i) => this.sizes.compare(d, "==", shortcut!.shape![i]!, branchSpan, false).verdict === "always")
      : sameShape(branch.shape, shortcut.shape, (a, relation, b) => this.holds(a, relation, b, branchSpan));
    if (!equal) {
      this.sizeFailure = undefined;
      if (statement.shortcut?.kind === "auto") {
        shortcut = this.projection(input, branch.shape, statement.shortcut.span, env);
        if (shortcut === undefined) return;
      } else {
        const body = statement.shortcut?.kind === "body";
        this.report(
          "E0302",
          branchSpan,
          `residual add needs equal shapes, but the ${body ? "body" : "branch"} ends as ${formatShape(branch.shape)} and the shortcut carries ${formatShape(shortcut.shape)}`,
          {
            label: `the branch ends as ${formatShape(branch.shape)}`,
            related: [{ span: body ? statement.shortcut!.span : input.origin, message: `the shortcut carries ${formatShape(shortcut.shape)}` }],
            help: body ? "make the shortcut body produce the branch's shape" : `add \`shortcut auto\` after the closing brace${projectionHint(input.shape, branch.shape)}`,
            fixes: body ? [] : [{ title: "Add `shortcut auto`", edits: [{ span: { start: statement.body.span.end, end: statement.body.span.end }, newText: " shortcut auto" }] }],
          }
        );
        env.current = this.unknown(env, statement.span);
        return;
      }
    }
    env.current = this.addNode("add", "residual", {}, [branch, shortcut], simplestShape([branch.shape, shortcut.shape!]), { trainable: 0, nonTrainable: 0 }, 0, statement.keyword, env);
  }

  /** `shortcut auto`: a 1x1 convolution (no bias) and batchnorm that map the input to the branch's shape. */
  private projection(input: Tensor, target: Shape, span: Span, env: Env): Tensor | undefined {
    const from = input.shape!;
    let stride: number | undefined;
    if (from.length === 3 && target.length === 3) {
      // The smallest stride that works for every accepted size; failing that, one that works for some.
      const maxStride = Math.min(64, Math.max(...[from[0]!, from[1]!].map((d) => (typeof d === "number" ? d : 64))));
      const verdict = (s: number, commit: boolean): boolean[] =>
        [0, 1].map((axis) => {
          const result = this.sizes.compare(windowOutput(from[axis]!, 1, s, 0, 0, 1), "==", target[axis]!, span, commit);
          return result.verdict === "always" || (commit && result.verdict === "conditional");
        });
      // Screens that rule out, exactly and cheaply, the strides whose comparisons would fail.
      const screens = [0, 1].map((axis) => this.sizes.strideScreen(from[axis]!, target[axis]!));
      for (let s = 1; s <= maxStride && stride === undefined; s++) {
        if (screens.every((screen) => screen.always(s)) && verdict(s, false).every((ok) => ok)) stride = s;
      }
      for (let s = 1; s <= maxStride && stride === undefined; s++) {
        const conditional = [0, 1].every((axis) => {
          const output = windowOutput(from[axis]!, 1, s, 0, 0, 1);
          return screens[axis]!.some(s, output) && this.sizes.compare(output, "==", target[axis]!, span, false).verdict !== "never";
        });
        if (conditional && verdict(s, true).every((ok) => ok)) stride = s;
      }
    }
    if (stride === undefined) {
      this.report("E0302", span, `no 1x1 convolution maps ${formatShape(from)} to ${formatShape(target)}`, { help: "write the shortcut as a `{ … }` body instead" });
      env.current = this.unknown(env, span);
      return undefined;
    }
    const padding = { mode: "explicit", top: 0, bottom: 0, left: 0, right: 0 } as const;
    const convArgs: Args = { ...defaultArgs(convOp), filters: numericShape(target)[2]!, kernel: [1, 1], stride: [stride, stride], padding, bias: false };
    const [inputSizes, targetSizes] = [numericShape(from), numericShape(target)];
    const conv = this.addNode("conv", "shortcut", convArgs, [input], target, convOp.params!(inputSizes, targetSizes, convArgs), convOp.macs!(inputSizes, targetSizes, convArgs), span, env);
    const batchnormArgs = defaultArgs(batchnormOp);
    return this.addNode("batchnorm", "shortcut", batchnormArgs, [conv], target, batchnormOp.params!(targetSizes, targetSizes, batchnormArgs), 0, span, env);
  }

  private gate(statement: Extract<Statement, { kind: "gate" }>, env: Env): void {
    const input = this.requireCurrent(env, statement.keyword);
    if (input === undefined) return;
    this.scoped(statement.body, env);
    const gate = env.current!;
    if (input.shape === undefined || gate.shape === undefined) {
      env.current = this.unknown(env, statement.span);
      return;
    }
    const broadcastable = gate.shape.length === input.shape.length && gate.shape.every((d, i) => (d === 1 && i < gate.shape!.length - 1) || this.holds(d, "==", input.shape![i]!, statement.keyword));
    this.sizeFailure = undefined;
    if (!broadcastable) {
      const last = statement.body.statements[statement.body.statements.length - 1];
      this.report(
        "E0304",
        last?.span ?? statement.keyword,
        `a gate multiplies its input ${formatShape(input.shape)} by its body's output, which must have the same shape or size 1 in height and width, but it is ${formatShape(gate.shape)}`,
        {
          label: `the gate ends as ${formatShape(gate.shape)}`,
          related: [{ span: input.origin, message: `the gated tensor ${formatShape(input.shape)} comes from here` }],
          help: input.shape.length === 3 ? `end the gate with ${input.shape[2]} channels; use \`global avgpool, keepdims: true\` to keep a 1×1 shape` : undefined,
        }
      );
      env.current = this.unknown(env, statement.span);
      return;
    }
    env.current = this.addNode("multiply", "gate", {}, [input, gate], input.shape, { trainable: 0, nonTrainable: 0 }, 0, statement.keyword, env);
  }

  private join(statement: Extract<Statement, { kind: "join" }>, env: Env): void {
    const opName = statement.op.text;
    if (!(MERGE_OPS as readonly string[]).includes(opName)) {
      const suggestion = closestMatch(opName, MERGE_OPS);
      this.report("E0201", statement.op.span, `\`${opName}\` cannot join branches`, { help: suggestion ? `did you mean \`${suggestion}\`?` : "branches are joined by `concat`, `add` or `multiply`" });
      env.current = this.unknown(env, statement.span);
      return;
    }
    if (statement.branches.length < 2) {
      this.report("E0212", statement.op.span, `\`${opName} { … }\` needs at least two branches, found ${statement.branches.length}`, { help: "add another `branch { … }`; an empty branch passes its input through" });
      env.current = this.unknown(env, statement.span);
      return;
    }
    const input = this.requireCurrent(env, statement.op.span);
    if (input === undefined) return;
    const outputs: Tensor[] = [];
    for (const branch of statement.branches) {
      const branchEnv: Env = { ...env, current: input };
      this.scoped(branch, branchEnv);
      outputs.push(branchEnv.current!);
    }
    this.merge(lookupOp(opName)!, outputs, statement.op.span, "join", env, statement.branches.map((b) => b.span));
  }

  /** Applies a merge op to tensors whose shapes may be unknown. */
  private merge(op: OpDef, inputs: Tensor[], span: Span, role: NodeRole, env: Env, inputSpans?: Span[]): void {
    if (inputs.some((t) => t.shape === undefined)) {
      env.current = this.unknown(env, span);
      return;
    }
    const shapes = inputs.map((t) => t.shape!);
    let reported = false;
    const shape = op.inferShape({
      input: shapes[0]!,
      inputs: shapes,
      args: {},
      report: (code, message, extras = {}) => {
        reported = true;
        const related = inputs.map((t, i) => ({ span: inputSpans?.[i] ?? t.origin, message: `${formatShape(t.shape)} comes from here` }));
        this.reportShape(code, span, message, { ...extras, related });
      },
      holds: (a, relation, b) => this.holds(a, relation, b, span),
    });
    if (shape === undefined || reported) {
      env.current = this.unknown(env, span);
      return;
    }
    env.current = this.addNode(op.name, role, {}, inputs, shape, { trainable: 0, nonTrainable: 0 }, 0, span, env);
  }

  private unknownTensor(name: string, span: Span, env: Env): void {
    const suggestion = closestMatch(name, env.tensors.keys());
    const known = [...env.tensors.keys()];
    this.report("E0211", span, `no tensor is named \`${name}\``, {
      help: suggestion ? `did you mean \`${suggestion}\`?` : known.length > 0 ? `the named tensors here are ${known.map((k) => `\`${k}\``).join(", ")}` : "name a tensor first with `as NAME` at the end of a line",
      fixes: suggestion ? [{ title: `Change to \`${suggestion}\``, edits: [{ span, newText: suggestion }] }] : [],
    });
  }

  private call(call: Call, env: Env): void {
    this.sink.context = env.context;
    this.site = env.site;
    const name = call.name.text;
    if (name === "" || name === "global_") {
      this.complete = false;
      env.current = this.unknown(env, call.span);
      return;
    }
    const op = lookupOp(name);
    if (op !== undefined) return this.opCall(op, call, env);
    const block = env.module.blocks.get(name);
    if (block !== undefined) return this.blockCall(block, call, env);
    if (env.module.silent.has(name)) {
      // A name whose import failed: that failure is the one report.
      this.complete = false;
      env.current = this.unknown(env, call.span);
      return;
    }
    const suggestion = closestMatch(name, [...OPS.map((o) => o.name), ...env.module.blocks.keys()]);
    const shown = suggestion ? sourceName(suggestion) : undefined;
    this.report("E0201", call.name.span, `unknown layer or block \`${sourceName(name)}\``, {
      help: shown ? `did you mean \`${shown}\`?` : "see `cnnc ops` for the layer kinds; blocks must be declared with `block NAME(…) { … }`",
      fixes: shown ? [{ title: `Change to \`${shown}\``, edits: [{ span: call.name.span, newText: shown }] }] : [],
    });
    env.current = this.unknown(env, call.span);
  }

  private opCall(op: OpDef, call: Call, env: Env): void {
    const shown = sourceName(op.name);
    const bound = bindArguments(call, shown, slotsOf(op), this.sink);
    const args: Record<string, ArgValue | undefined> = {};
    const argSpans = new Map<string, Span>();
    let ok = bound.ok;
    for (const spec of op.args) {
      if (spec.variadic) continue;
      const arg = bound.byName.get(spec.name);
      if (arg === undefined) {
        args[spec.name] = defaultValue(spec);
        continue;
      }
      argSpans.set(spec.name, arg.value.span);
      const value = this.evaluator.evaluate(arg.value, env.values);
      const converted = value === undefined ? undefined : convertArgument(value, spec.type, spec.name, arg.value.span, this.evaluator, this.sink);
      if (converted === undefined) ok = false;
      args[spec.name] = converted;
    }
    const inputs: Tensor[] = [];
    const current = this.requireCurrent(env, call.span);
    if (current === undefined) return;
    inputs.push(current);
    for (const arg of bound.variadic) {
      const value = this.evaluator.evaluate(arg.value, env.values);
      const tensorName = value === undefined ? undefined : isSymbol(value) ? value.name : undefined;
      const tensor = tensorName === undefined ? undefined : env.tensors.get(tensorName);
      if (tensor === undefined) {
        // A name that came through a loop variable is reported where it was written.
        if (tensorName !== undefined) this.unknownTensor(tensorName, isSymbol(value!) ? value.span : arg.value.span, env);
        else if (value !== undefined) this.report("E0205", arg.value.span, `\`${shown}\` takes tensor names, found ${JSON.stringify(value)}`, {});
        ok = false;
        continue;
      }
      inputs.push(tensor);
    }
    if (op.merge && bound.variadic.length === 0 && ok) {
      this.report("E0203", call.name.span, `\`${shown}\` needs at least one tensor name to join with the current tensor`, { help: `write \`${shown} NAME\`, naming a tensor bound with \`as NAME\`` });
      ok = false;
    }
    if (!ok) this.complete = false;
    if (!ok || inputs.some((t) => t.shape === undefined)) {
      env.current = this.unknown(env, call.span);
      this.recordCall(env, call, "op", op.name, current.shape, undefined, { trainable: 0, nonTrainable: 0 }, 0);
      return;
    }
    if (op.merge) {
      this.merge(op, inputs, call.span, "layer", env, inputs.map((t, i) => (i === 0 ? t.origin : bound.variadic[i - 1]!.value.span)));
      this.recordCall(env, call, "op", op.name, current.shape, env.current?.shape, { trainable: 0, nonTrainable: 0 }, 0);
      return;
    }
    const input = current.shape!;
    let failed = false;
    const shape = op.inferShape({
      input,
      inputs: [input],
      args,
      report: (code, message, extras = {}) => {
        failed = true;
        const span = extras.arg !== undefined ? argSpans.get(extras.arg) ?? call.span : call.span;
        const fixes = code === "E0307" ? [{ title: "Insert `flatten`", edits: [{ span: { start: call.span.start, end: call.span.start }, newText: "flatten -> " }] }] : extras.fixes;
        const related = [{ span: current.origin, message: `the input ${formatShape(input)} comes from here` }];
        // A stated count that held on an earlier run of this line (a repeat's first iteration, an
        // earlier call of the block) cannot hold on every run: writing this run's count would
        // break that one, so the way out is to state none.
        const statedBefore = code === "E0301" && extras.arg !== undefined && this.statedChannelsHeld.has(call);
        const stated = statedBefore ? call.args.find((a) => a.name?.text === extras.arg) : undefined;
        const removal = stated === undefined ? {} : {
          help: `\`${extras.arg}\` held on an earlier run of this line, and no one count fits every run: remove it (the checker infers the ${extras.arg === "in_features" ? "features" : "channels"})`,
          fixes: [{ title: `Remove \`${extras.arg}\``, edits: [{ span: argumentRemoval(call, stated), newText: "" }] }],
        };
        this.reportShape(code, span, `${shown} ${message}`, { ...extras, fixes, related: [...related, ...(extras.related ?? [])], ...removal });
      },
      holds: (a, relation, b) => this.holds(a, relation, b, call.span),
    });
    if (shape === undefined || failed) {
      env.current = this.unknown(env, call.span);
      this.recordCall(env, call, "op", op.name, input, undefined, { trainable: 0, nonTrainable: 0 }, 0);
      return;
    }
    this.statedChannelsHeld.add(call);
    const params = op.params ? op.params(numericShape(input), numericShape(shape), args) : { trainable: 0, nonTrainable: 0 };
    const macs = op.macs ? op.macs(numericShape(input), numericShape(shape), args) : 0;
    if (Number.isNaN(params.trainable) || Number.isNaN(params.nonTrainable)) {
      // Weights must not depend on the input size; the only way there is a dense layer after flatten.
      this.report("E0703", call.span, `${shown} would have a weight count that depends on the input size: its input is ${formatShape(input)}`, {
        help: "use `global avgpool` instead of `flatten` before it, or fix the sizes with `--shape H=…,W=…`",
      });
      env.current = this.unknown(env, call.span);
      this.recordCall(env, call, "op", op.name, input, undefined, { trainable: 0, nonTrainable: 0 }, 0);
      return;
    }
    env.current = this.addNode(op.name, "layer", args, inputs, shape, params, macs, call.span, env);
    this.recordCall(env, call, "op", op.name, input, shape, params, macs, this.nodes[env.current.node]!.field);
  }

  private blockCall(block: BlockDecl, call: Call, env: Env): void {
    const name = block.name.text;
    if (this.activeBlocks.includes(block)) {
      // The static pass reports the cycle once; here elaboration only stops descending.
      this.complete = false;
      env.current = this.unknown(env, call.span);
      return;
    }
    const slots: Slot[] = block.params.map((p) => ({ name: p.name.text, positional: true, required: p.default === undefined }));
    const bound = bindArguments(call, name, slots, this.sink);
    const module = this.scopeOf(block);
    const values = new Scope(module.constants);
    let ok = bound.ok;
    for (const param of block.params) {
      const arg = bound.byName.get(param.name.text);
      // Defaults are evaluated inside the block, so they may use earlier parameters.
      const value = arg !== undefined ? this.evaluator.evaluate(arg.value, env.values) : param.default !== undefined ? this.evaluator.evaluate(param.default, values) : undefined;
      if (value === undefined) {
        ok = false;
        continue;
      }
      values.define(param.name.text, { value, span: param.name.span });
    }
    const current = this.requireCurrent(env, call.span);
    if (current === undefined) return;
    if (!ok) {
      this.complete = false;
      env.current = this.unknown(env, call.span);
      this.recordCall(env, call, "block", name, current.shape, undefined, { trainable: 0, nonTrainable: 0 }, 0);
      return;
    }
    let declaredOutput: Shape | undefined;
    let compareWithBody = true;
    if (block.contract !== undefined && current.shape !== undefined) {
      declaredOutput = this.applyContract(block, block.contract, values, current.shape, call);
      if (declaredOutput === undefined) {
        env.current = this.unknown(env, call.span);
        this.recordCall(env, call, "block", name, current.shape, undefined, { trainable: 0, nonTrainable: 0 }, 0);
        return;
      }
      // Once the body is known to break its contract, the per-call comparison would only repeat that.
      compareWithBody = this.verifyContract(block, block.contract, values, current.shape, call);
    }
    const firstNode = this.nodes.length;
    const inner: Env = {
      values,
      tensors: passedTensors(block, values, env.tensors),
      current,
      context: [{ span: call.span, message: `in this call of \`${call.name.text}\`` }, ...env.context],
      // The name as this call wrote it: an imported block may go by another name here.
      blockPath: [...env.blockPath, call.name.text],
      blockCalls: [...env.blockCalls, { id: this.blockCallCount++, span: env.site ?? call.span, label: callLabel(call, block, bound, values) }],
      frozen: env.frozen,
      inModel: false,
      module,
      site: env.site ?? (module === env.module ? undefined : call.span),
    };
    this.activeBlocks.push(block);
    try {
      this.body(block.body, inner);
    } finally {
      this.activeBlocks.pop();
      this.sink.context = env.context;
    }
    const output = inner.current!;
    if (compareWithBody && declaredOutput !== undefined && output.shape !== undefined && !sameShape(output.shape, declaredOutput, (a, relation, b) => this.holds(a, relation, b, call.span))) {
      this.sizeFailure = undefined;
      this.report("E0704", block.contract!.output.span, `\`${name}\` declares the output ${formatShape(declaredOutput)}, but its body gives ${formatShape(output.shape)} for this call`, {
        related: [{ span: call.span, message: `called here on ${formatShape(current.shape)}` }],
        help: "correct the contract's output, or the block's body",
      });
    }
    // After a contract block, later layers see the declared output: equal to the body's for every
    // accepted size, and written the way the block's author states it. Where the body breaks the
    // contract (reported once, above or when it was verified) or fails, the declared output is
    // still what the caller relies on, so the layers after the call give no follow-on errors.
    env.current = { ...output, ...(declaredOutput !== undefined ? { shape: declaredOutput } : {}), origin: call.span };
    const params = { trainable: 0, nonTrainable: 0 };
    let macs = 0;
    for (let i = firstNode; i < this.nodes.length; i++) {
      params.trainable += this.nodes[i]!.params.trainable;
      params.nonTrainable += this.nodes[i]!.params.nonTrainable;
      macs += this.nodes[i]!.macs;
    }
    this.recordCall(env, call, "block", name, current.shape, env.current.shape, params, macs, output.shape === undefined ? undefined : this.nodes[output.node]?.field);
    const facts = this.calls.get(call);
    const input = current.shape;
    if (block.contract === undefined && facts !== undefined && !Object.hasOwn(facts, "inferredContract") && input !== undefined && output.shape !== undefined) {
      // Inferred only when a hover asks, and not enumerable, so the facts stay plain data.
      let inferred: string | undefined | null = null;
      Object.defineProperty(facts, "inferredContract", {
        enumerable: false,
        get: () => (inferred === null ? (inferred = this.inferContract(block, values, input)) : inferred),
      });
    }
  }

  /** The contract a block's body implies for this call's arguments and channels, for hovers. */
  private inferContract(block: BlockDecl, callValues: Scope, input: Shape): string | undefined {
    if (input.length !== 3) return undefined;
    const key = signatureKey(block, callValues, input[2]!);
    const cached = this.inferredContracts.get(key);
    if (cached !== undefined) return cached;
    const taken = new Set(block.params.map((p) => p.name.text));
    const [hName, wName] = taken.has("h") || taken.has("w") ? ["height", "width"] : ["h", "w"];
    const generic: Shape = [sizeVar(hName!), sizeVar(wName!), input[2]!];
    const outcome = this.sandbox((values) => {
      copyParameters(block, callValues, values);
      this.sizes.declare(hName!);
      this.sizes.declare(wName!);
      return [];
    }, block, generic);
    if (outcome.error !== undefined || outcome.output === undefined) return undefined;
    const conditions = describeSizes(outcome.sets).filter((c) => !c.endsWith("any size"));
    const text = `${formatShape(generic)} -> ${formatShape(outcome.output, { sizes: outcome.sets })}${conditions.length > 0 ? ` where ${conditions.join(" and ")}` : ""}`;
    this.inferredContracts.set(key, text);
    return text;
  }

  /**
   * Matches the input against a block's contract at a call: names in the input pattern bind
   * (and become constants in the body), other entries must equal the input. Returns the
   * declared output shape, or undefined after reporting E0704.
   */
  private applyContract(block: BlockDecl, contract: Contract, values: Scope, input: Shape, call: Call): Shape | undefined {
    const pattern = contract.input;
    const fail = (message: string, help: string): undefined => {
      this.report("E0704", call.span, message, { related: [{ span: pattern.span, message: "the contract's input" }], help });
      return undefined;
    };
    if (pattern.kind !== "list") {
      this.report("E0704", pattern.span, "a contract's input is a shape pattern such as `[h, w, c]`", { help: "write the names or sizes in brackets" });
      return undefined;
    }
    if (pattern.items.length !== input.length) {
      return fail(`\`${block.name.text}\` takes ${pattern.items.length === 3 ? "a [height, width, channels]" : `a rank-${pattern.items.length}`} tensor by its contract, but gets ${formatShape(input)}`, "pass a tensor of the declared rank, or change the contract");
    }
    for (let i = 0; i < pattern.items.length; i++) {
      const item = pattern.items[i]!;
      const actual = input[i]!;
      if (item.kind === "name" && values.lookup(item.name.text) === undefined) {
        values.define(item.name.text, { value: actual as Value, span: item.span });
        continue;
      }
      const expected = this.evaluator.evaluate(item, values);
      if (expected === undefined) return undefined;
      if ((typeof expected !== "number" && !isSize(expected)) || !this.holds(actual, "==", expected as Dim, call.span)) {
        this.sizeFailure = undefined;
        const axis = input.length === 3 ? ["height", "width", "channels"][i]! : "features";
        return fail(`\`${block.name.text}\` expects ${axis} ${describeValue(expected)} by its contract, but the input ${formatShape(input)} has ${formatShape([actual]).slice(1, -1)}`, "pass a tensor of the declared shape, or change the contract");
      }
    }
    return this.contractOutput(block, contract, values, call.span);
  }

  /** The contract's output, evaluated with the parameters and the names bound from the input. */
  private contractOutput(block: BlockDecl, contract: Contract, values: Scope, span: Span): Shape | undefined {
    const value = this.evaluator.evaluate(contract.output, values);
    if (value === undefined) return undefined;
    const list = Array.isArray(value) ? (value as readonly Value[]) : undefined;
    const valid = (d: Value): boolean => isSize(d) || (typeof d === "number" && Number.isInteger(d) && d >= 1);
    if (list === undefined || !list.every(valid)) {
      const bad = list?.find((d) => !valid(d));
      const whole = typeof bad === "number" && !Number.isInteger(bad);
      this.report("E0704", span, `\`${block.name.text}\`'s contract gives ${whole ? `a fractional size ${bad} for this input` : `no valid shape (${describeValue(value)})`}`, {
        related: [{ span: contract.output.span, message: "the declared output" }],
        help: whole ? "the contract divides a size exactly: pass an input whose size is a multiple of the divisor, or round with floor(…) or ceil(…) in the contract" : "write the output as a list of sizes",
      });
      return undefined;
    }
    return list as Dim[];
  }

  /**
   * Checks a contract against the block's body once for every height and width: the body
   * runs on [h, w, channels] with h and w symbolic (the channels and arguments of this call),
   * and must give the declared output for every size the contract admits.
   */
  private verifyContract(block: BlockDecl, contract: Contract, callValues: Scope, input: Shape, call: Call): boolean {
    if (contract.input.kind !== "list" || input.length !== 3) return true;
    const channels = input[2]!;
    const key = signatureKey(block, callValues, channels);
    const known = this.verifiedContracts.get(key);
    if (known !== undefined) return known;
    // A block from an imported file keeps its tree while that file is unchanged (see
    // modules.ts), so a contract it was once proved to keep stays proved.
    const imported = block.span.start >= FILE_SPACING;
    if (imported && PROVED_CONTRACTS.get(block)?.has(key)) return true;
    this.verifiedContracts.set(key, false);
    const pattern = contract.input.items;
    const names = pattern.map((item, i) => (item.kind === "name" && callValues.lookup(item.name.text)?.span === item.span ? item.name.text : i === 0 ? "h" : i === 1 ? "w" : "c"));
    const generic: Shape = [0, 1].map((i) => (pattern[i]!.kind === "name" ? sizeVar(names[i]!) : input[i]!)).concat([channels]);
    const outcome = this.sandbox((values) => {
      copyParameters(block, callValues, values);
      for (let i = 0; i < 2; i++) if (isSymbolic(generic[i]!)) this.sizes.declare(names[i]!);
      const declared = this.applyContract(block, contract, values, generic, call);
      return declared;
    }, block, generic);
    if (outcome.error !== undefined) {
      this.report("E0704", contract.span, `\`${block.name.text}\`'s body cannot be checked for every input ${formatShape(generic)}: ${outcome.error}`, {
        related: [{ span: call.span, message: "checked with this call's arguments" }],
        help: "the contract must hold for every height and width it admits; state a divisibility with `/` (`h / 2`) or a fixed size",
      });
      return false;
    }
    if (outcome.declared === undefined || outcome.output === undefined) return true;
    const mismatch = outcome.declared.findIndex((d, i) => outcome.compare(outcome.output![i]!, d) !== "always");
    if (mismatch !== -1 || outcome.declared.length !== outcome.output.length) {
      const sets = outcome.sets;
      this.report("E0704", contract.output.span, `\`${block.name.text}\`'s body gives ${formatShape(outcome.output, { sizes: sets })} for an input ${formatShape(generic)}, not the declared ${formatShape(outcome.declared, { sizes: sets })}`, {
        label: mismatch === -1 ? undefined : `they differ for some ${names.slice(0, 2).join(" or ")}`,
        related: [{ span: call.span, message: "checked with this call's arguments" }],
        help: "correct the contract (floor(h / 2) and ceil(h / 2) round; h / 2 requires h to be even), or the body",
      });
      return false;
    }
    this.verifiedContracts.set(key, true);
    if (imported) {
      const proved = PROVED_CONTRACTS.get(block) ?? new Set<string>();
      proved.add(key);
      PROVED_CONTRACTS.set(block, proved);
    }
    return true;
  }

  /**
   * Runs a block body on a symbolic input without touching the model being built: its own
   * nodes, sizes and diagnostics, discarded afterwards.
   */
  private sandbox(prepare: (values: Scope) => Shape | undefined, block: BlockDecl, input: Shape): { declared?: Shape; output?: Shape; error?: string; sets: ReadonlyMap<string, SizeSet>; compare: (a: Dim, b: Dim) => string } {
    const saved = { nodes: this.nodes, counters: this.counters, complete: this.complete, sizes: this.sizes, sink: this.sink, calls: this.calls, evaluator: this.evaluator, failure: this.sizeFailure, context: this.sink.context, blockCallCount: this.blockCallCount };
    const sink = new DiagnosticSink();
    this.nodes = [];
    this.counters = new Map();
    this.sizes = new SizeContext();
    this.sink = sink;
    this.calls = new Map();
    this.evaluator = new Evaluator(sink);
    this.evaluator.exactDivision = this.exactDivision;
    this.sizeFailure = undefined;
    const module = this.scopeOf(block);
    try {
      const values = new Scope(module.constants);
      const declared = prepare(values);
      const sizes = this.sizes;
      const firstError = (): string | undefined => sink.items.find((d) => d.severity === "error")?.message;
      if (declared === undefined || firstError() !== undefined) return { error: firstError() ?? "its contract does not apply", sets: sizes.snapshot(), compare: () => "never" };
      const start = this.addNode("input", "input", {}, [], input, { trainable: 0, nonTrainable: 0 }, 0, block.name.span, { values, tensors: new Map(), context: [], blockPath: [], blockCalls: [], frozen: false, inModel: false, module });
      const env: Env = { values, tensors: new Map(), current: start, context: [], blockPath: [block.name.text], blockCalls: [{ id: this.blockCallCount++, span: block.name.span, label: block.name.text }], frozen: false, inModel: false, module };
      this.activeBlocks.push(block);
      try {
        this.body(block.body, env);
      } finally {
        this.activeBlocks.pop();
      }
      const error = firstError();
      if (error !== undefined) return { error, sets: sizes.snapshot(), compare: () => "never" };
      return { declared, output: env.current?.shape, sets: sizes.snapshot(), compare: (a, b) => sizes.compare(a, "==", b, block.name.span, false).verdict };
    } catch (error) {
      if (!(error instanceof LimitExceeded)) throw error;
      return { error: "it is too large to unroll", sets: this.sizes.snapshot(), compare: () => "never" };
    } finally {
      this.nodes = saved.nodes;
      this.counters = saved.counters;
      this.complete = saved.complete;
      this.sizes = saved.sizes;
      this.sink = saved.sink;
      this.sink.context = saved.context;
      this.calls = saved.calls;
      this.evaluator = saved.evaluator;
      this.sizeFailure = saved.failure;
      this.blockCallCount = saved.blockCallCount; // a contract proof, cached or not, leaves the model's ids alone
    }
  }

  private recordCall(env: Env, call: Call, kind: "op" | "block", name: string, input: Shape | undefined, output: Shape | undefined, params: ParamCounts, macs: number, field?: Field): void {
    if (this.calls.has(call)) return;
    this.calls.set(call, { kind, name, input, output, params, macs, ...(env.frozen ? { frozen: true as const } : {}), ...(field ? { field } : {}), ...(this.sizes.symbolic ? { sizes: this.sizes.sets } : {}) });
  }
}

/** One call signature of a block: its arguments' values and the input channels. */
function signatureKey(block: BlockDecl, callValues: Scope, channels: Dim): string {
  return `${block.name.text}(${block.params.map((p) => describeValue(callValues.lookup(p.name.text)?.value ?? FAILED)).join(",")})@${formatDim(channels)}`;
}

/** Defines a call's parameter values in a fresh scope, for running the body on its own. */
function copyParameters(block: BlockDecl, from: Scope, into: Scope): void {
  for (const param of block.params) {
    const binding = from.lookup(param.name.text);
    if (binding !== undefined) into.define(param.name.text, binding);
  }
}

/**
 * The caller's tensors that a block's arguments name (`decoder_stage(256, enc3)`), under
 * their own names, so `concat skip` in the block finds the tensor its parameter names.
 */
function passedTensors(block: BlockDecl, values: Scope, tensors: ReadonlyMap<string, Tensor>): Map<string, Tensor> {
  const passed = new Map<string, Tensor>();
  for (const param of block.params) {
    const value = values.lookup(param.name.text)?.value;
    if (value === undefined || !isSymbol(value)) continue;
    const tensor = tensors.get(value.name);
    if (tensor !== undefined) passed.set(value.name, tensor);
  }
  return passed;
}

function projectionHint(from: Shape, to: Shape): string {
  if (from.length !== 3 || to.length !== 3 || !isConcreteShape(from) || !isConcreteShape(to)) return "";
  const stride = Math.round(from[0]! / to[0]!);
  return `, or a shortcut with a 1x1 conv${stride > 1 ? ` with stride ${stride}` : ""} to ${to[2]} channels`;
}

/** A block call with its arguments' values, as a graph labels it: `basic(128, stride: 2)`. */
function callLabel(call: Call, block: BlockDecl, bound: BoundArguments, values: Scope): string {
  const args = block.params.flatMap((param) => {
    const given = bound.byName.get(param.name.text);
    const value = values.lookup(param.name.text)?.value;
    if (given === undefined || value === undefined) return [];
    return [`${given.name !== undefined ? `${param.name.text}: ` : ""}${describeValue(value)}`];
  });
  return `${call.name.text}(${args.join(", ")})`;
}
