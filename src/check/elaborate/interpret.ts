// The compile-time language: runs a body's statements in order. Values (`let`, loop
// variables, block parameters) are constants; `repeat` and `for` unroll; `if` picks a body
// at compile time; `input`, `from` and `expect` set or check the current tensor. Layer
// calls go to apply-op.ts, block calls to blocks.ts, and residual, gate and join to
// structures.ts.

import { diagnostic } from "../../diagnostics/codes.js";
import type { Span } from "../../diagnostics/diagnostic.js";
import { lookupOp, OPS, sourceName } from "../../ops/registry.js";
import type { Body, Call, Expr, Statement } from "../../syntax/ast.js";
import { formatShape, type Dim, type Shape } from "../../shape/shape.js";
import { sameShape } from "../../ops/merge.js";
import { sizeVar, SizeTooComplex, type Sym } from "../../shape/symbolic.js";
import type { DiagnosticExtras } from "../../diagnostics/codes.js";
import { closestMatch } from "../suggest.js";
import { describeValue, FAILED, isSize, isSymbol, type Value } from "../values.js";
import { formatLimit, LIMITS } from "../../limits.js";
import { LimitExceeded, type Env, type ModelState } from "./state.js";
import { opCall, unknownTensor } from "./apply-op.js";
import { blockCall } from "./blocks.js";
import { gate, join, residual } from "./structures.js";

/** Runs a body's statements, binding each statement's `as NAME` to the current tensor. */
export function runBody(st: ModelState, body: Body, env: Env): void {
  if (st.unrolling.depth >= LIMITS.elaborationDepth) {
    // The innermost notes say where the chain ends; all of them would repeat the chain hundreds of times.
    st.sink.context = env.context.slice(0, 3);
    st.report("E0403", { start: body.span.start, end: body.span.start + 1 }, `unrolling enters more than ${formatLimit(LIMITS.elaborationDepth)} nested bodies here`, {
      help: "block calls inside blocks inside loops nest too deeply: call the inner blocks one after another instead of one inside another",
    });
    throw new LimitExceeded();
  }
  st.unrolling.depth++;
  try {
    for (const statement of body.statements) {
      runStatement(st, statement, env);
      if (statement.binding !== undefined && statement.binding.text !== "") {
        if (env.current !== undefined) env.tensors.set(statement.binding.text, { ...env.current, origin: statement.span });
      }
    }
  } finally {
    st.unrolling.depth--;
  }
}

function runStatement(st: ModelState, statement: Statement, env: Env): void {
  st.sink.context = env.context;
  st.unrolling.site = env.site;
  st.step(statement.span);
  try {
    statementUnguarded(st, statement, env);
  } catch (error) {
    if (!(error instanceof SizeTooComplex)) throw error;
    st.sink.context = env.context;
    st.report("E0404", statement.span, `the sizes here get too complex to check: ${error.message}`, { help: "use fewer strides or divisors that share no factor, or fix the sizes with `--shape H=…,W=…`" });
    env.current = st.unknown(env, statement.span);
  }
}

function statementUnguarded(st: ModelState, statement: Statement, env: Env): void {
  switch (statement.kind) {
    case "chain":
      for (const call of statement.calls) runCall(st, call, env);
      return;
    case "input":
      return inputStatement(st, statement, env);
    case "let": {
      if (statement.name.text === "") return;
      if (env.values.hasOwn(statement.name.text)) {
        st.report("E0209", statement.name.span, `\`${statement.name.text}\` is already defined in this scope`, { help: "choose another name" });
        return;
      }
      const outer = env.values.lookup(statement.name.text);
      if (outer !== undefined) {
        // Values never change: a `let` in a loop body that reuses an outer name is a new
        // constant for that iteration only, which is rarely what the writer meant.
        st.sink.add(
          diagnostic("W0201", statement.name.span, `\`${statement.name.text}\` shadows an outer definition; the outer value does not change`, {
            related: [{ span: outer.span, message: "the outer definition" }],
            help: "values are constants: compute the value for each iteration in the loop list instead, or choose another name",
          }),
        );
      }
      let value = st.evaluator.evaluate(statement.value, env.values);
      if (value !== undefined && isSymbol(value)) value = st.evaluator.reportUnknownName(value);
      if (value === undefined) {
        // Later uses stay silent: the constant's one problem is already reported.
        st.complete = false;
        env.values.define(statement.name.text, { value: FAILED, span: statement.name.span });
        return;
      }
      env.values.define(statement.name.text, { value, span: statement.name.span });
      return;
    }
    case "from": {
      const tensor = env.tensors.get(statement.name.text);
      if (tensor === undefined) {
        unknownTensor(st, statement.name.text, statement.name.span, env);
        env.current = st.unknown(env, statement.span);
        return;
      }
      env.current = tensor;
      return;
    }
    case "expect":
      return expectStatement(st, statement, env);
    case "repeat":
      return repeatStatement(st, statement, env);
    case "for":
      return forLoop(st, statement, env);
    case "if": {
      const condition = st.condition(statement.condition, statement.span, env);
      if (condition === undefined) return;
      const chosen = condition ? statement.then : statement.otherwise;
      if (chosen) st.scoped(chosen, env);
      return;
    }
    case "residual":
      return residual(st, statement, env);
    case "gate":
      return gate(st, statement, env);
    case "frozen": {
      const inner: Env = { ...env, frozen: true };
      st.scoped(statement.body, inner);
      env.current = inner.current;
      return;
    }
    case "join":
      return join(st, statement, env);
  }
}

function inputStatement(st: ModelState, statement: Extract<Statement, { kind: "input" }>, env: Env): void {
  if (!env.inModel) {
    st.report("E0212", statement.span, "`input` belongs in a model, not in a block", { help: "a block starts from the tensor it is called on; remove this line" });
    return;
  }
  if (st.unrolling.inputSeen) {
    st.report("E0212", statement.span, "a model has one input", { help: "remove this line, or use `from NAME` to continue from a named tensor" });
    return;
  }
  st.unrolling.inputSeen = true;
  const value = st.evaluator.evaluate(statement.shape, env.values);
  const shape = value === undefined ? undefined : inputShape(st, value, statement.shape, env);
  if (shape === undefined) {
    st.complete = false;
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
    st.report("E0311", statement.shape.span, `an input shape is [height, width, channels] or [features], found ${formatShape(shape)}`, extras);
    env.current = { node: -1, origin: statement.span };
    return;
  }
  const tensor = st.addNode("input", "input", {}, [], shape, { trainable: 0, nonTrainable: 0 }, 0, statement.span, env);
  st.nodes[tensor.node]!.name = statement.name.text || "input";
  env.current = tensor;
  if (statement.name.text !== "") env.tensors.set(statement.name.text, tensor);
}

/**
 * The model's input shape. Height and width may be names (`[H, W, 3]`): each becomes a
 * symbolic size, unless `--shape` fixed it, and is then in scope for `expect` and arguments.
 */
function inputShape(st: ModelState, value: Value, expr: Expr, env: Env): Shape | undefined {
  const list = st.evaluator.list(value, expr.span);
  if (list === undefined) return undefined;
  const itemSpan = (i: number): Span => (expr.kind === "list" ? expr.items[i]?.span ?? expr.span : expr.span);
  const dims: Dim[] = [];
  for (let i = 0; i < list.length; i++) {
    const item = list[i]!;
    if (isSymbol(item) && list.length === 3 && i < 2) {
      const fixed = st.unrolling.fixedSizes.get(item.name);
      const dim: Dim = fixed ?? sizeVar(item.name);
      if (fixed === undefined) st.sizes.declare(item.name);
      if (!env.values.hasOwn(item.name)) env.values.define(item.name, { value: dim as Value, span: item.span });
      dims.push(dim);
      continue;
    }
    if (isSymbol(item)) {
      st.report("E0311", item.span, `\`${item.name}\` names a size, but only height and width may be symbolic`, { help: "write the number of channels (or features) as a whole number" });
      return undefined;
    }
    if (typeof item !== "number" || !Number.isInteger(item) || item < 1) {
      st.report("E0311", itemSpan(i), `dimensions must be whole numbers ≥ 1 or size names, found ${describeValue(item)}`);
      return undefined;
    }
    dims.push(item);
  }
  return dims;
}

/** A shape written in the source (`expect`): whole numbers or expressions over the model's sizes. */
function shapeLiteral(st: ModelState, value: Value, span: Span): Dim[] | undefined {
  const list = st.evaluator.list(value, span);
  if (list === undefined) return undefined;
  const dims: Dim[] = [];
  for (const item of list) {
    if (isSize(item)) {
      dims.push(item as Sym);
      continue;
    }
    if (typeof item !== "number" || !Number.isInteger(item) || item < 1) {
      if (isSymbol(item)) {
        st.evaluator.reportUnknownName(item);
        st.complete = false;
        return undefined;
      }
      st.report("E0311", span, `dimensions must be whole numbers ≥ 1, found ${describeValue(item)}`);
      return undefined;
    }
    dims.push(item);
  }
  return dims;
}

function expectStatement(st: ModelState, statement: Extract<Statement, { kind: "expect" }>, env: Env): void {
  const current = st.requireCurrent(env, statement.span);
  const value = st.evaluator.evaluate(statement.shape, env.values);
  const expected = value === undefined ? undefined : shapeLiteral(st, value, statement.shape.span);
  if (current?.shape === undefined || expected === undefined) return;
  if (!sameShape(current.shape, expected, (a, relation, b) => st.holds(a, relation, b, statement.span))) {
    st.reportShape(
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
    env.current = st.unknown(env, statement.span);
  }
}

function repeatStatement(st: ModelState, statement: Extract<Statement, { kind: "repeat" }>, env: Env): void {
  const value = st.evaluator.evaluate(statement.count, env.values);
  const count = value === undefined ? undefined : st.evaluator.integer(value, statement.count.span);
  if (count === undefined) {
    st.complete = false;
    env.current = st.unknown(env, statement.span);
    return;
  }
  if (count < 0) {
    st.report("E0206", statement.count.span, `a repeat count cannot be negative, found ${count}`, { help: "use 0 to skip the body" });
    return;
  }
  if (count > LIMITS.repeat) {
    st.report("E0401", statement.count.span, `repeat ${count} is over the limit of ${formatLimit(LIMITS.repeat)}`, { help: "reduce the count" });
    env.current = st.unknown(env, statement.span);
    return;
  }
  unrolled(st, count, statement.count.span, statement.body, env, () => {
    for (let i = 0; i < count; i++) {
      const note = i === 0 ? undefined : { span: statement.keyword, message: `in iteration ${i + 1} of this repeat` };
      st.scoped(statement.body, env, undefined, note);
      // Once an iteration has failed, later ones could only repeat its message.
      if (env.current !== undefined && env.current.shape === undefined) return;
    }
  });
}

function forLoop(st: ModelState, statement: Extract<Statement, { kind: "for" }>, env: Env): void {
  const value = st.evaluator.evaluate(statement.iterable, env.values);
  const items = value === undefined ? undefined : st.evaluator.list(value, statement.iterable.span);
  if (items === undefined) {
    st.complete = false;
    env.current = st.unknown(env, statement.span);
    return;
  }
  if (items.length > LIMITS.repeat) {
    st.report("E0401", statement.iterable.span, `the loop has ${items.length} items, over the limit of ${formatLimit(LIMITS.repeat)}`, { help: "use a shorter list" });
    env.current = st.unknown(env, statement.span);
    return;
  }
  const names = statement.variables;
  unrolled(st, items.length, statement.iterable.span, statement.body, env, () => {
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      let parts: readonly Value[] = [item];
      if (names.length > 1) {
        if (!Array.isArray(item) || item.length !== names.length) {
          const itemSpan = statement.iterable.kind === "list" ? statement.iterable.items[i]?.span ?? statement.iterable.span : statement.iterable.span;
          st.report("E0402", itemSpan, `item ${i + 1} of the loop should have ${names.length} values (${names.map((n) => n.text).join(", ")}), found ${describeValue(item)}`, { help: `write it as a tuple of ${names.length}` });
          env.current = st.unknown(env, statement.span);
          return;
        }
        parts = item;
      }
      const note = { span: statement.keyword, message: `in the loop iteration where ${names.map((n, k) => `${n.text} = ${describeValue(parts[k]!)}`).join(", ")}` };
      st.scoped(statement.body, env, (scope) => names.forEach((n, k) => scope.define(n.text, { value: parts[k]!, span: n.span })), i === 0 ? undefined : note);
    }
  }, names.map((n) => n.text));
}

/**
 * Runs `iterations` of a repeat or loop body with the multiplicity they add, after
 * refusing a nest whose iterations multiply past the statement budget, or whose runs times
 * the layers one run adds at least pass the layer limit, before any runs.
 */
function unrolled(st: ModelState, count: number, span: Span, body: Body, env: Env, run: () => void, bound: readonly string[] = []): void {
  const total = st.unrolling.multiplicity * count;
  if (total > LIMITS.steps) {
    const outer = st.unrolling.multiplicity > 1 ? ` inside repeats and loops that run ${formatLimit(st.unrolling.multiplicity)} times` : "";
    st.report("E0401", span, `this runs its body ${formatLimit(count)} times${outer}: ${formatLimit(total)} runs, over the limit of ${formatLimit(LIMITS.steps)}`, {
      help: "reduce the repeat counts or loop lengths",
    });
    throw new LimitExceeded();
  }
  const outermost = st.unrolling.multiplicity === 1;
  if (outermost) st.unrolling.layersBeforeLoops = st.nodes.length;
  // Nothing runs zero times: no estimate (its reading costs time too).
  const perRun = count === 0 ? 0 : st.shared.layerEstimate.perRun(body, env.module.blocks, env.values, bound);
  const layers = st.unrolling.layersBeforeLoops + total * perRun;
  if (layers > LIMITS.layers) {
    const runs = st.unrolling.multiplicity > 1 ? `${formatLimit(total)} times (${formatLimit(count)} here, inside repeats and loops that run ${formatLimit(st.unrolling.multiplicity)} times)` : `${formatLimit(count)} times`;
    const before = st.unrolling.layersBeforeLoops > 0 ? ` with the ${formatLimit(st.unrolling.layersBeforeLoops)} before it` : "";
    st.report("E0401", span, `this runs its body ${runs}, and each run adds at least ${formatLimit(perRun)} layers: at least ${formatLimit(layers)} layers${before}, over the limit of ${formatLimit(LIMITS.layers)}`, {
      help: "reduce the repeat counts or loop lengths, or the layers in the body",
    });
    throw new LimitExceeded();
  }
  const outer = st.unrolling.multiplicity;
  st.unrolling.multiplicity = Math.max(1, total);
  try {
    run();
  } finally {
    st.unrolling.multiplicity = outer;
  }
}

function runCall(st: ModelState, call: Call, env: Env): void {
  st.sink.context = env.context;
  st.unrolling.site = env.site;
  const name = call.name.text;
  if (name === "" || name === "global_") {
    st.complete = false;
    env.current = st.unknown(env, call.span);
    return;
  }
  const op = lookupOp(name);
  if (op !== undefined) return opCall(st, op, call, env);
  const block = env.module.blocks.get(name);
  if (block !== undefined) return blockCall(st, block, call, env);
  if (env.module.silent.has(name)) {
    // A name whose import failed: that failure is the one report.
    st.complete = false;
    env.current = st.unknown(env, call.span);
    return;
  }
  const suggestion = closestMatch(name, [...OPS.map((o) => o.name), ...env.module.blocks.keys()]);
  const shown = suggestion ? sourceName(suggestion) : undefined;
  st.report("E0201", call.name.span, `unknown layer or block \`${sourceName(name)}\``, {
    help: shown ? `did you mean \`${shown}\`?` : "see `cnnc ops` for the layer kinds; blocks must be declared with `block NAME(…) { … }`",
    fixes: shown ? [{ title: `Change to \`${shown}\``, edits: [{ span: call.name.span, newText: shown }] }] : [],
  });
  env.current = st.unknown(env, call.span);
}


