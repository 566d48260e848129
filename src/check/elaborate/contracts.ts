// Block contracts (`block down(c) [h, w, _] -> [h / 2, w / 2, c]`): applied at each call,
// proved once per signature against the block's body run on symbolic sizes, and inferred for
// hovers where a block states none. Proofs and inferences run the body in a sandboxed state.

import type { Span } from "../../diagnostics/diagnostic.js";
import { FILE_SPACING } from "../../diagnostics/source-map.js";
import type { BlockDecl, Call, Contract } from "../../syntax/ast.js";
import { formatShape, type Dim, type Shape } from "../../shape/shape.js";
import { describeSizes } from "../sizes.js";
import { formatDim, isSymbolic, sizeVar, type SizeSet } from "../../shape/symbolic.js";
import { describeValue, FAILED, isSize, Scope, type Value } from "../values.js";
import { LimitExceeded, type Env, type ModelState } from "./state.js";

/** Contracts of imported blocks already proved against their bodies, by signature key. */
const PROVED_CONTRACTS = new WeakMap<BlockDecl, Set<string>>();

/** The contract a block's body implies for this call's arguments and channels, for hovers. */
export function inferContract(st: ModelState, block: BlockDecl, callValues: Scope, input: Shape): string | undefined {
  if (input.length !== 3) return undefined;
  const key = signatureKey(block, callValues, input[2]!);
  const cached = st.shared.inferredContracts.get(key);
  if (cached !== undefined) return cached;
  const taken = new Set(block.params.map((p) => p.name.text));
  const [hName, wName] = taken.has("h") || taken.has("w") ? ["height", "width"] : ["h", "w"];
  const generic: Shape = [sizeVar(hName!), sizeVar(wName!), input[2]!];
  const outcome = sandbox(st, (inner, values) => {
    copyParameters(block, callValues, values);
    inner.sizes.declare(hName!);
    inner.sizes.declare(wName!);
    return [];
  }, block, generic);
  if (outcome.error !== undefined || outcome.output === undefined) return undefined;
  const conditions = describeSizes(outcome.sets).filter((c) => !c.endsWith("any size"));
  const text = `${formatShape(generic)} -> ${formatShape(outcome.output, { sizes: outcome.sets })}${conditions.length > 0 ? ` where ${conditions.join(" and ")}` : ""}`;
  st.shared.inferredContracts.set(key, text);
  return text;
}

/**
 * Matches the input against a block's contract at a call: names in the input pattern bind
 * (and become constants in the body), other entries must equal the input. Returns the
 * declared output shape, or undefined after reporting E0704.
 */
export function applyContract(st: ModelState, block: BlockDecl, contract: Contract, values: Scope, input: Shape, call: Call): Shape | undefined {
  const pattern = contract.input;
  const fail = (message: string, help: string): undefined => {
    st.report("E0704", call.span, message, { related: [{ span: pattern.span, message: "the contract's input" }], help });
    return undefined;
  };
  if (pattern.kind !== "list") {
    st.report("E0704", pattern.span, "a contract's input is a shape pattern such as `[h, w, c]`", { help: "write the names or sizes in brackets" });
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
    const expected = st.evaluator.evaluate(item, values);
    if (expected === undefined) return undefined;
    if ((typeof expected !== "number" && !isSize(expected)) || !st.holds(actual, "==", expected as Dim, call.span)) {
      st.sizeFailure = undefined;
      const axis = input.length === 3 ? ["height", "width", "channels"][i]! : "features";
      return fail(`\`${block.name.text}\` expects ${axis} ${describeValue(expected)} by its contract, but the input ${formatShape(input)} has ${formatShape([actual]).slice(1, -1)}`, "pass a tensor of the declared shape, or change the contract");
    }
  }
  return contractOutput(st, block, contract, values, call.span);
}

/** The contract's output, evaluated with the parameters and the names bound from the input. */
function contractOutput(st: ModelState, block: BlockDecl, contract: Contract, values: Scope, span: Span): Shape | undefined {
  const value = st.evaluator.evaluate(contract.output, values);
  if (value === undefined) return undefined;
  const list = Array.isArray(value) ? (value as readonly Value[]) : undefined;
  const valid = (d: Value): boolean => isSize(d) || (typeof d === "number" && Number.isInteger(d) && d >= 1);
  if (list === undefined || !list.every(valid)) {
    const bad = list?.find((d) => !valid(d));
    const whole = typeof bad === "number" && !Number.isInteger(bad);
    st.report("E0704", span, `\`${block.name.text}\`'s contract gives ${whole ? `a fractional size ${bad} for this input` : `no valid shape (${describeValue(value)})`}`, {
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
export function verifyContract(st: ModelState, block: BlockDecl, contract: Contract, callValues: Scope, input: Shape, call: Call): boolean {
  if (contract.input.kind !== "list" || input.length !== 3) return true;
  const channels = input[2]!;
  const key = signatureKey(block, callValues, channels);
  const known = st.shared.verifiedContracts.get(key);
  if (known !== undefined) return known;
  // A block from an imported file keeps its tree while that file is unchanged (see
  // modules.ts), so a contract it was once proved to keep stays proved.
  const imported = block.span.start >= FILE_SPACING;
  if (imported && PROVED_CONTRACTS.get(block)?.has(key)) return true;
  st.shared.verifiedContracts.set(key, false);
  const pattern = contract.input.items;
  const names = pattern.map((item, i) => (item.kind === "name" && callValues.lookup(item.name.text)?.span === item.span ? item.name.text : i === 0 ? "h" : i === 1 ? "w" : "c"));
  const generic: Shape = [0, 1].map((i) => (pattern[i]!.kind === "name" ? sizeVar(names[i]!) : input[i]!)).concat([channels]);
  const outcome = sandbox(st, (inner, values) => {
    copyParameters(block, callValues, values);
    for (let i = 0; i < 2; i++) if (isSymbolic(generic[i]!)) inner.sizes.declare(names[i]!);
    const declared = applyContract(inner, block, contract, values, generic, call);
    return declared;
  }, block, generic);
  if (outcome.error !== undefined) {
    st.report("E0704", contract.span, `\`${block.name.text}\`'s body cannot be checked for every input ${formatShape(generic)}: ${outcome.error}`, {
      related: [{ span: call.span, message: "checked with this call's arguments" }],
      help: "the contract must hold for every height and width it admits; state a divisibility with `/` (`h / 2`) or a fixed size",
    });
    return false;
  }
  if (outcome.declared === undefined || outcome.output === undefined) return true;
  const mismatch = outcome.declared.findIndex((d, i) => outcome.compare(outcome.output![i]!, d) !== "always");
  if (mismatch !== -1 || outcome.declared.length !== outcome.output.length) {
    const sets = outcome.sets;
    st.report("E0704", contract.output.span, `\`${block.name.text}\`'s body gives ${formatShape(outcome.output, { sizes: sets })} for an input ${formatShape(generic)}, not the declared ${formatShape(outcome.declared, { sizes: sets })}`, {
      label: mismatch === -1 ? undefined : `they differ for some ${names.slice(0, 2).join(" or ")}`,
      related: [{ span: call.span, message: "checked with this call's arguments" }],
      help: "correct the contract (floor(h / 2) and ceil(h / 2) round; h / 2 requires h to be even), or the body",
    });
    return false;
  }
  st.shared.verifiedContracts.set(key, true);
  if (imported) {
    const proved = PROVED_CONTRACTS.get(block) ?? new Set<string>();
    proved.add(key);
    PROVED_CONTRACTS.set(block, proved);
  }
  return true;
}

/**
 * Runs a block body on a symbolic input without touching the model being built: in a fresh
 * state of its own (nodes, sizes, diagnostics), dropped afterwards. `prepare` binds the
 * parameters and declares the sizes in that state.
 */
function sandbox(st: ModelState, prepare: (inner: ModelState, values: Scope) => Shape | undefined, block: BlockDecl, input: Shape): { declared?: Shape; output?: Shape; error?: string; sets: ReadonlyMap<string, SizeSet>; compare: (a: Dim, b: Dim) => string } {
  const inner = st.sandboxed();
  const sink = inner.sink;
  const sizes = inner.sizes;
  const module = st.scopeOf(block);
  try {
    const values = new Scope(module.constants);
    const declared = prepare(inner, values);
    const firstError = (): string | undefined => sink.items.find((d) => d.severity === "error")?.message;
    if (declared === undefined || firstError() !== undefined) return { error: firstError() ?? "its contract does not apply", sets: sizes.snapshot(), compare: () => "never" };
    const start = inner.addNode("input", "input", {}, [], input, { trainable: 0, nonTrainable: 0 }, 0, block.name.span, { values, tensors: new Map(), context: [], blockPath: [], blockCalls: [], frozen: false, inModel: false, module });
    const env: Env = { values, tensors: new Map(), current: start, context: [], blockPath: [block.name.text], blockCalls: [{ id: inner.blockCallCount++, span: block.name.span, label: block.name.text }], frozen: false, inModel: false, module };
    st.unrolling.activeBlocks.push(block);
    try {
      inner.body(block.body, env);
    } finally {
      st.unrolling.activeBlocks.pop();
    }
    const error = firstError();
    if (error !== undefined) return { error, sets: sizes.snapshot(), compare: () => "never" };
    return { declared, output: env.current?.shape, sets: sizes.snapshot(), compare: (a, b) => sizes.compare(a, "==", b, block.name.span, false).verdict };
  } catch (error) {
    if (!(error instanceof LimitExceeded)) throw error;
    return { error: "it is too large to unroll", sets: sizes.snapshot(), compare: () => "never" };
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
