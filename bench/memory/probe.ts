// Measures, for each layer kind, how many output-sized tensors a tfjs training step keeps
// for that layer (its output, the gradient with respect to it, its kernels' intermediates):
// the numbers behind each op's `memory.tfjs` in src/ops/. Each probe is a small model,
// `conv 16, kernel: 1 -> LAYER -> global avgpool -> dense 4` on [16, 16, 16] at batch 8;
// the same model without LAYER is subtracted, and the difference is divided by the bytes
// of LAYER's output. The peak of tf.memory().numBytes is read as in run.ts.
//
//   node dist/bench/memory/probe.js

import * as tf from "@tensorflow/tfjs";
import { compile } from "../../src/compile.js";
import { buildIr } from "../../src/ir/build.js";
import { lowerToTfjs } from "../../src/emit/tfjs-lowering.js";
import { buildTfjsModel } from "../../src/emit/tfjs-build.js";
import { peakBytesDuring } from "./peak.js";

const BATCH = 8;
const PREFIX = "conv 16, kernel: 1";
const LAYERS = [
  "conv 16, kernel: 3, padding: 1",
  "conv 16, kernel: 3, stride: 2, padding: 1",
  "depthwise_conv kernel: 3, padding: 1",
  "separable_conv 16, kernel: 3, padding: 1",
  "transposed_conv 16, kernel: 2, stride: 2",
  "batchnorm",
  "layernorm",
  "relu",
  "relu6",
  "tanh",
  "sigmoid",
  "swish",
  "gelu",
  "leaky_relu",
  "elu",
  "softmax",
  "maxpool 2",
  "avgpool 2",
  "maxpool 3, stride: 1, padding: 1",
  "dropout 0.5",
  "upsample 2",
  "zero_pad 1",
];

/** The step's peak minus what was held before it, and the bytes of the probed layer's output. */
function probe(layers: string): { bytes: number; output: number } {
  const text = `model Probe {\n  input x: [16, 16, 16]\n  ${layers}\n  global avgpool\n  dense 4\n}\n`;
  const result = compile(text);
  const error = result.diagnostics.find((d) => d.severity === "error");
  if (error !== undefined) throw new Error(`${layers}: ${error.message}`);
  const graph = result.models[0]!;
  const model = buildTfjsModel(tf, lowerToTfjs(buildIr(graph, text, undefined), { seed: 1 }));
  const optimizer = tf.train.sgd(0.01);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const x = tf.randomUniform([BATCH, 16, 16, 16]);
  const y = tf.randomUniform([BATCH, 4]);
  const step = (): void =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => tf.losses.meanSquaredError(y, model.apply(x, { training: true }) as tf.Tensor), variables);
      optimizer.applyGradients(grads);
      return value;
    }).dispose();
  step();
  const before = tf.memory().numBytes;
  const peak = peakBytesDuring(step);
  const probed = graph.nodes[graph.nodes.length - 3]!;
  const output = BATCH * (probed.shape as number[]).reduce((a, b) => a * b, 1) * 4;
  model.dispose();
  tf.dispose([x, y]);
  return { bytes: peak - before, output };
}

await tf.setBackend("cpu");
const base = probe(PREFIX).bytes;
process.stdout.write("| layer | output-sized tensors kept |\n|---|---|\n");
for (const layer of LAYERS) {
  const { bytes, output } = probe(`${PREFIX} -> ${layer}`);
  process.stdout.write(`| ${layer} | ${((bytes - base) / output).toFixed(2)} |\n`);
}
