// Moves trained weights between the two targets of one model: a saved tfjs model
// (model.json + weights.bin, as src/emit/tfjs-save.ts writes it) and a PyTorch state_dict
// file for the module that `cnnc build --target pytorch` emits.

import type { IrGraph } from "../ir/ir.js";
import type { TfModelSpec } from "../emit/tfjs-lowering.js";
import type { Tf } from "../emit/tfjs-build.js";
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

/** A PyTorch state_dict file's tensors, checked against the model: every entry present, with its shape, and nothing else. */
export function readModelTorchState(ir: IrGraph, spec: TfModelSpec, torchFile: Uint8Array): Map<string, Tensor> {
  const state = readTorchStateDict(torchFile);
  torchToTfjs(weightMap(ir, spec), state);
  return state;
}

/** A PyTorch state_dict file as a saved tfjs model: the model built from the IR, with these weights. */
export async function torchFileToTfjs(tf: Tf, ir: IrGraph, spec: TfModelSpec, torchFile: Uint8Array, extra: Record<string, unknown> = {}): Promise<{ "model.json": string; "weights.bin": Uint8Array }> {
  const weights = torchToTfjs(weightMap(ir, spec), readTorchStateDict(torchFile));
  const { buildTfjsModel } = await import("../emit/tfjs-build.js");
  const { serializeModel } = await import("../emit/tfjs-save.js");
  const model = buildTfjsModel(tf, spec);
  const files = await serializeModel(tf, model, extra);
  model.dispose();
  const entries = manifest(files["model.json"]);
  const parts = entries.map((entry) => {
    const tensor = weights.get(entry.name);
    if (tensor === undefined) throw new ConversionError(`no weight for the tfjs variable ${entry.name}`);
    return tensor.data as Float32Array;
  });
  const bytes = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    bytes.set(new Uint8Array(part.buffer, part.byteOffset, part.byteLength), at);
    at += part.byteLength;
  }
  return { "model.json": files["model.json"], "weights.bin": bytes };
}
