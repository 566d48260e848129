// Moves trained weights between the two targets of one model: a saved tfjs model
// (model.json + weights.bin, as src/emit/tfjs-save.ts writes it) and a PyTorch state_dict
// file for the module that `cnnc build --target pytorch` emits.

import type { IrGraph } from "../ir/ir.js";
import type { TfModelSpec } from "../emit/tfjs-lowering.js";
import type * as tfjs from "@tensorflow/tfjs";
import type { Tf } from "../runtime/tf.js";
import { matchStateDict, type MatchReport, type Pins } from "./match.js";
import { readTorchStateDict, writeTorchStateDict } from "./torch-file.js";
import { ConversionError, tfjsToTorch, torchToTfjs, weightMap, type Tensor } from "./weights.js";

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: unknown;
}

function manifest(modelJson: string): ManifestEntry[] {
  let parsed: { weightsManifest?: { weights?: ManifestEntry[] }[] };
  try {
    parsed = JSON.parse(modelJson) as typeof parsed;
  } catch (error) {
    throw new ConversionError(`model.json is not JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed.weightsManifest)) throw new ConversionError("model.json has no weightsManifest; is it a tfjs layers model?");
  return parsed.weightsManifest.flatMap((group) => group.weights ?? []);
}

/** The weights of a saved tfjs model, by name (all float32, unquantised). */
export function readTfjsWeights(modelJson: string, weights: Uint8Array): Map<string, Tensor> {
  const result = new Map<string, Tensor>();
  // One aligned copy of the file, so that every weight is a view of it.
  // (Uint8Array.prototype.slice copies; a Node Buffer's own slice() would not.)
  const aligned = weights.byteOffset % 4 === 0 ? weights : Uint8Array.prototype.slice.call(weights);
  let at = 0;
  for (const entry of manifest(modelJson)) {
    if (entry.dtype !== "float32" || entry.quantization !== undefined) throw new ConversionError(`the weight ${entry.name} is ${entry.quantization ? "quantised" : entry.dtype}; only float32 weights convert`);
    const count = entry.shape.reduce((a, b) => a * b, 1);
    if (at + count * 4 > weights.byteLength) throw new ConversionError(`weights.bin is shorter than model.json says (${weights.byteLength} bytes)`);
    result.set(entry.name, { shape: entry.shape, dtype: "float32", data: new Float32Array(aligned.buffer, aligned.byteOffset + at, count) });
    at += count * 4;
  }
  if (at !== weights.byteLength) throw new ConversionError(`weights.bin is ${weights.byteLength} bytes, but model.json describes ${at}`);
  return result;
}

/** A saved tfjs model's weights as the PyTorch target's state_dict. */
export function tfjsToTorchState(ir: IrGraph, spec: TfModelSpec, modelJson: string, weights: Uint8Array): Map<string, Tensor> {
  return tfjsToTorch(weightMap(ir, spec), readTfjsWeights(modelJson, weights));
}

/** A saved tfjs model's weights as the bytes of a PyTorch state_dict file. */
export function tfjsToTorchFile(ir: IrGraph, spec: TfModelSpec, modelJson: string, weights: Uint8Array): Uint8Array {
  return writeTorchStateDict(tfjsToTorchState(ir, spec, modelJson, weights));
}

/** A PyTorch state_dict file matched to the model (by name, else by structure), with its weights under tfjs's names. */
export function matchTorchFile(ir: IrGraph, spec: TfModelSpec, torchFile: Uint8Array, pins?: Pins): { report: MatchReport; weights: Map<string, Tensor> } {
  const map = weightMap(ir, spec);
  const report = matchStateDict(ir, map, readTorchStateDict(torchFile), pins);
  return { report, weights: torchToTfjs(map, report.state, true) };
}

/** Writes the given weights (by tfjs name) into a built model's variables; the others keep their values. */
export function writeWeights(tf: Tf, model: tfjs.LayersModel, weights: ReadonlyMap<string, Tensor>): void {
  for (const variable of model.weights) {
    const tensor = weights.get(variable.originalName);
    if (tensor !== undefined) variable.write(tf.tensor(tensor.data as Float32Array, tensor.shape));
  }
}

/**
 * The model built from the IR (seeded, so the layers the weights do not cover start as
 * `cnnc build --seed` would), with these weights: as a saved tfjs model, and as the
 * state_dict of model.py.
 */
export async function modelWithWeights(tf: Tf, ir: IrGraph, spec: TfModelSpec, weights: ReadonlyMap<string, Tensor>, extra: Record<string, unknown> = {}): Promise<{ tfjs: { "model.json": string; "weights.bin": Uint8Array }; torch: () => Uint8Array }> {
  const { buildTfjsModel } = await import("../emit/tfjs-build.js");
  const { serializeModel } = await import("../emit/tfjs-save.js");
  const model = buildTfjsModel(tf, spec);
  writeWeights(tf, model, weights);
  const files = await serializeModel(tf, model, extra);
  model.dispose();
  return { tfjs: files, torch: () => tfjsToTorchFile(ir, spec, files["model.json"], files["weights.bin"]) };
}
