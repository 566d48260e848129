// Broken programs: each gives the codes its header names, at least one error, and the
// exact diagnostics committed as golden files (rendered text, like TypeScript's
// .errors.txt baselines, and the JSON that `cnnc check --json` prints). Broken imports
// are folders under examples/errors/imports/, each compiled from its main.cnn.

import { describe, expect, it } from "vitest";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { compile } from "../src/compile.js";
import { nodeHost } from "../src/host/node.js";
import { CODES } from "../src/diagnostics/codes.js";
import { toJsonDiagnostics } from "../src/diagnostics/json.js";
import { renderDiagnostics } from "../src/diagnostics/render.js";
import { cnnFiles, ERRORS, GOLDEN, read, ROOT } from "./helpers.js";

const files = cnnFiles(ERRORS);
const importCases = readdirSync(join(ERRORS, "imports")).sort();
const seenCodes = new Set<string>();

/** The codes a file's first line promises, e.g. `// … (E0302)`. */
function promisedCodes(text: string): string[] {
  return (text.split("\n")[0]!.match(/[EW]\d{4}/g) ?? []) as string[];
}

/** Golden text must not depend on where the repository is checked out: messages name the absolute path they tried. */
function portable(text: string): string {
  return text.split(ROOT).join("$ROOT");
}

describe("broken examples", () => {
  it("number at least 40", () => {
    expect(files.length).toBeGreaterThanOrEqual(40);
  });

  for (const file of files) {
    const name = file.replace(/\.cnn$/, "");
    it(name, async () => {
      const text = read(join(ERRORS, file));
      // A header may give symbolic sizes as the CLI would: `// … (E0705) --shape H=225,W=224`.
      const shapeOption = /--shape (\S+)/.exec(text.split("\n")[0]!)?.[1];
      const sizes = shapeOption === undefined ? undefined : new Map(shapeOption.split(",").map((pair) => [pair.split("=")[0]!, Number(pair.split("=")[1])] as [string, number]));
      const result = compile(text, { sizes });
      const codes = result.diagnostics.map((d) => d.code);
      codes.forEach((c) => seenCodes.add(c));
      expect(result.diagnostics.some((d) => d.severity === "error")).toBe(true);
      // The first line names the codes the file is about, e.g. `// … (E0302)`.
      const promised = promisedCodes(text);
      expect(promised.length).toBeGreaterThan(0);
      for (const code of promised) expect(codes).toContain(code);
      const path = `examples/errors/${file}`;
      await expect(renderDiagnostics(result.diagnostics, path, text, { color: false })).toMatchFileSnapshot(join(GOLDEN, "diagnostics", `${name}.txt`));
      await expect(JSON.stringify({ diagnostics: toJsonDiagnostics(result.diagnostics, path, text) }, null, 2) + "\n").toMatchFileSnapshot(join(GOLDEN, "diagnostics", `${name}.json`));
    });
  }

  describe("imports", () => {
    it("number at least 6", () => {
      expect(importCases.length).toBeGreaterThanOrEqual(6);
    });

    for (const name of importCases) {
      it(name, async () => {
        const path = `examples/errors/imports/${name}/main.cnn`;
        const text = read(join(ROOT, path));
        const result = compile(text, { path: join(ROOT, path), host: nodeHost });
        const codes = result.diagnostics.map((d) => d.code);
        codes.forEach((c) => seenCodes.add(c));
        const promised = promisedCodes(text);
        expect(promised.length).toBeGreaterThan(0);
        for (const code of promised) expect(codes).toContain(code);
        const rendered = renderDiagnostics(result.diagnostics, path, text, { color: false, sources: result.sources });
        await expect(portable(rendered)).toMatchFileSnapshot(join(GOLDEN, "diagnostics", "imports", `${name}.txt`));
        const json = JSON.stringify({ diagnostics: toJsonDiagnostics(result.diagnostics, path, text, result.sources) }, null, 2) + "\n";
        await expect(portable(json)).toMatchFileSnapshot(join(GOLDEN, "diagnostics", "imports", `${name}.json`));
      });
    }
  });

  it("cover every diagnostic code", () => {
    // Codes that `check` cannot give, each tested where it arises: lowering to a target
    // (E0601, E0620, E0640: test/cli.test.ts, test/onnx/onnx.test.ts, test/tfjs-depth.test.ts),
    // the bundler plugins (E0970, E0971: test/plugins.test.ts), loading a state_dict
    // (E0901–E0904: test/pytorch/torchvision.test.ts, test/pytorch/convert.test.ts) and the
    // memory checks before training (W0901, E0650: test/memory.test.ts). E0104 needs a file of
    // millions of characters, which test/hostile.test.ts makes.
    const fromTargets = ["E0601", "E0620", "E0640", "E0970", "E0971", "E0901", "E0902", "E0903", "E0904", "W0901", "E0650", "E0104"];
    const missing = Object.keys(CODES).filter((code) => !fromTargets.includes(code) && !seenCodes.has(code));
    expect(missing).toEqual([]);
  });
});
