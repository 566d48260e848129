// Block calls: binds the arguments, applies the block's contract, runs its body inlined
// with the caller's named tensors it was passed, and records the call's facts.

import type { BlockDecl, Call } from "../../syntax/ast.js";
import { bindArguments, type BoundArguments, type Slot } from "../arguments.js";
import { formatShape, type Shape } from "../../shape/shape.js";
import { sameShape } from "../../ops/merge.js";
import { describeValue, isSymbol, Scope } from "../values.js";
import type { Env, ModelState, Tensor } from "./state.js";
import { applyContract, inferContract, verifyContract } from "./contracts.js";

export function blockCall(st: ModelState, block: BlockDecl, call: Call, env: Env): void {
  const name = block.name.text;
  if (st.unrolling.activeBlocks.includes(block)) {
    // The static pass reports the cycle once; here elaboration only stops descending.
    st.complete = false;
    env.current = st.unknown(env, call.span);
    return;
  }
  const slots: Slot[] = block.params.map((p) => ({ name: p.name.text, positional: true, required: p.default === undefined }));
  const bound = bindArguments(call, name, slots, st.sink);
  const module = st.scopeOf(block);
  const values = new Scope(module.constants);
  let ok = bound.ok;
  for (const param of block.params) {
    const arg = bound.byName.get(param.name.text);
    // Defaults are evaluated inside the block, so they may use earlier parameters.
    const value = arg !== undefined ? st.evaluator.evaluate(arg.value, env.values) : param.default !== undefined ? st.evaluator.evaluate(param.default, values) : undefined;
    if (value === undefined) {
      ok = false;
      continue;
    }
    values.define(param.name.text, { value, span: param.name.span });
  }
  const current = st.requireCurrent(env, call.span);
  if (current === undefined) return;
  if (!ok) {
    st.complete = false;
    env.current = st.unknown(env, call.span);
    st.recordCall(env, call, "block", name, current.shape, undefined, { trainable: 0, nonTrainable: 0 }, 0);
    return;
  }
  let declaredOutput: Shape | undefined;
  let compareWithBody = true;
  if (block.contract !== undefined && current.shape !== undefined) {
    declaredOutput = applyContract(st, block, block.contract, values, current.shape, call);
    if (declaredOutput === undefined) {
      env.current = st.unknown(env, call.span);
      st.recordCall(env, call, "block", name, current.shape, undefined, { trainable: 0, nonTrainable: 0 }, 0);
      return;
    }
    // Once the body is known to break its contract, the per-call comparison would only repeat that.
    compareWithBody = verifyContract(st, block, block.contract, values, current.shape, call);
  }
  const firstNode = st.nodes.length;
  const inner: Env = {
    values,
    tensors: passedTensors(block, values, env.tensors),
    current,
    context: [{ span: call.span, message: `in this call of \`${call.name.text}\`` }, ...env.context],
    // The name as this call wrote it: an imported block may go by another name here.
    blockPath: [...env.blockPath, call.name.text],
    blockCalls: [...env.blockCalls, { id: st.blockCallCount++, span: env.site ?? call.span, label: callLabel(call, block, bound, values) }],
    frozen: env.frozen,
    inModel: false,
    module,
    site: env.site ?? (module === env.module ? undefined : call.span),
  };
  st.unrolling.activeBlocks.push(block);
  try {
    st.body(block.body, inner);
  } finally {
    st.unrolling.activeBlocks.pop();
    st.sink.context = env.context;
  }
  const output = inner.current!;
  if (compareWithBody && declaredOutput !== undefined && output.shape !== undefined && !sameShape(output.shape, declaredOutput, (a, relation, b) => st.holds(a, relation, b, call.span))) {
    st.sizeFailure = undefined;
    st.report("E0704", block.contract!.output.span, `\`${name}\` declares the output ${formatShape(declaredOutput)}, but its body gives ${formatShape(output.shape)} for this call`, {
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
  for (let i = firstNode; i < st.nodes.length; i++) {
    params.trainable += st.nodes[i]!.params.trainable;
    params.nonTrainable += st.nodes[i]!.params.nonTrainable;
    macs += st.nodes[i]!.macs;
  }
  st.recordCall(env, call, "block", name, current.shape, env.current.shape, params, macs, output.shape === undefined ? undefined : st.nodes[output.node]?.field);
  const facts = st.calls.get(call);
  const input = current.shape;
  if (block.contract === undefined && facts !== undefined && !Object.hasOwn(facts, "inferredContract") && input !== undefined && output.shape !== undefined) {
    // Inferred only when a hover asks, and not enumerable, so the facts stay plain data.
    let inferred: string | undefined | null = null;
    Object.defineProperty(facts, "inferredContract", {
      enumerable: false,
      get: () => (inferred === null ? (inferred = inferContract(st, block, values, input)) : inferred),
    });
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
