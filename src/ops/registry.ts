// The op registry: every layer kind cnnc knows, by name. Adding a layer kind means adding
// its definition to one of the family files and listing it here; the IR's attribute types
// (src/ir/ir.ts) follow from this list, and each target's lowering table then fails to
// compile until it has the new op's entry.

import { activations } from "./activation.js";
import { channelShuffle, channelSplit } from "./channels.js";
import { conv, depthwiseConv, separableConv, transposedConv } from "./conv.js";
import { dense, flatten, upsample, zeroPad } from "./core.js";
import { add, concat, multiply } from "./merge.js";
import { batchnorm, dropout, layernorm, layerScale, stochasticDepth } from "./norm.js";
import { adaptiveAvgpool, avgpool, globalAvgpool, globalMaxpool, maxpool } from "./pool.js";
import type { OpDef } from "./types.js";

export const OPS = [
  conv, depthwiseConv, separableConv, transposedConv,
  maxpool, avgpool, adaptiveAvgpool, globalAvgpool, globalMaxpool,
  batchnorm, layernorm, layerScale, dropout, stochasticDepth,
  ...activations,
  dense, flatten, upsample, zeroPad, channelSplit, channelShuffle,
  concat, add, multiply,
] as const;

/** Any registered op, with its own IR form. */
export type RegisteredOp = (typeof OPS)[number];

const byName = new Map<string, OpDef>(OPS.map((op) => [op.name, op as OpDef]));

export function lookupOp(name: string): OpDef | undefined {
  return byName.get(name);
}

/** How an op is written in source: `global_avgpool` is spelled `global avgpool`. */
export function sourceName(op: string): string {
  return op.startsWith("global_") ? `global ${op.slice(7)}` : op;
}

export const MERGE_OPS = ["concat", "add", "multiply"] as const;
