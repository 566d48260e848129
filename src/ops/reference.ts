// Reference text generated from the op registry: grammar/README.md's layer table,
// docs/ir.md's op table and the TextMate grammar's layer keywords (written by
// `npm run generate`, see src/generated-files.ts).

import { formatArgValue } from "./describe.js";
import { OPS, sourceName } from "./registry.js";
import type { ArgSpec, OpDef } from "./types.js";

const ops = OPS as readonly OpDef[];

/** One row per distinct set of cells, listing every op that has them, in registry order. */
function mergedRows(cells: (op: OpDef) => string[], name: (op: OpDef) => string): string[] {
  const rows = new Map<string, { names: string[]; cells: string[] }>();
  for (const op of ops) {
    const own = cells(op);
    const key = own.join("|");
    const row = rows.get(key) ?? rows.set(key, { names: [], cells: own }).get(key)!;
    row.names.push(name(op));
  }
  return [...rows.values()].map((r) => `| ${r.names.map((n) => `\`${n}\``).join(", ")} | ${r.cells.join(" | ")} |`);
}

function named(spec: ArgSpec): string {
  return spec.default === undefined ? spec.name : `${spec.name} (${formatArgValue(spec.default)})`;
}

/** grammar/README.md's table of layers and their arguments. */
export function layerTable(): string {
  const cells = (op: OpDef): string[] => [
    op.args.filter((a) => a.positional).map((a) => (a.variadic ? `${a.name}…` : a.default === undefined ? a.name : named(a))).join(", "),
    op.args.filter((a) => !a.positional).map(named).join(", "),
  ];
  return ["| layer | positional | named (default) |", "|---|---|---|", ...mergedRows(cells, (op) => sourceName(op.name))].join("\n");
}

/** docs/ir.md's table of IR attributes by op. */
export function irOpTable(): string {
  return ["| op | attributes |", "|---|---|", "| `input` | — |", ...mergedRows((op) => [op.irDoc], (op) => op.name)].join("\n");
}

/** The TextMate pattern for layer names (`global` is a keyword of its own). */
export function layerKeywordPattern(): string {
  const words = [...new Set(ops.map((op) => sourceName(op.name).split(" ").pop()!))];
  return `\\b(${words.join("|")})\\b(?!\\s*:)`;
}

export const BEGIN = "<!-- generated from the op registry by `npm run generate`: do not edit -->";
export const END = "<!-- end of generated text -->";

/** `text` with the generated region between the markers replaced by `content`. */
export function replaceGenerated(text: string, content: string): string {
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (begin === -1 || end < begin) throw new Error("no generated region");
  return `${text.slice(0, begin + BEGIN.length)}\n${content}\n${text.slice(end)}`;
}

/** The TextMate grammar (JSON text) with its layer pattern regenerated. */
export function withLayerKeywords(grammarJson: string): string {
  const grammar = JSON.parse(grammarJson) as { repository: { layers: { match: string } } };
  grammar.repository.layers.match = layerKeywordPattern();
  return JSON.stringify(grammar, null, 2) + "\n";
}
