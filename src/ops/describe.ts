// Human-readable descriptions of ops, for `cnnc ops` and (later) hovers and completion.

import { sourceName } from "./registry.js";
import type { ArgSpec, ArgValue, OpDef } from "./types.js";

export function formatArgValue(value: ArgValue): string {
  if (typeof value === "object" && !Array.isArray(value)) {
    const p = value as { mode: string; top?: number; bottom?: number; left?: number; right?: number };
    if (p.mode !== "explicit") return p.mode;
    return p.top === p.bottom && p.left === p.right ? (p.top === p.left ? String(p.top) : `[${p.top}, ${p.left}]`) : `[${p.top}, ${p.bottom}, ${p.left}, ${p.right}]`;
  }
  if (Array.isArray(value)) return value[0] === value[1] ? String(value[0]) : `[${value.join(", ")}]`;
  return String(value);
}

export function signature(op: OpDef): string {
  const parts = op.args.map((a: ArgSpec) => {
    if (a.variadic) return `${a.name}…`;
    if (a.default !== undefined) return `${a.name}: ${formatArgValue(a.default)}`;
    if (a.optional) return `${a.name}?`;
    return a.name;
  });
  return `${sourceName(op.name)}${parts.length ? " " + parts.join(", ") : ""}`;
}
