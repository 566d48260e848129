// The model summary: a table like Keras's `model.summary()` and torchinfo, and its JSON
// form. Counting conventions: trainable = PyTorch's parameters() outside `frozen` bodies,
// frozen = those inside them, non-trainable = batchnorm running statistics, total = tfjs
// countParams(); MACs as in the reference.

import type { ModelGraph } from "../check/graph.js";
import type { Shape } from "../shape/shape.js";
import { decisiveReasons, describeSizes } from "../check/sizes.js";
import { formatDim } from "../shape/symbolic.js";
import { sourceName } from "../ops/registry.js";
import { LineIndex } from "../diagnostics/line-index.js";
import { formatField } from "../check/receptive-field.js";
import { estimateMemory, formatBytes, type MemoryEstimate, type MemoryOptions } from "./memory.js";

/** A dimension in JSON: a number, or the expression over the model's named sizes as a string ("ceil(H/32)"). */
export type JsonDim = number | string;

export interface SummaryLayer {
  name: string;
  op: string;
  outputShape: JsonDim[];
  params: number;
  /** 0 for a frozen layer. */
  trainable: number;
  /** Present on a layer with weights inside a `frozen { … }` body. */
  frozen?: true;
  /** Null where it depends on symbolic sizes. */
  macs: number | null;
  line: number;
  block: string[];
  /** Receptive field [height, width] in input pixels, and output stride; absent for flat-input models. */
  receptiveField?: [number, number];
  outputStride?: [number, number];
  /** Bytes at the summary's batch size: the output, what autograd keeps of it, what a tfjs step holds for the layer. */
  memory?: { activation: number; saved: number; tfjs: number };
}

/** A training step's memory at one batch size, in bytes (float32), without the per-layer rows; see src/summary/memory.ts. */
export type MemorySummary = Omit<MemoryEstimate, "layers">;

export interface SummaryJson {
  model: string;
  layout: "HWC";
  input: JsonDim[];
  output: JsonDim[];
  params: { trainable: number; frozen: number; nonTrainable: number; total: number };
  /** Null where it depends on symbolic sizes. */
  macs: number | null;
  layers: SummaryLayer[];
  /** For inputs with named sizes: what each accepts, in words, and which lines narrowed it. */
  sizes?: SizeSummary[];
  /** The same conditions as plain sentences, one per named size. */
  conditions?: string[];
  /** For a symbolic model, the MACs at one accepted size (the CLI fills this in). */
  macsAt?: { sizes: Record<string, number>; macs: number };
  /** Present when asked for and every shape is a number. */
  memory?: MemorySummary;
}

export interface SizeSummary {
  name: string;
  /** "a multiple of 32 and at least 32" */
  accepted: string;
  /** The smallest accepted size, and the period and remainders that describe the rest. */
  min: number | null;
  multipleOf: number;
  remainders: number[];
  max?: number;
  reasons: { line: number; needs: string }[];
}

export interface SummaryOptions {
  /** Adds the training memory at a batch size (default: the train declaration's). */
  memory?: MemoryOptions;
}

export function summarize(model: ModelGraph, text: string, options: SummaryOptions = {}): SummaryJson {
  const index = new LineIndex(text);
  const input = model.nodes.find((n) => n.op === "input");
  const output = model.outputId === undefined ? undefined : model.nodes[model.outputId];
  const shapeOptions = { sizes: model.sizes?.sets };
  const dims = (shape: Shape): JsonDim[] => shape.map((d) => (typeof d === "number" ? d : formatDim(d, shapeOptions)));
  const memory = options.memory && estimateMemory(model, options.memory);
  const macs = (n: number): number | null => (Number.isNaN(n) ? null : n);
  const sizes = model.sizes && [...model.sizes.sets.entries()].map(([name, set]): SizeSummary => {
    const reasons = new Map<string, { line: number; needs: string }>();
    for (const reason of decisiveReasons(model.sizes!.reasons)) {
      if (reason.name !== name || reasons.has(reason.needs)) continue;
      reasons.set(reason.needs, { line: index.position(reason.span.start).line + 1, needs: reason.needs });
    }
    return {
      name,
      accepted: set.describe(),
      min: set.first() ?? null,
      multipleOf: set.period,
      remainders: [...set.residues],
      ...(set.max !== undefined ? { max: set.max } : {}),
      reasons: [...reasons.values()],
    };
  });
  return {
    model: model.name,
    layout: "HWC",
    input: input ? dims(input.shape) : [],
    output: output ? dims(output.shape) : [],
    params: { ...model.params },
    macs: macs(model.macs),
    ...(sizes ? { sizes, conditions: describeSizes(model.sizes!.sets) } : {}),
    ...(memory ? { memory: { batch: memory.batch, optimizer: memory.optimizer, optimizerCopies: memory.optimizerCopies, activations: memory.activations, saved: memory.saved, params: memory.params, gradients: memory.gradients, optimizerState: memory.optimizerState, training: memory.training } } : {}),
    layers: model.nodes.map((n, i) => ({
      name: n.name,
      op: n.op,
      outputShape: dims(n.shape),
      params: n.params.trainable + n.params.nonTrainable,
      trainable: n.frozen ? 0 : n.params.trainable,
      ...(n.frozen ? { frozen: true as const } : {}),
      macs: macs(n.macs),
      line: index.position(n.span.start).line + 1,
      block: n.blockPath,
      ...(n.field ? { receptiveField: n.field.size, outputStride: n.field.stride } : {}),
      ...(memory ? { memory: { activation: memory.layers[i]!.activation, saved: memory.layers[i]!.saved, tfjs: memory.layers[i]!.tfjs } } : {}),
    })),
  };
}

const count = (n: number | null): string => (n === null ? "—" : n.toLocaleString("en-US"));
const showShape = (shape: readonly JsonDim[]): string => `[${shape.join(", ")}]`;

export function renderSummary(summary: SummaryJson): string {
  const withMemory = summary.memory !== undefined;
  const header = ["Layer (op)", "Output shape", "Params", "MACs", ...(withMemory ? ["Activation"] : []), "RF", "Stride", "Line"];
  const rows = summary.layers.map((l) => {
    const field = formatField(l.receptiveField && l.outputStride ? { size: l.receptiveField, stride: l.outputStride } : undefined);
    const activation = withMemory ? [formatBytes(l.memory!.activation)] : [];
    return [`${l.name} (${sourceName(l.op)}${l.frozen ? ", frozen" : ""})`, showShape(l.outputShape), count(l.params), count(l.macs), ...activation, field.receptiveField, field.stride, String(l.line)];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const format = (cells: string[]): string =>
    cells.map((c, i) => (i <= 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("   ").trimEnd();
  const total = widths.reduce((a, b) => a + b, 0) + 3 * (widths.length - 1);
  const out: string[] = [];
  out.push(`Model: ${summary.model}`);
  out.push("─".repeat(total));
  out.push(format(header));
  out.push("═".repeat(total));
  for (const row of rows) out.push(format(row));
  out.push("═".repeat(total));
  out.push(`Input:                ${showShape(summary.input)}  (height, width, channels; batch implicit)`);
  out.push(`Output:               ${showShape(summary.output)}`);
  for (const [i, size] of (summary.sizes ?? []).entries()) {
    const why = size.reasons.length === 0 ? "" : `  (${size.reasons.slice(0, 3).map((r) => `line ${r.line}: ${r.needs}`).join("; ")}${size.reasons.length > 3 ? "; …" : ""})`;
    out.push(`${i === 0 ? "Accepted sizes:       " : "                      "}${summary.conditions![i]}${why}`);
  }
  out.push(`Trainable params:     ${count(summary.params.trainable)}`);
  if (summary.params.frozen > 0) out.push(`Frozen params:        ${count(summary.params.frozen)}  (in \`frozen\` bodies: kept as loaded in training)`);
  out.push(`Non-trainable params: ${count(summary.params.nonTrainable)}  (batchnorm running mean and variance)`);
  out.push(`Total params:         ${count(summary.params.total)}  (as tfjs countParams() reports)`);
  if (summary.macs === null) {
    const names = (summary.sizes ?? []).map((s) => s.name);
    const example = names.map((n) => `${n}=224`).join(",");
    if (summary.macsAt !== undefined) {
      const at = Object.entries(summary.macsAt.sizes).map(([n, v]) => `${n}=${v}`).join(", ");
      out.push(`MACs:                 depend on ${names.join(" and ")}: ${count(summary.macsAt.macs)} at ${at}  (\`--shape\` gives others)`);
    } else out.push(`MACs:                 depend on ${names.join(" and ")}; \`--shape ${example}\` counts them for one size`);
  } else out.push(`MACs:                 ${count(summary.macs)}  (multiply-accumulates for one example)`);
  if (summary.memory !== undefined) out.push(...renderMemory(summary.memory));
  out.push("RF, Stride:           receptive field and output stride, in input pixels");
  out.push("─".repeat(total));
  return out.join("\n") + "\n";
}

function renderMemory(m: MemorySummary): string[] {
  const state = m.optimizerCopies === 0 ? `(${m.optimizer}: none)` : `(${m.optimizer}: ${m.optimizerCopies} cop${m.optimizerCopies === 1 ? "y" : "ies"} of the trainable parameters)`;
  return [
    `Memory at batch ${m.batch} (float32; \`--batch N\` for another):`,
    `  Activations:        ${formatBytes(m.activations)}  (every layer's output in a forward pass; the Activation column)`,
    `  Kept for backward:  ${formatBytes(m.saved)}  (what autograd saves for the gradients, as PyTorch counts it)`,
    `  Parameters:         ${formatBytes(m.params)}`,
    `  Gradients:          ${formatBytes(m.gradients)}`,
    `  Optimizer state:    ${formatBytes(m.optimizerState)}  ${state}`,
    `  Training step:      ${formatBytes(m.training.tfjs)} on tfjs (\`cnnc train\`; it keeps every tensor of a step), ${formatBytes(m.training.pytorch)} on PyTorch`,
  ];
}
