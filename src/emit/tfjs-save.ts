// A LayersModel in the standard tfjs format (model.json + weights.bin), in memory, without
// tfjs-node, through custom IO handlers. No file system here (the playground serialises
// with it too): callers write the files with writeFilesAtomically.

import type * as tfjs from "@tensorflow/tfjs";
import { cnncLayers } from "../runtime/layers.js";
import type { Tf } from "../runtime/tf.js";

export const WEIGHTS_FILE = "weights.bin";

function weightBytes(tf: Tf, data: tfjs.io.ModelArtifacts["weightData"]): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  const buffer = Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : (data as ArrayBuffer);
  return new Uint8Array(buffer);
}

/** Serialises a model to the two files of the tfjs LayersModel format, in memory. */
export async function serializeModel(tf: Tf, model: tfjs.LayersModel, extra: Record<string, unknown> = {}): Promise<{ "model.json": string; [WEIGHTS_FILE]: Uint8Array }> {
  let files: { "model.json": string; [WEIGHTS_FILE]: Uint8Array } | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = weightBytes(tf, artifacts.weightData);
      const modelJson = {
        format: "layers-model",
        generatedBy: artifacts.generatedBy,
        convertedBy: "cnnc",
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
        ...(Object.keys(extra).length ? { userDefinedMetadata: extra } : {}),
      };
      files = { "model.json": JSON.stringify(modelJson), [WEIGHTS_FILE]: weights };
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: "JSON", weightDataBytes: weights.byteLength } };
    }),
  );
  return files!;
}

/** A load handler for the files `serializeModel` makes, also without tfjs-node; defines cnnc's layers, which the model may use. */
export function fileLoadHandler(tf: Tf, modelJson: string, weights: Uint8Array): tfjs.io.IOHandler {
  cnncLayers(tf);
  const parsed = JSON.parse(modelJson) as { modelTopology: object; weightsManifest: { weights: tfjs.io.WeightsManifestEntry[] }[] };
  return tf.io.fromMemory({
    modelTopology: parsed.modelTopology,
    weightSpecs: parsed.weightsManifest.flatMap((group) => group.weights),
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer,
  });
}
