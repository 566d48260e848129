// What `cnnc graph` draws, as plain data: one box per layer, or per top-level block call
// unless the blocks are opened, each with its op, output shape and source place, and the
// edges between them, marked when they are a residual skip, a concat input or a gate.
// Pure: the CLI and the playground both lay it out and render it.

import type { LayerNode, ModelGraph } from "../check/graph.js";
import { formatShape } from "../shape/shape.js";
import { lookupOp, sourceName } from "../ops/registry.js";
import type { OpCategory } from "../ops/types.js";
import { LineIndex } from "../diagnostics/line-index.js";

/** What colours a box: the op's category, the input, or a block call. */
export type NodeKind = OpCategory | "input" | "block";

/**
 * `data`: the main path. `residual`: the skip into a residual add. `concat`: an input of a
 * concatenation. `gate`: the input a gate multiplies. `skip`: a named tensor used further on.
 */
export type EdgeKind = "data" | "residual" | "concat" | "gate" | "skip";

export interface ViewNode {
  /** Stable within one view: `n<first layer id>`. */
  id: string;
  /** The layer's name (`conv_3`), or the block call's name. */
  name: string;
  /** The first line of the box: the op and its main arguments, or the block call as written. */
  title: string;
  /** The output shape, as the summary prints it. */
  shape: string;
  kind: NodeKind;
  /** The registry op, `input`, or the block's name. */
  op: string;
  params: number;
  /** Null where it depends on symbolic sizes. */
  macs: number | null;
  /** 1-based line and column of the layer or block call, and its offsets in the source. */
  line: number;
  column: number;
  start: number;
  end: number;
  /** The layers this box stands for (one, or every layer of a block call). */
  layers: number;
  /** Every layer with weights in the box is in a `frozen { … }` body. */
  frozen?: true;
}

export interface ViewEdge {
  from: string;
  to: string;
  kind: EdgeKind;
}

export interface GraphView {
  model: string;
  expanded: boolean;
  nodes: ViewNode[];
  edges: ViewEdge[];
}

export interface ViewOptions {
  /** Open block calls into their layers. */
  expand?: boolean;
}

export function graphView(model: ModelGraph, text: string, options: ViewOptions = {}): GraphView {
  const index = new LineIndex(text);
  const expand = options.expand === true;
  const shapeOptions = { sizes: model.sizes?.sets };
  // Each layer belongs to a box: itself, or the outermost block call around it.
  const boxOf = (node: LayerNode): string => (expand || node.blockCalls.length === 0 ? `n${node.id}` : `b${node.blockCalls[0]!.id}`);
  const groups = new Map<string, LayerNode[]>();
  for (const node of model.nodes) {
    const box = boxOf(node);
    const group = groups.get(box);
    if (group === undefined) groups.set(box, [node]);
    else group.push(node);
  }
  const ids = new Map<string, string>();
  const nodes: ViewNode[] = [];
  for (const [box, layers] of groups) {
    const first = layers[0]!;
    // A block's output is the last layer its body added.
    const last = layers[layers.length - 1]!;
    const span = box.startsWith("b") ? first.blockCalls[0]!.span : first.span;
    const position = index.position(span.start);
    const sum = (f: (n: LayerNode) => number): number => layers.reduce((total, n) => total + f(n), 0);
    const macs = sum((n) => n.macs);
    const id = `n${first.id}`;
    ids.set(box, id);
    nodes.push({
      id,
      name: box.startsWith("b") ? first.blockPath[0]! : first.op === "input" ? model.inputName : first.name,
      title: box.startsWith("b") ? callTitle(first.blockCalls[0]!.label, first.blockPath[0]!) : layerTitle(first, model.inputName),
      shape: formatShape(last.shape, shapeOptions),
      kind: box.startsWith("b") ? "block" : first.op === "input" ? "input" : (lookupOp(first.op)?.category ?? "core"),
      op: box.startsWith("b") ? first.blockPath[0]! : first.op,
      params: sum((n) => n.params.trainable + n.params.nonTrainable),
      macs: Number.isNaN(macs) ? null : macs,
      line: position.line + 1,
      column: position.character + 1,
      start: span.start,
      end: span.end,
      layers: layers.length,
      ...(isFrozen(layers) ? { frozen: true as const } : {}),
    });
  }
  const edges = new Map<string, ViewEdge>();
  for (const node of model.nodes) {
    const to = ids.get(boxOf(node))!;
    node.inputs.forEach((input, position) => {
      const source = model.nodes[input];
      if (source === undefined) return;
      const from = ids.get(boxOf(source))!;
      if (from === to) return;
      const key = `${from}>${to}`;
      const kind = edgeKind(node, position);
      // The same pair of boxes joined twice (a block's main path and its skip) is drawn once, as the main path.
      const known = edges.get(key);
      if (known === undefined || kind === "data") edges.set(key, { from, to, kind });
    });
  }
  return { model: model.name, expanded: expand, nodes, edges: [...edges.values()] };
}

function isFrozen(layers: readonly LayerNode[]): boolean {
  const weighted = layers.filter((n) => n.params.trainable + n.params.nonTrainable > 0);
  return weighted.length > 0 && weighted.every((n) => n.frozen === true);
}

function edgeKind(node: LayerNode, position: number): EdgeKind {
  if (node.role === "residual") return position === 0 ? "data" : "residual";
  if (node.role === "gate") return position === 0 ? "gate" : "data";
  if (node.op === "concat") return "concat";
  // A merge layer's further inputs are named tensors from earlier in the model.
  return position === 0 ? "data" : "skip";
}

const pair = (value: unknown): [number, number] | undefined =>
  typeof value === "number" ? [value, value] : Array.isArray(value) ? [value[0] as number, value[1] as number] : undefined;
const window = (kernel: unknown, stride: unknown): string => {
  const k = pair(kernel);
  const s = pair(stride);
  const size = k === undefined ? "" : ` ${k[0]}×${k[1]}`;
  const step = s === undefined || (s[0] === 1 && s[1] === 1) || (k !== undefined && s[0] === k[0] && s[1] === k[1]) ? "" : s[0] === s[1] ? ` /${s[0]}` : ` /${s[0]}×${s[1]}`;
  return size + step;
};

/** The op and the arguments that tell two layers of one kind apart. */
function layerTitle(node: LayerNode, inputName: string): string {
  const a = node.args;
  switch (node.op) {
    case "input":
      return `input ${inputName}`;
    case "conv":
    case "separable_conv":
    case "transposed_conv":
      return `${node.op === "conv" ? "conv" : node.op.replace("_conv", "")} ${a["filters"]}${window(a["kernel"], a["stride"])}`;
    case "depthwise_conv":
      return `depthwise${window(a["kernel"], a["stride"])}`;
    case "maxpool":
    case "avgpool":
      return `${node.op}${window(a["kernel"], a["stride"])}`;
    case "dense":
      return `dense ${a["units"]}`;
    case "dropout":
      return `dropout ${a["rate"]}`;
    case "upsample": {
      const scale = pair(a["scale"]);
      return scale === undefined ? "upsample" : `upsample ×${scale[0] === scale[1] ? scale[0] : `${scale[0]}×${scale[1]}`}`;
    }
    default:
      return node.role === "shortcut" ? `${sourceName(node.op)} (shortcut)` : sourceName(node.op);
  }
}

/** A block call with its values (`basic(128, 2)`), shortened to its name when long. */
function callTitle(label: string, name: string): string {
  return label.length <= 40 ? label : `${name}(…)`;
}
