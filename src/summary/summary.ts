// The model summary: a table like Keras's `model.summary()` and torchinfo, and its JSON
// form. Counting conventions: trainable = PyTorch's parameters(), non-trainable =
// batchnorm running statistics, total = tfjs countParams(); MACs as in the reference.

import type { ModelGraph } from "../check/graph.js";
import { formatShape } from "../check/shape.js";
import { sourceName } from "../ops/registry.js";
import { LineIndex } from "../syntax/line-index.js";
import { formatField } from "../check/receptive-field.js";

export interface SummaryLayer {
  name: string;
  op: string;
  outputShape: number[];
  params: number;
  trainable: number;
  macs: number;
  line: number;
  block: string[];
  /** Receptive field [height, width] in input pixels, and output stride; absent for flat-input models. */
  receptiveField?: [number, number];
  outputStride?: [number, number];
}

export interface SummaryJson {
  model: string;
  layout: "HWC";
  input: number[];
  output: number[];
  params: { trainable: number; nonTrainable: number; total: number };
  macs: number;
  layers: SummaryLayer[];
}

export function summarize(model: ModelGraph, text: string): SummaryJson {
  const index = new LineIndex(text);
  const input = model.nodes.find((n) => n.op === "input");
  const output = model.outputId === undefined ? undefined : model.nodes[model.outputId];
  return {
    model: model.name,
    layout: "HWC",
    input: input ? [...input.shape] : [],
    output: output ? [...output.shape] : [],
    params: { ...model.params },
    macs: model.macs,
    layers: model.nodes.map((n) => ({
      name: n.name,
      op: n.op,
      outputShape: [...n.shape],
      params: n.params.trainable + n.params.nonTrainable,
      trainable: n.params.trainable,
      macs: n.macs,
      line: index.position(n.span.start).line + 1,
      block: n.blockPath,
      ...(n.field ? { receptiveField: n.field.size, outputStride: n.field.stride } : {}),
    })),
  };
}

const count = (n: number): string => n.toLocaleString("en-US");

export function renderSummary(summary: SummaryJson): string {
  const header = ["Layer (op)", "Output shape", "Params", "MACs", "RF", "Stride", "Line"];
  const rows = summary.layers.map((l) => {
    const field = formatField(l.receptiveField && l.outputStride ? { size: l.receptiveField, stride: l.outputStride } : undefined);
    return [`${l.name} (${sourceName(l.op)})`, formatShape(l.outputShape), count(l.params), count(l.macs), field.receptiveField, field.stride, String(l.line)];
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
  out.push(`Input:                ${formatShape(summary.input)}  (height, width, channels; batch implicit)`);
  out.push(`Output:               ${formatShape(summary.output)}`);
  out.push(`Trainable params:     ${count(summary.params.trainable)}`);
  out.push(`Non-trainable params: ${count(summary.params.nonTrainable)}  (batchnorm running mean and variance)`);
  out.push(`Total params:         ${count(summary.params.total)}  (as tfjs countParams() reports)`);
  out.push(`MACs:                 ${count(summary.macs)}  (multiply-accumulates for one example)`);
  out.push("RF, Stride:           receptive field and output stride, in input pixels");
  out.push("─".repeat(total));
  return out.join("\n") + "\n";
}
