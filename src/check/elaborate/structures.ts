// The structures that add nodes of their own around bodies: `residual` (an add, and with
// `shortcut auto` a projection), `gate` (a multiply) and a join (`concat { branch … }`).

import type { Span } from "../../diagnostics/diagnostic.js";
import { conv as convOp } from "../../ops/conv.js";
import { batchnorm as batchnormOp } from "../../ops/norm.js";
import { lookupOp, MERGE_OPS } from "../../ops/registry.js";
import { defaultArgs, type Args } from "../../ops/types.js";
import type { Statement } from "../../syntax/ast.js";
import { formatShape, isConcreteShape, numericShape, windowOutput, type Shape } from "../../shape/shape.js";
import { sameShape, simplestShape } from "../../ops/merge.js";
import { closestMatch } from "../suggest.js";
import type { Env, ModelState, Tensor } from "./state.js";
import { merge } from "./apply-op.js";

export function residual(st: ModelState, statement: Extract<Statement, { kind: "residual" }>, env: Env): void {
  if (statement.condition !== undefined) {
    const condition = st.condition(statement.condition, statement.span, env);
    if (condition === undefined) return;
    if (!condition) {
      st.scoped(statement.body, env);
      return;
    }
  }
  const input = st.requireCurrent(env, statement.keyword);
  if (input === undefined) return;
  st.scoped(statement.body, env);
  const branch = env.current!;
  let shortcut: Tensor | undefined = input;
  const invalidMode = (statement.shortcut as { invalidMode?: { text: string; span: Span } } | undefined)?.invalidMode;
  if (invalidMode !== undefined) {
    st.report("E0205", invalidMode.span, `a shortcut is \`auto\` or a \`{ … }\` body, found \`${invalidMode.text}\``, { fixes: [{ title: "Use `shortcut auto`", edits: [{ span: invalidMode.span, newText: "auto" }] }] });
    env.current = st.unknown(env, statement.span);
    return;
  }
  if (statement.shortcut?.kind === "body") {
    const shortcutEnv: Env = { ...env, current: input };
    st.scoped(statement.shortcut.body, shortcutEnv);
    shortcut = shortcutEnv.current;
  }
  if (branch.shape === undefined || input.shape === undefined || shortcut?.shape === undefined) {
    env.current = st.unknown(env, statement.span);
    return;
  }
  const lastStatement = statement.body.statements[statement.body.statements.length - 1];
  const branchSpan = lastStatement?.span ?? statement.keyword;
  // With `shortcut auto`, sizes for which the shapes differ get a projection rather than a narrowing.
  const auto = statement.shortcut?.kind === "auto";
  const equal = auto
    ? branch.shape.length === shortcut.shape.length && branch.shape.every((d, i) => st.sizes.compare(d, "==", shortcut!.shape![i]!, branchSpan, false).verdict === "always")
    : sameShape(branch.shape, shortcut.shape, (a, relation, b) => st.holds(a, relation, b, branchSpan));
  if (!equal) {
    st.sizeFailure = undefined;
    if (statement.shortcut?.kind === "auto") {
      shortcut = projection(st, input, branch.shape, statement.shortcut.span, env);
      if (shortcut === undefined) return;
    } else {
      const body = statement.shortcut?.kind === "body";
      st.report(
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
      env.current = st.unknown(env, statement.span);
      return;
    }
  }
  env.current = st.addNode("add", "residual", {}, [branch, shortcut], simplestShape([branch.shape, shortcut.shape!]), { trainable: 0, nonTrainable: 0 }, 0, statement.keyword, env);
}

/** `shortcut auto`: a 1x1 convolution (no bias) and batchnorm that map the input to the branch's shape. */
function projection(st: ModelState, input: Tensor, target: Shape, span: Span, env: Env): Tensor | undefined {
  const from = input.shape!;
  let stride: number | undefined;
  if (from.length === 3 && target.length === 3) {
    // The smallest stride that works for every accepted size; failing that, one that works for some.
    const maxStride = Math.min(64, Math.max(...[from[0]!, from[1]!].map((d) => (typeof d === "number" ? d : 64))));
    const verdict = (s: number, commit: boolean): boolean[] =>
      [0, 1].map((axis) => {
        const result = st.sizes.compare(windowOutput(from[axis]!, 1, s, 0, 0, 1), "==", target[axis]!, span, commit);
        return result.verdict === "always" || (commit && result.verdict === "conditional");
      });
    // Screens that rule out, exactly and cheaply, the strides whose comparisons would fail.
    const screens = [0, 1].map((axis) => st.sizes.strideScreen(from[axis]!, target[axis]!));
    for (let s = 1; s <= maxStride && stride === undefined; s++) {
      if (screens.every((screen) => screen.always(s)) && verdict(s, false).every((ok) => ok)) stride = s;
    }
    for (let s = 1; s <= maxStride && stride === undefined; s++) {
      const conditional = [0, 1].every((axis) => {
        const output = windowOutput(from[axis]!, 1, s, 0, 0, 1);
        return screens[axis]!.some(s, output) && st.sizes.compare(output, "==", target[axis]!, span, false).verdict !== "never";
      });
      if (conditional && verdict(s, true).every((ok) => ok)) stride = s;
    }
  }
  if (stride === undefined) {
    st.report("E0302", span, `no 1x1 convolution maps ${formatShape(from)} to ${formatShape(target)}`, { help: "write the shortcut as a `{ … }` body instead" });
    env.current = st.unknown(env, span);
    return undefined;
  }
  const padding = { mode: "explicit", top: 0, bottom: 0, left: 0, right: 0 } as const;
  const convArgs: Args = { ...defaultArgs(convOp), filters: numericShape(target)[2]!, kernel: [1, 1], stride: [stride, stride], padding, bias: false };
  const [inputSizes, targetSizes] = [numericShape(from), numericShape(target)];
  const conv = st.addNode("conv", "shortcut", convArgs, [input], target, convOp.params!(inputSizes, targetSizes, convArgs), convOp.macs!(inputSizes, targetSizes, convArgs), span, env);
  const batchnormArgs = defaultArgs(batchnormOp);
  return st.addNode("batchnorm", "shortcut", batchnormArgs, [conv], target, batchnormOp.params!(targetSizes, targetSizes, batchnormArgs), 0, span, env);
}

export function gate(st: ModelState, statement: Extract<Statement, { kind: "gate" }>, env: Env): void {
  const input = st.requireCurrent(env, statement.keyword);
  if (input === undefined) return;
  st.scoped(statement.body, env);
  const gate = env.current!;
  if (input.shape === undefined || gate.shape === undefined) {
    env.current = st.unknown(env, statement.span);
    return;
  }
  const broadcastable = gate.shape.length === input.shape.length && gate.shape.every((d, i) => (d === 1 && i < gate.shape!.length - 1) || st.holds(d, "==", input.shape![i]!, statement.keyword));
  st.sizeFailure = undefined;
  if (!broadcastable) {
    const last = statement.body.statements[statement.body.statements.length - 1];
    st.report(
      "E0304",
      last?.span ?? statement.keyword,
      `a gate multiplies its input ${formatShape(input.shape)} by its body's output, which must have the same shape or size 1 in height and width, but it is ${formatShape(gate.shape)}`,
      {
        label: `the gate ends as ${formatShape(gate.shape)}`,
        related: [{ span: input.origin, message: `the gated tensor ${formatShape(input.shape)} comes from here` }],
        help: input.shape.length === 3 ? `end the gate with ${input.shape[2]} channels; use \`global avgpool, keepdims: true\` to keep a 1×1 shape` : undefined,
      }
    );
    env.current = st.unknown(env, statement.span);
    return;
  }
  env.current = st.addNode("multiply", "gate", {}, [input, gate], input.shape, { trainable: 0, nonTrainable: 0 }, 0, statement.keyword, env);
}

export function join(st: ModelState, statement: Extract<Statement, { kind: "join" }>, env: Env): void {
  const opName = statement.op.text;
  if (!(MERGE_OPS as readonly string[]).includes(opName)) {
    const suggestion = closestMatch(opName, MERGE_OPS);
    st.report("E0201", statement.op.span, `\`${opName}\` cannot join branches`, { help: suggestion ? `did you mean \`${suggestion}\`?` : "branches are joined by `concat`, `add` or `multiply`" });
    env.current = st.unknown(env, statement.span);
    return;
  }
  if (statement.branches.length < 2) {
    st.report("E0212", statement.op.span, `\`${opName} { … }\` needs at least two branches, found ${statement.branches.length}`, { help: "add another `branch { … }`; an empty branch passes its input through" });
    env.current = st.unknown(env, statement.span);
    return;
  }
  const input = st.requireCurrent(env, statement.op.span);
  if (input === undefined) return;
  const outputs: Tensor[] = [];
  for (const branch of statement.branches) {
    const branchEnv: Env = { ...env, current: input };
    st.scoped(branch, branchEnv);
    outputs.push(branchEnv.current!);
  }
  merge(st, lookupOp(opName)!, outputs, statement.op.span, "join", env, statement.branches.map((b) => b.span));
}

function projectionHint(from: Shape, to: Shape): string {
  if (from.length !== 3 || to.length !== 3 || !isConcreteShape(from) || !isConcreteShape(to)) return "";
  const stride = Math.round(from[0]! / to[0]!);
  return `, or a shortcut with a 1x1 conv${stride > 1 ? ` with stride ${stride}` : ""} to ${to[2]} channels`;
}
