// Helpers shared by the benchmarks.

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root, from either bench/ or dist/bench/. */
export const ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) dir = dirname(dir);
  return dir;
})();

export function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Replaces the text between `<!-- NAME:begin -->` and `<!-- NAME:end -->` in a Markdown file. */
export function replaceSection(path: string, name: string, body: string): void {
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const text = existsSync(path) ? readFileSync(path, "utf8") : "";
  const start = text.indexOf(begin);
  const stop = text.indexOf(end);
  const section = `${begin}\n${body}\n${end}`;
  const updated = start >= 0 && stop > start ? text.slice(0, start) + section + text.slice(stop + end.length) : `${text}\n${section}\n`;
  writeFileSync(path, updated);
}

/** A model of `layers` plain layers in a row (conv, batchnorm, relu, …): the benchmarks' large input. */
export function generatedModel(layers: number): string {
  const lines = ["model Generated {", "  input image: [32, 32, 16]"];
  const kinds = ["conv 16, kernel: 3, padding: 1", "batchnorm", "relu"];
  for (let i = 0; i < layers; i++) lines.push(`  ${kinds[i % kinds.length]}`);
  lines.push("}", "");
  return lines.join("\n");
}
