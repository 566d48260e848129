// Builds a `tf.LayersModel` in process from TensorFlow.js layer specs. The tfjs module is
// passed in, so callers choose when to pay for importing it and which package provides it.

import type * as tfjs from "@tensorflow/tfjs";
import { cnncLayers } from "../runtime/layers.js";
import { isSeededInitializer, type TfModelSpec } from "./tfjs-lowering.js";

export type Tf = typeof tfjs;

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
  return tf.model({ inputs: input, outputs: tensors.get(spec.output)!, name: spec.name });
}
