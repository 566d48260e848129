// Applying an op: binds a layer call's arguments to the op's definition, evaluates and
// converts them, runs its shape rule and adds its node; merges (`concat skip`, a join's
// branches) join named tensors with the current one.

import type { Span } from "../../diagnostics/diagnostic.js";
import { sourceName } from "../../ops/registry.js";
import { defaultValue, type ArgValue, type OpDef } from "../../ops/types.js";
import type { Call } from "../../syntax/ast.js";
import { argumentRemoval, bindArguments, convertArgument, type Slot } from "../arguments.js";
import type { NodeRole } from "../graph.js";
import { formatShape, numericShape } from "../../shape/shape.js";
import { closestMatch } from "../suggest.js";
import { isSymbol } from "../values.js";
import type { Env, ModelState, Tensor } from "./state.js";

/** Each op's argument slots, made once: a 10,000-layer model would otherwise build them per layer. */
const OP_SLOTS = new WeakMap<OpDef, readonly Slot[]>();

export function opCall(st: ModelState, op: OpDef, call: Call, env: Env): void {
  const shown = sourceName(op.name);
  const bound = bindArguments(call, shown, slotsOf(op), st.sink);
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
    const value = st.evaluator.evaluate(arg.value, env.values);
    const converted = value === undefined ? undefined : convertArgument(value, spec.type, spec.name, arg.value.span, st.evaluator, st.sink);
    if (converted === undefined) ok = false;
    args[spec.name] = converted;
  }
  const inputs: Tensor[] = [];
  const current = st.requireCurrent(env, call.span);
  if (current === undefined) return;
  inputs.push(current);
  for (const arg of bound.variadic) {
    const value = st.evaluator.evaluate(arg.value, env.values);
    const tensorName = value === undefined ? undefined : isSymbol(value) ? value.name : undefined;
    const tensor = tensorName === undefined ? undefined : env.tensors.get(tensorName);
    if (tensor === undefined) {
      // A name that came through a loop variable is reported where it was written.
      if (tensorName !== undefined) unknownTensor(st, tensorName, isSymbol(value!) ? value.span : arg.value.span, env);
      else if (value !== undefined) st.report("E0205", arg.value.span, `\`${shown}\` takes tensor names, found ${JSON.stringify(value)}`, {});
      ok = false;
      continue;
    }
    inputs.push(tensor);
  }
  if (op.merge && bound.variadic.length === 0 && ok) {
    st.report("E0203", call.name.span, `\`${shown}\` needs at least one tensor name to join with the current tensor`, { help: `write \`${shown} NAME\`, naming a tensor bound with \`as NAME\`` });
    ok = false;
  }
  if (!ok) st.complete = false;
  if (!ok || inputs.some((t) => t.shape === undefined)) {
    env.current = st.unknown(env, call.span);
    st.recordCall(env, call, "op", op.name, current.shape, undefined, { trainable: 0, nonTrainable: 0 }, 0);
    return;
  }
  if (op.merge) {
    merge(st, op, inputs, call.span, "layer", env, inputs.map((t, i) => (i === 0 ? t.origin : bound.variadic[i - 1]!.value.span)));
    st.recordCall(env, call, "op", op.name, current.shape, env.current?.shape, { trainable: 0, nonTrainable: 0 }, 0);
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
      const statedBefore = code === "E0301" && extras.arg !== undefined && st.shared.statedChannelsHeld.has(call);
      const stated = statedBefore ? call.args.find((a) => a.name?.text === extras.arg) : undefined;
      const removal = stated === undefined ? {} : {
        help: `\`${extras.arg}\` held on an earlier run of this line, and no one count fits every run: remove it (the checker infers the ${extras.arg === "in_features" ? "features" : "channels"})`,
        fixes: [{ title: `Remove \`${extras.arg}\``, edits: [{ span: argumentRemoval(call, stated), newText: "" }] }],
      };
      st.reportShape(code, span, `${shown} ${message}`, { ...extras, fixes, related: [...related, ...(extras.related ?? [])], ...removal });
    },
    holds: (a, relation, b) => st.holds(a, relation, b, call.span),
  });
  if (shape === undefined || failed) {
    env.current = st.unknown(env, call.span);
    st.recordCall(env, call, "op", op.name, input, undefined, { trainable: 0, nonTrainable: 0 }, 0);
    return;
  }
  st.shared.statedChannelsHeld.add(call);
  const params = op.params ? op.params(numericShape(input), numericShape(shape), args) : { trainable: 0, nonTrainable: 0 };
  const macs = op.macs ? op.macs(numericShape(input), numericShape(shape), args) : 0;
  if (Number.isNaN(params.trainable) || Number.isNaN(params.nonTrainable)) {
    // Weights must not depend on the input size; the only way there is a dense layer after flatten.
    st.report("E0703", call.span, `${shown} would have a weight count that depends on the input size: its input is ${formatShape(input)}`, {
      help: "use `global avgpool` instead of `flatten` before it, or fix the sizes with `--shape H=…,W=…`",
    });
    env.current = st.unknown(env, call.span);
    st.recordCall(env, call, "op", op.name, input, undefined, { trainable: 0, nonTrainable: 0 }, 0);
    return;
  }
  env.current = st.addNode(op.name, "layer", args, inputs, shape, params, macs, call.span, env);
  st.recordCall(env, call, "op", op.name, input, shape, params, macs, st.nodes[env.current.node]!.field);
}

/** Applies a merge op to tensors whose shapes may be unknown. */
export function merge(st: ModelState, op: OpDef, inputs: Tensor[], span: Span, role: NodeRole, env: Env, inputSpans?: Span[]): void {
  if (inputs.some((t) => t.shape === undefined)) {
    env.current = st.unknown(env, span);
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
      st.reportShape(code, span, message, { ...extras, related });
    },
    holds: (a, relation, b) => st.holds(a, relation, b, span),
  });
  if (shape === undefined || reported) {
    env.current = st.unknown(env, span);
    return;
  }
  env.current = st.addNode(op.name, role, {}, inputs, shape, { trainable: 0, nonTrainable: 0 }, 0, span, env);
}

export function unknownTensor(st: ModelState, name: string, span: Span, env: Env): void {
  const suggestion = closestMatch(name, env.tensors.keys());
  const known = [...env.tensors.keys()];
  st.report("E0211", span, `no tensor is named \`${name}\``, {
    help: suggestion ? `did you mean \`${suggestion}\`?` : known.length > 0 ? `the named tensors here are ${known.map((k) => `\`${k}\``).join(", ")}` : "name a tensor first with `as NAME` at the end of a line",
    fixes: suggestion ? [{ title: `Change to \`${suggestion}\``, edits: [{ span, newText: suggestion }] }] : [],
  });
}

function slotsOf(op: OpDef): readonly Slot[] {
  let slots = OP_SLOTS.get(op);
  if (slots === undefined) {
    slots = op.args.map((a) => ({ name: a.name, positional: a.positional === true, variadic: a.variadic, required: a.default === undefined && !a.optional && !a.variadic }));
    OP_SLOTS.set(op, slots);
  }
  return slots;
}
