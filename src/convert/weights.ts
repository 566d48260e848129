// The correspondence between a tfjs model's weights and the generated PyTorch module's
// state_dict, derived from the IR (which names the torch layers), the tfjs lowering (which
// names the tfjs layers) and each op's weight layout (its definition's `weights`, with the
// layout change of every tensor; see src/ops/layout.ts). Dense layers after a flatten need
// no reordering: model.py flattens channels last, as tfjs does.

import type { IrGraph } from "../ir/ir.js";
import type { TfModelSpec } from "../emit/tfjs-lowering.js";
import { torchIdentifiers } from "../emit/pytorch/model.js";
import { lookupOp } from "../ops/registry.js";
import type { WeightPair, WeightRule } from "../ops/types.js";

export interface Tensor {
  shape: number[];
  dtype: "float32" | "int64";
  /** Float32Array for float32; for int64, a BigInt64Array. */
  data: Float32Array | BigInt64Array;
}

/** A weight pair with the IR node it belongs to. */
export type NodeWeightPair = WeightPair & { node: number };

export interface WeightMap {
  pairs: NodeWeightPair[];
  /** Torch-only entries (batchnorm's num_batches_tracked), written as zero. */
  counters: string[];
}

export class ConversionError extends Error {}

/** The weight correspondence of a model. */
export function weightMap(ir: IrGraph, spec: TfModelSpec): WeightMap {
  const ids = torchIdentifiers(ir);
  const byId = new Map(ir.nodes.map((n) => [n.id, n]));
  const tfLayers = new Set(spec.layers.map((l) => l.name));
  const pairs: NodeWeightPair[] = [];
  const counters: string[] = [];
  for (const node of ir.nodes) {
    if (node.attrs.op === "input") continue;
    const weights = lookupOp(node.attrs.op)!.weights as "none" | WeightRule<typeof node.attrs>;
    if (weights === "none") continue;
    const input = node.inputs.length ? byId.get(node.inputs[0]!)!.shape : [];
    const torch = ids.get(node.id)!;
    const context = { layer: node.name, torch, inChannels: input[input.length - 1]!, outChannels: node.shape[node.shape.length - 1]!, tfLayers };
    pairs.push(...weights(node.attrs, context).map((pair) => ({ ...pair, node: node.id })));
    if (node.attrs.op === "batchnorm") counters.push(`${torch}.num_batches_tracked`);
  }
  return { pairs, counters };
}

/** Permutes the axes of a dense row-major tensor: result axis i is source axis permutation[i]. */
export function permute(data: Float32Array, shape: readonly number[], permutation: readonly number[]): Float32Array {
  if (shape.length > 4) throw new Error("weights have at most four axes");
  // Pads to four axes of size 1 at the front, so one set of nested loops serves every rank.
  const pad = 4 - shape.length;
  const full = [...new Array<number>(pad).fill(1), ...shape];
  const order = [...Array.from({ length: pad }, (_, i) => i), ...permutation.map((p) => p + pad)];
  const sourceStrides = [1, 1, 1, 1];
  for (let i = 2; i >= 0; i--) sourceStrides[i] = sourceStrides[i + 1]! * full[i + 1]!;
  const [n0, n1, n2, n3] = order.map((p) => full[p]!) as [number, number, number, number];
  const [s0, s1, s2, s3] = order.map((p) => sourceStrides[p]!) as [number, number, number, number];
  const result = new Float32Array(data.length);
  // The two inner loops go in 32×32 tiles: a large transpose otherwise misses the cache on every read.
  const tile = 32;
  for (let a = 0; a < n0; a++) {
    for (let b = 0; b < n1; b++) {
      const base = a * s0 + b * s1;
      const out = (a * n1 + b) * n2 * n3;
      for (let c0 = 0; c0 < n2; c0 += tile) {
        const c1 = Math.min(n2, c0 + tile);
        for (let d0 = 0; d0 < n3; d0 += tile) {
          const d1 = Math.min(n3, d0 + tile);
          for (let c = c0; c < c1; c++) {
            let offset = base + c * s2 + d0 * s3;
            let k = out + c * n3 + d0;
            for (let d = d0; d < d1; d++, offset += s3) result[k++] = data[offset]!;
          }
        }
      }
    }
  }
  return result;
}

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
const size = (shape: readonly number[]): number => shape.reduce((p, x) => p * x, 1);

function inverse(permutation: readonly number[]): number[] {
  const result = new Array<number>(permutation.length);
  permutation.forEach((p, i) => (result[p] = i));
  return result;
}

/** tfjs weights (by name) to a torch state_dict (in module order). */
export function tfjsToTorch(map: WeightMap, weights: ReadonlyMap<string, Tensor>): Map<string, Tensor> {
  const result = new Map<string, Tensor>();
  for (const pair of map.pairs) {
    const source = weights.get(pair.tfjs);
    if (source === undefined) throw new ConversionError(`the tfjs model has no weight ${pair.tfjs}`);
    if (!sameShape(source.shape, pair.tfjsShape)) throw new ConversionError(`the tfjs weight ${pair.tfjs} has shape [${source.shape}], but the model needs [${pair.tfjsShape}]`);
    if (source.dtype !== "float32") throw new ConversionError(`the tfjs weight ${pair.tfjs} is ${source.dtype}, not float32`);
    result.set(pair.torch, { shape: pair.torchShape, dtype: "float32", data: permute(source.data as Float32Array, pair.tfjsShape, pair.permutation) });
  }
  for (const counter of map.counters) result.set(counter, { shape: [], dtype: "int64", data: new BigInt64Array(1) });
  const extra = [...weights.keys()].filter((name) => !map.pairs.some((p) => p.tfjs === name));
  if (extra.length) throw new ConversionError(`the tfjs model has weights this model does not: ${extra.slice(0, 5).join(", ")}`);
  return result;
}

/**
 * A torch state_dict to tfjs weights (by name). With `partial`, entries the state_dict lacks
 * are left out of the result (the layers a structural match skipped) instead of an error.
 */
export function torchToTfjs(map: WeightMap, state: ReadonlyMap<string, Tensor>, partial = false): Map<string, Tensor> {
  const result = new Map<string, Tensor>();
  for (const pair of map.pairs) {
    const source = state.get(pair.torch);
    if (source === undefined && partial) continue;
    if (source === undefined) throw new ConversionError(`the state_dict has no entry ${pair.torch}`);
    if (!sameShape(source.shape, pair.torchShape)) throw new ConversionError(`the state_dict entry ${pair.torch} has shape [${source.shape}], but the model needs [${pair.torchShape}]`);
    if (source.dtype !== "float32") throw new ConversionError(`the state_dict entry ${pair.torch} is ${source.dtype}, not float32`);
    const permutedShape = pair.permutation.map((p) => pair.tfjsShape[p]!);
    if (size(permutedShape) !== size(pair.torchShape)) throw new Error(`inconsistent weight map for ${pair.torch}`);
    result.set(pair.tfjs, { shape: pair.tfjsShape, dtype: "float32", data: permute(source.data as Float32Array, permutedShape, inverse(pair.permutation)) });
  }
  const known = new Set([...map.pairs.map((p) => p.torch), ...map.counters]);
  const extra = [...state.keys()].filter((key) => !known.has(key));
  if (extra.length) throw new ConversionError(`the state_dict has entries this model does not: ${extra.slice(0, 5).join(", ")}`);
  return result;
}
