// Signature help: while typing a layer's or block's arguments, its signature with the
// argument under the cursor marked, and that argument's documentation.

import { formatArgValue } from "../ops/describe.js";
import { lookupOp, sourceName } from "../ops/registry.js";
import type { ArgSpec } from "../ops/types.js";
import type { Analysis } from "./analysis.js";
import { cursorContext, type ArgumentPosition } from "./cursor-context.js";

export interface SignatureParameter {
  /** Offsets of the parameter in the signature's label. */
  label: [number, number];
  documentation?: string;
}

export interface SignatureHelp {
  label: string;
  documentation?: string;
  parameters: SignatureParameter[];
  /** Index into `parameters`; undefined when the cursor is on no known parameter. */
  activeParameter?: number;
}

export function signatureHelp(analysis: Analysis, offset: number): SignatureHelp | undefined {
  const { place } = cursorContext(analysis.text, offset);
  if (place.kind !== "call-arguments") return undefined;
  const op = lookupOp(place.callee);
  if (op !== undefined) {
    return build(sourceName(op.name), op.args.map((a) => ({ name: a.name, text: argText(a), doc: a.doc, positional: a.positional === true, variadic: a.variadic === true })), place.args, op.doc);
  }
  const block = analysis.symbols.declarations.get(place.callee);
  if (block?.kind !== "block") return undefined;
  const params = block.params.map((p) => ({
    name: p.name.text,
    text: p.default !== undefined ? `${p.name.text} = ${analysis.text.slice(p.default.span.start, p.default.span.end)}` : p.name.text,
    positional: true,
    variadic: false,
  }));
  return build(`${block.name.text}(`, params, place.args, block.doc, ")");
}

function argText(spec: ArgSpec): string {
  if (spec.variadic) return `${spec.name}…`;
  if (spec.default !== undefined) return `${spec.name}: ${formatArgValue(spec.default)}`;
  return spec.optional ? `${spec.name}?` : spec.name;
}

interface Param {
  name: string;
  text: string;
  doc?: string;
  positional: boolean;
  variadic: boolean;
}

function build(head: string, params: Param[], position: ArgumentPosition, documentation: string | undefined, tail = ""): SignatureHelp {
  let label = head;
  const parameters: SignatureParameter[] = [];
  params.forEach((param, i) => {
    label += i === 0 ? (head.endsWith("(") ? "" : " ") : ", ";
    parameters.push({ label: [label.length, label.length + param.text.length], documentation: param.doc });
    label += param.text;
  });
  label += tail;
  return { label, documentation, parameters, activeParameter: activeParameter(params, position) };
}

function activeParameter(params: Param[], position: ArgumentPosition): number | undefined {
  if (position.name !== undefined) {
    const index = params.findIndex((p) => p.name === position.name);
    return index >= 0 ? index : undefined;
  }
  const positional = params.filter((p) => p.positional);
  const slot = positional[Math.min(position.positionalBefore, positional.length - 1)];
  if (slot === undefined) return undefined;
  if (position.positionalBefore >= positional.length && !slot.variadic) return undefined;
  return params.indexOf(slot);
}
