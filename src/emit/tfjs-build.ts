// Builds a `tf.LayersModel` in process from TensorFlow.js layer specs. The tfjs module is
// passed in (its type `Tf` lives in runtime/), so callers choose which package provides it.

import type * as tfjs from "@tensorflow/tfjs";
import { cnncLayers } from "../runtime/layers.js";
import type { Tf } from "../runtime/tf.js";
import { isSeededInitializer, type TfModelSpec } from "./tfjs-lowering.js";

type LayerFactory = (config: Record<string, unknown>) => tfjs.layers.Layer;

export function buildTfjsModel(tf: Tf, spec: TfModelSpec): tfjs.LayersModel {
  const tensors = new Map<string, tfjs.SymbolicTensor>();
  const input = tf.input({ shape: spec.input.shape, name: spec.input.name });
  tensors.set(spec.input.name, input);
  const factories = { ...(tf.layers as unknown as Record<string, LayerFactory>), ...(cnncLayers(tf) as unknown as Record<string, LayerFactory>) };
  for (const layer of spec.layers) {
    const factory = factories[layer.factory];
    if (factory === undefined) throw new Error(`tf.layers has no factory ${layer.factory}`);
    const inputs = layer.inputs.map((name) => tensors.get(name)!);
    const config = Object.fromEntries(Object.entries(layer.config).map(([key, value]) => [key, isSeededInitializer(value) ? tf.initializers.glorotUniform({ seed: value.seed }) : value]));
    const output = factory(config).apply(inputs.length === 1 ? inputs[0]! : inputs) as tfjs.SymbolicTensor;
    tensors.set(layer.name, output);
  }
  const model = tf.model({ inputs: input, outputs: tensors.get(spec.output)!, name: spec.name });
  frozenBatchNormsInInference(model);
  return model;
}

/**
 * A frozen batchnorm (one with `trainable: false`) normalises with its running statistics
 * and leaves them as they are, also in training, as Keras does for `trainable = False` and
 * PyTorch's fine-tuning recipes do with `eval()`. tfjs's layer looks only at the `training`
 * flag, so the flag is turned off for these layers. Call it on every model built or loaded
 * for training: the saved model.json keeps `trainable: false`.
 */
export function frozenBatchNormsInInference(model: tfjs.LayersModel): void {
  for (const layer of model.layers) {
    if (layer.trainable || layer.getClassName() !== "BatchNormalization") continue;
    const call = layer.call.bind(layer);
    layer.call = (inputs, kwargs) => call(inputs, { ...kwargs, training: false });
  }
}
