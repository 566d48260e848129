// Training memory for a batch size, estimated from the checked model's shapes: the forward
// activations, what a training step keeps for the backward pass, the parameters, their
// gradients and the optimizer's state; per layer and in all. Float32 throughout.
//
// Two runtimes keep different things, so the step's total is given for each:
// - PyTorch's autograd keeps only the tensors each op's backward formula needs (a conv its
//   input, a relu its output, a max-pool its input and int64 indices, …), each tensor once
//   however many ops save it.
// - TensorFlow.js keeps every tensor a step creates until the step ends: each layer's
//   output, the gradient with respect to it, and its kernels' intermediates (a batchnorm's
//   centred and squared input, …), measured per layer kind on tfjs 4.22's cpu backend by
//   `bench/memory/probe.ts`.
// Each op's definition states both (its `memory`, src/ops/types.ts); bench/RESULTS.md
// compares the totals with what the runtimes really allocate on whole networks.

import type { LayerNode, ModelGraph } from "../check/graph.js";
import type { TrainConfig } from "../check/train.js";
import { lookupOp } from "../ops/registry.js";
import type { MemoryRule } from "../ops/types.js";

export const BYTES_PER_FLOAT = 4;
/** The settings `cnnc train` uses when the model has no `train` declaration. */
export const DEFAULT_BATCH = 32;
export const DEFAULT_OPTIMIZER = "adam";

/** Copies of the trainable parameters each optimizer keeps between steps (tfjs's optimizers). */
export function optimizerCopies(name: string, config: Readonly<Record<string, unknown>> = {}): number {
  switch (name) {
    case "adam":
    case "adamw":
      return 2; // first and second moments
    case "rmsprop":
      return 2; // tfjs keeps the mean square and the momentum accumulator
    case "sgd":
      return typeof config["momentum"] === "number" && config["momentum"] > 0 ? 1 : 0;
    default:
      return 0;
  }
}

/** The model's input: tfjs keeps the input tensor itself, and PyTorch needs nothing of it. */
const INPUT_MEMORY: MemoryRule = { torch: "none", tfjs: 1 };
/** The layers that read the model's input keep this many more output-sized tensors (tfjs-layers' copies of the input path). */
const TFJS_FIRST_LAYER_EXTRA = 3;
/** Output-sized tensors a layer whose kind is not yet probed counts in tfjs: its output and its gradient. */
const TFJS_UNPROBED = 2;

/** What a training step keeps of a node, from its op's definition. */
function memoryRule(node: LayerNode): MemoryRule {
  return node.op === "input" ? INPUT_MEMORY : lookupOp(node.op)!.memory;
}

export interface LayerMemory {
  name: string;
  /** Bytes of the layer's output for the batch. */
  activation: number;
  /** Bytes PyTorch's autograd keeps of this layer's output (and its own masks and indices) for the backward pass. */
  saved: number;
  /** Bytes a tfjs training step holds for this layer until the step ends. */
  tfjs: number;
  /** Bytes of the layer's parameters (trainable and running statistics). */
  params: number;
}

export interface MemoryEstimate {
  batch: number;
  optimizer: string;
  /** Copies of the trainable parameters the optimizer keeps. */
  optimizerCopies: number;
  layers: LayerMemory[];
  /** Every layer's output for the batch, the input included: a forward pass that frees nothing. */
  activations: number;
  /** What training keeps for the backward pass (PyTorch's autograd). */
  saved: number;
  params: number;
  gradients: number;
  optimizerState: number;
  /** A training step's peak on each runtime: parameters, gradients, optimizer state, and what the runtime keeps. */
  training: { pytorch: number; tfjs: number };
}

export interface MemoryOptions {
  /** Default: the train declaration's, else 32. */
  batch?: number;
  /** The model's train declaration, for its batch and optimizer. */
  train?: TrainConfig;
}

const elements = (node: LayerNode): number => (node.shape as number[]).reduce((a, b) => a * b, 1);

/** The estimate for a model whose shapes are all known (undefined for symbolic sizes). */
export function estimateMemory(model: ModelGraph, options: MemoryOptions = {}): MemoryEstimate | undefined {
  if (!model.nodes.every((n) => n.shape.every((d) => typeof d === "number"))) return undefined;
  const batch = options.batch ?? options.train?.batch ?? DEFAULT_BATCH;
  const optimizer = options.train?.optimizer.name ?? DEFAULT_OPTIMIZER;
  const copies = optimizerCopies(optimizer, options.train?.optimizer.config);
  const bytes = (node: LayerNode): number => batch * elements(node) * BYTES_PER_FLOAT;
  // Which outputs some backward formula keeps, each once; and each layer's own extras.
  const kept = new Set<number>();
  const extra = new Map<number, number>();
  for (const node of model.nodes) {
    const rule = memoryRule(node);
    if (rule.torch === "inputs") node.inputs.forEach((i) => kept.add(i));
    if (rule.torch === "output") kept.add(node.id);
    if (rule.torchExtraPerOutput !== undefined) extra.set(node.id, batch * elements(node) * rule.torchExtraPerOutput);
  }
  const layers = model.nodes.map(
    (node): LayerMemory => ({
      name: node.name || model.inputName,
      activation: bytes(node),
      saved: (kept.has(node.id) ? bytes(node) : 0) + (extra.get(node.id) ?? 0),
      tfjs: Math.round(tfjsTensors(node, model) * bytes(node) + (memoryRule(node).tfjsInputs ?? 0) * node.inputs.reduce((total, i) => total + bytes(model.nodes[i]!), 0)),
      params: (node.params.trainable + node.params.nonTrainable) * BYTES_PER_FLOAT,
    }),
  );
  const sum = (f: (l: LayerMemory) => number): number => layers.reduce((total, l) => total + f(l), 0);
  const params = sum((l) => l.params);
  const gradients = model.params.trainable * BYTES_PER_FLOAT;
  const optimizerState = copies * gradients;
  const state = params + gradients + optimizerState;
  const saved = sum((l) => l.saved);
  // PyTorch's backward also holds the gradients flowing through one layer: its output's and its inputs'.
  const working = Math.max(0, ...model.nodes.map((n) => bytes(n) + n.inputs.reduce((total, i) => total + bytes(model.nodes[i]!), 0)));
  return {
    batch,
    optimizer,
    optimizerCopies: copies,
    layers,
    activations: sum((l) => l.activation),
    saved,
    params,
    gradients,
    optimizerState,
    training: { pytorch: state + saved + working, tfjs: state + sum((l) => l.tfjs) },
  };
}

/**
 * The largest batch whose tfjs training step fits in `bytes` by this estimate (0 when not
 * even one image does). The estimate is affine in the batch: the parameters, gradients and
 * optimizer state, plus the same bytes again for every image.
 */
export function largestTfjsBatch(model: ModelGraph, bytes: number, train?: TrainConfig): number | undefined {
  const one = estimateMemory(model, { batch: 1, train });
  const two = estimateMemory(model, { batch: 2, train });
  if (one === undefined || two === undefined) return undefined;
  const perImage = two.training.tfjs - one.training.tfjs;
  const state = one.training.tfjs - perImage;
  return Math.max(0, Math.floor((bytes - state) / perImage));
}

function tfjsTensors(node: LayerNode, model: ModelGraph): number {
  const readsInput = node.inputs.some((i) => model.nodes[i]?.op === "input");
  const tensors = memoryRule(node).tfjs;
  return (tensors === "unprobed" ? TFJS_UNPROBED : tensors) + (readsInput ? TFJS_FIRST_LAYER_EXTRA : 0);
}

/** Bytes in binary units, three significant figures: "1.23 MiB". */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toPrecision(3)} ${units[unit]}`;
}
