// Places a graph view's boxes and routes its edges with ELK's layered algorithm (elkjs, the
// Eclipse Layout Kernel compiled to JavaScript: no native code, the same in Node and in a
// browser). Edges are routed orthogonally between the layers, around the boxes.

import ElkModule from "elkjs/lib/elk.bundled.js";
import type { ELK, ElkNode } from "elkjs/lib/elk-api.js";
import { CHAR_WIDTH, LINE_HEIGHT } from "./metrics.js";
import type { EdgeKind, GraphView, ViewNode } from "./view.js";

const PADDING_X = 12;
const BOX_HEIGHT = 2 * LINE_HEIGHT + 8;

export interface Point {
  x: number;
  y: number;
}

export interface PlacedNode extends ViewNode {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PlacedEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  /** The route from the source box to the target box, start and end included. */
  points: Point[];
}

export interface GraphLayout {
  model: string;
  expanded: boolean;
  width: number;
  height: number;
  nodes: PlacedNode[];
  edges: PlacedEdge[];
}

const LAYOUT_OPTIONS = {
  "elk.algorithm": "layered",
  "elk.direction": "DOWN",
  "elk.edgeRouting": "ORTHOGONAL",
  "elk.spacing.nodeNode": "28",
  "elk.spacing.edgeNode": "16",
  "elk.spacing.edgeEdge": "10",
  "elk.layered.spacing.nodeNodeBetweenLayers": "26",
  "elk.layered.spacing.edgeNodeBetweenLayers": "14",
  "elk.layered.nodePlacement.strategy": "BRANDES_KOEPF",
  // Keeps the source order where the algorithm has a choice, so a residual's body stays on the main line.
  "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES",
  "elk.padding": "[top=12,left=12,bottom=12,right=12]",
};

// The bundled build is a CommonJS module: its constructor is the default export in Node and
// in bundlers, but some interop layers wrap it once more.
const Elk = ((ElkModule as unknown as { default?: unknown }).default ?? ElkModule) as unknown as new () => ELK;

let shared: ELK | undefined;

export function boxSize(node: ViewNode): { width: number; height: number } {
  const chars = Math.max(node.title.length, node.shape.length);
  return { width: Math.ceil(chars * CHAR_WIDTH + 2 * PADDING_X), height: BOX_HEIGHT };
}

/** Lays a view out. `elk` lets a browser pass an instance that runs in a worker. */
export async function layoutGraph(view: GraphView, elk: ELK = (shared ??= new Elk())): Promise<GraphLayout> {
  const graph: ElkNode = {
    id: "root",
    layoutOptions: LAYOUT_OPTIONS,
    children: view.nodes.map((n) => ({ id: n.id, ...boxSize(n) })),
    edges: view.edges.map((e, i) => ({ id: `e${i}`, sources: [e.from], targets: [e.to] })),
  };
  const placed = await elk.layout(graph);
  const round = (v: number): number => Math.round(v * 10) / 10;
  const boxes = new Map((placed.children ?? []).map((c) => [c.id, c]));
  const nodes = view.nodes.map((n): PlacedNode => {
    const box = boxes.get(n.id)!;
    return { ...n, x: round(box.x ?? 0), y: round(box.y ?? 0), width: box.width ?? 0, height: box.height ?? 0 };
  });
  const routes = new Map((placed.edges ?? []).map((e) => [e.id, e]));
  const edges = view.edges.map((e, i): PlacedEdge => {
    const section = routes.get(`e${i}`)?.sections?.[0];
    const points = section === undefined ? [] : [section.startPoint, ...(section.bendPoints ?? []), section.endPoint];
    return { ...e, points: points.map((p) => ({ x: round(p.x), y: round(p.y) })) };
  });
  return { model: view.model, expanded: view.expanded, width: round(placed.width ?? 0), height: round(placed.height ?? 0), nodes, edges };
}
