// The source's layers (README, "Layout"): every relative import (type-only ones too) stays
// on its own floor or goes down, and no module imports itself through others; and the
// layout names every folder.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers.js";

/** The folders whose imports are checked; the language server sits on the top floor, over src/ide/. */
const ROOTS = ["src", join("lsp", "server")];

/** Floors, lowest first: the first pattern a file's path (from the repository root) matches gives its floor. */
const FLOORS: readonly (readonly RegExp[])[] = [
  [/^src\/diagnostics\//, /^src\/limits\.ts$/],
  [/^src\/syntax\//],
  [/^src\/shape\//],
  [/^src\/ops\//],
  [/^src\/check\//, /^src\/compile\.ts$/, /^src\/host\//],
  [/^src\/ir\//, /^src\/summary\//, /^src\/graph\//, /^src\/format\//, /^src\/ide\//],
  [/^src\/runtime\//],
  [/^src\/emit\//, /^src\/kernels\//, /^src\/convert\//, /^src\/data\//],
  [/^src\/train\//],
  [/^src\/driver\.ts$/, /^src\/library\.ts$/, /^src\/index\.ts$/, /^src\/browser\.ts$/, /^src\/generated-files\.ts$/, /^src\/plugins\//, /^lsp\/server\//, /^src\/cli\//],
];

function floorOf(path: string): number {
  const floor = FLOORS.findIndex((patterns) => patterns.some((p) => p.test(path)));
  if (floor === -1) throw new Error(`${path} is on no floor: add it to FLOORS and to the README's layout`);
  return floor;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith(".ts") ? [relative(ROOT, path)] : [];
  });
}

/** Each file's relative imports (type-only ones too) as paths from the repository root. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of ROOTS.flatMap((root) => sourceFiles(join(ROOT, root)))) {
    const text = readFileSync(join(ROOT, file), "utf8");
    const statements = [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+"(\.{1,2}\/[^"]+)"/gms)];
    graph.set(file, statements.map((m) => normalize(join(dirname(file), m[1]!.replace(/\.js$/, ".ts")))));
  }
  return graph;
}

/** The folders the README's layout must name: every one under src/ and lsp/, and every top-level one (not hidden or built). */
function folders(dir: string, depth: number): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = dir === "" ? name : `${dir}/${name}`;
    if (name.startsWith(".") || name === "node_modules" || name === "dist" || !statSync(join(ROOT, path)).isDirectory()) return [];
    return [path, ...(depth > 1 ? folders(path, depth - 1) : [])];
  });
}

describe("layers", () => {
  it("the README's layout names every folder", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const start = readme.indexOf("## Layout");
    const end = readme.indexOf("\n## ", start + 1);
    const layout = readme.slice(start, end === -1 ? undefined : end);
    const listed = (path: string): boolean => layout.includes(`${path}/`);
    const wanted = [...folders("", 1), ...folders("src", 3), ...folders("lsp", 3)];
    expect(wanted.filter((path) => !listed(path))).toEqual([]);
  });


  it("no import runs from a lower floor to a higher one", () => {
    const graph = importGraph();
    const upward = [...graph].flatMap(([file, targets]) => targets.filter((t) => floorOf(t) > floorOf(file)).map((t) => `${file} → ${t}`));
    expect(upward).toEqual([]);
  });

  it("no import cycle, not even of type-only imports", () => {
    const graph = importGraph();
    // Tarjan's strongly connected components; any with more than one file is a cycle.
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const cycles: string[][] = [];
    const visit = (file: string): void => {
      index.set(file, index.size);
      low.set(file, index.get(file)!);
      stack.push(file);
      for (const target of graph.get(file) ?? []) {
        if (!index.has(target)) {
          visit(target);
          low.set(file, Math.min(low.get(file)!, low.get(target)!));
        } else if (stack.includes(target)) low.set(file, Math.min(low.get(file)!, index.get(target)!));
      }
      if (low.get(file) === index.get(file)) {
        const component: string[] = [];
        let top: string;
        do component.push((top = stack.pop()!));
        while (top !== file);
        if (component.length > 1) cycles.push(component.sort());
      }
    };
    for (const file of graph.keys()) if (!index.has(file)) visit(file);
    expect(cycles).toEqual([]);
  });
});
