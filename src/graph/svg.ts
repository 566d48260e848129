// Renders a laid-out graph as a standalone SVG. Every box is a `<g class="node">` with the
// source place in data attributes (`data-line`, `data-start`, …) and a link to `#L<line>`,
// so a page that embeds the picture can jump to the line; its `<title>` is the tooltip.
// Frozen layers have a dashed border.

import type { GraphLayout, PlacedEdge, PlacedNode } from "./layout.js";
import { CHAR_WIDTH, FONT_SIZE, LINE_HEIGHT } from "./metrics.js";
import type { EdgeKind, NodeKind } from "./view.js";

const NODE_COLOURS: Record<NodeKind, { fill: string; stroke: string; label: string }> = {
  input: { fill: "#eceff1", stroke: "#607d8b", label: "input" },
  convolution: { fill: "#dbe9ff", stroke: "#3b6fc4", label: "convolution" },
  pooling: { fill: "#dcf3e1", stroke: "#3f8f55", label: "pooling" },
  normalization: { fill: "#fff3c4", stroke: "#a07d00", label: "normalization" },
  activation: { fill: "#ffe3d1", stroke: "#c8642a", label: "activation" },
  core: { fill: "#ece0f7", stroke: "#7b4fa6", label: "dense" },
  reshape: { fill: "#eeeeee", stroke: "#777777", label: "reshape" },
  merge: { fill: "#fbdde2", stroke: "#b8475c", label: "merge" },
  block: { fill: "#d9f0f1", stroke: "#2f8a8f", label: "block call" },
};

const EDGE_STYLES: Record<EdgeKind, { stroke: string; dash?: string; label: string }> = {
  data: { stroke: "#555555", label: "data" },
  residual: { stroke: "#1f6fd1", dash: "6 4", label: "residual skip" },
  concat: { stroke: "#2e8b57", label: "concat input" },
  gate: { stroke: "#8e44ad", dash: "2 3", label: "gated input" },
  skip: { stroke: "#c0392b", dash: "6 4", label: "named tensor" },
};

const LEGEND_HEIGHT = 28;
const FONT = "ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace";

const escape = (text: string): string => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const count = (n: number): string => n.toLocaleString("en-US");

export function renderSvg(layout: GraphLayout): string {
  const kinds = [...new Set(layout.nodes.map((n) => n.kind))].sort((a, b) => Object.keys(NODE_COLOURS).indexOf(a) - Object.keys(NODE_COLOURS).indexOf(b));
  const edgeKinds = (Object.keys(EDGE_STYLES) as EdgeKind[]).filter((k) => layout.edges.some((e) => e.kind === k));
  const legend = legendItems(kinds, edgeKinds);
  const width = Math.ceil(Math.max(layout.width, legend.width + 24));
  const height = Math.ceil(layout.height + LEGEND_HEIGHT);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" font-size="${FONT_SIZE}" data-model="${escape(layout.model)}">`);
  out.push(`<title>${escape(layout.model)}</title>`);
  out.push("<defs>");
  for (const kind of edgeKinds) {
    out.push(`<marker id="arrow-${kind}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${EDGE_STYLES[kind].stroke}"/></marker>`);
  }
  out.push("</defs>");
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(legend.svg);
  out.push(`<g transform="translate(0,${LEGEND_HEIGHT})">`);
  out.push('<g class="edges" fill="none">');
  for (const edge of layout.edges) out.push(edgeSvg(edge));
  out.push("</g>");
  out.push('<g class="nodes">');
  for (const node of layout.nodes) out.push(nodeSvg(node));
  out.push("</g>");
  out.push("</g>");
  out.push("</svg>");
  return out.join("\n") + "\n";
}

function edgeSvg(edge: PlacedEdge): string {
  const style = EDGE_STYLES[edge.kind];
  const d = edge.points.map((p, i) => `${i === 0 ? "M" : "L"}${p.x},${p.y}`).join(" ");
  const dash = style.dash === undefined ? "" : ` stroke-dasharray="${style.dash}"`;
  return `<path class="edge ${edge.kind}" data-from="${edge.from}" data-to="${edge.to}" d="${d}" stroke="${style.stroke}" stroke-width="1.4"${dash} marker-end="url(#arrow-${edge.kind})"/>`;
}

function nodeSvg(node: PlacedNode): string {
  const colour = NODE_COLOURS[node.kind];
  const macs = node.macs === null ? "MACs depend on the input size" : `${count(node.macs)} MACs`;
  const what = node.kind === "block" ? `${node.title}, ${node.layers} layers` : node.title;
  const tooltip = `${node.name}: ${what} → ${node.shape}; ${count(node.params)} params${node.frozen ? " (frozen)" : ""}; ${macs}; line ${node.line}`;
  const centre = node.x + node.width / 2;
  const top = node.y + node.height / 2 - LINE_HEIGHT + FONT_SIZE - 2;
  const attrs = `id="${node.id}" data-name="${escape(node.name)}" data-op="${escape(node.op)}" data-kind="${node.kind}" data-line="${node.line}" data-column="${node.column}" data-start="${node.start}" data-end="${node.end}"`;
  return [
    `<g class="node ${node.kind}" ${attrs}>`,
    `<a href="#L${node.line}">`,
    `<title>${escape(tooltip)}</title>`,
    `<rect x="${node.x}" y="${node.y}" width="${node.width}" height="${node.height}" rx="5" fill="${colour.fill}" stroke="${colour.stroke}" stroke-width="${node.kind === "block" ? 2 : 1.2}"${node.frozen ? ' stroke-dasharray="4 3"' : ""}/>`,
    `<text x="${centre}" y="${top}" text-anchor="middle" font-weight="bold" fill="#1a1a1a">${escape(node.title)}</text>`,
    `<text x="${centre}" y="${top + LINE_HEIGHT}" text-anchor="middle" fill="#444444">${escape(node.shape)}</text>`,
    "</a>",
    "</g>",
  ].join("");
}

/** One row: a swatch per box colour used, then a line sample per edge kind used. */
function legendItems(kinds: NodeKind[], edgeKinds: EdgeKind[]): { svg: string; width: number } {
  const parts: string[] = [];
  let x = 12;
  const y = 10;
  for (const kind of kinds) {
    const c = NODE_COLOURS[kind];
    parts.push(`<rect x="${x}" y="${y - 1}" width="14" height="12" rx="2" fill="${c.fill}" stroke="${c.stroke}"/><text x="${x + 19}" y="${y + 9}" fill="#333333">${c.label}</text>`);
    x += 19 + Math.ceil(c.label.length * CHAR_WIDTH) + 14;
  }
  for (const kind of edgeKinds.filter((k) => k !== "data")) {
    const s = EDGE_STYLES[kind];
    const dash = s.dash === undefined ? "" : ` stroke-dasharray="${s.dash}"`;
    parts.push(`<path d="M${x},${y + 5} L${x + 22},${y + 5}" stroke="${s.stroke}" stroke-width="1.4"${dash}/><text x="${x + 27}" y="${y + 9}" fill="#333333">${s.label}</text>`);
    x += 27 + Math.ceil(s.label.length * CHAR_WIDTH) + 14;
  }
  return { svg: `<g class="legend">${parts.join("")}</g>`, width: x };
}
