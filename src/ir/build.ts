// Lowers a checked model graph to the IR: each op's definition gives its IR form (padding
// resolved to numbers, defaults explicit, adaptive pooling a fixed window).

import type { LayerNode, ModelGraph } from "../check/graph.js";
import { isConcreteShape } from "../shape/shape.js";
import type { TrainConfig } from "../check/train.js";
import { lookupOp } from "../ops/registry.js";
import { LineIndex } from "../diagnostics/line-index.js";
import { IR_VERSION, type IrAttrs, type IrGraph, type IrNode } from "./ir.js";

function attrsOf(node: LayerNode, input: readonly number[] | undefined): IrAttrs {
  if (node.op === "input") return { op: "input" };
  const op = lookupOp(node.op);
  if (op === undefined) throw new Error(`no op ${node.op}`);
  return op.toIr(node.args, input!) as IrAttrs;
}

/** Builds the IR of a model that checked without errors. */
export function buildIr(model: ModelGraph, text: string, train?: TrainConfig): IrGraph {
  if (!model.complete || model.outputId === undefined) throw new Error(`model ${model.name} has errors; check it first`);
  // Front ends refuse symbolic models with a message (see symbolicSizesError); reaching here is a bug.
  if (!model.nodes.every((n) => isConcreteShape(n.shape))) throw new Error(`model ${model.name} has symbolic sizes; fix them with --shape first`);
  const index = new LineIndex(text);
  const nodes: IrNode[] = model.nodes.map((node) => {
    const input = node.inputs.length > 0 ? (model.nodes[node.inputs[0]!]!.shape as readonly number[]) : undefined;
    const position = index.position(node.span.start);
    return {
      id: node.id,
      name: node.name,
      attrs: attrsOf(node, input),
      inputs: [...node.inputs],
      shape: [...(node.shape as readonly number[])],
      params: { ...node.params },
      macs: node.macs,
      source: { line: position.line + 1, column: position.character + 1, start: node.span.start, end: node.span.end },
      block: [...node.blockPath],
      role: node.role,
      ...(node.frozen ? { frozen: true as const } : {}),
    };
  });
  const inputNode = nodes.find((n) => n.attrs.op === "input")!;
  const output = nodes[model.outputId]!;
  return {
    version: IR_VERSION,
    model: model.name,
    layout: "NHWC",
    input: { name: inputNode.name, node: inputNode.id, shape: [...inputNode.shape] },
    output: { node: output.id, shape: [...output.shape] },
    nodes,
    params: { ...model.params },
    macs: model.macs,
    ...(train ? { train } : {}),
  };
}
