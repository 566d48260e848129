// Editor features on a file that imports from the standard library and declares top-level
// constants: names resolve through imports and the file's scope, hovers show what an
// imported block is and where it comes from, and renames keep to what this file owns.

import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { completion } from "../../src/ide/completion.js";
import { documentSymbols } from "../../src/ide/document-symbols.js";
import { hover } from "../../src/ide/hover.js";
import { references } from "../../src/ide/references.js";
import { rename } from "../../src/ide/rename.js";
import { definitionAcrossFiles, exportedNameAt } from "../../src/ide/workspace.js";
import { BUILT_IN_STDLIB } from "../../src/check/modules.js";
import { markSpans, withCursor } from "./markers.js";

const NET = `import { basic as Res, bottleneck } from "std/resnet"

/// The stem's width.
let width = 16

model Net {
  input image: [32, 32, 3]
  conv width, kernel: 3, padding: 1
  Res(width)
  bottleneck(width)
}
`;

function at(marker: string): string {
  const index = NET.indexOf(marker);
  if (index < 0) throw new Error(`no ${marker}`);
  return NET.slice(0, index) + "<|>" + NET.slice(index);
}

describe("names through imports and top-level constants", () => {
  it("finds every use of a top-level constant", () => {
    const { analysis, offset, text } = withCursor(at("width, kernel"));
    expect(markSpans(text, references(analysis, offset, true))).toContain("let ⟦width⟧ = 16");
    expect(references(analysis, offset, true)).toHaveLength(4);
  });

  it("goes from an aliased call to the block in the standard library", () => {
    const { analysis, offset } = withCursor(at("Res(width)"));
    const target = definitionAcrossFiles(analysis, offset)!;
    expect(target.path).toBe(join(BUILT_IN_STDLIB, "resnet.cnn"));
    const text = analysis.compilation.sources.find((s) => s.path === target.path)!.text;
    expect(text.slice(target.span.start, target.span.end)).toBe("basic");
  });

  it("hovers an imported call with the block's signature, doc and origin", () => {
    const { analysis, offset } = withCursor(at("bottleneck(width)"));
    const contents = hover(analysis, offset)!.contents;
    expect(contents).toContain("block bottleneck(width, stride = 1, expansion = 4, groups = 1)");
    expect(contents).toContain("The bottleneck block of ResNet-50");
    expect(contents).toContain("imported from `std/resnet`");
  });

  it("hovers a top-level constant with its value and doc", () => {
    const { analysis, offset } = withCursor(at("width)\n  bottleneck"));
    expect(hover(analysis, offset)!.contents).toBe("```cnn\nlet width = 16\n```\n\nThe stem's width.");
  });

  it("lists top-level constants in the outline, in source order", () => {
    const { analysis } = withCursor(at("model Net"));
    expect(documentSymbols(analysis).map((s) => [s.kind, s.name, s.detail])).toEqual([
      ["constant", "width", "16"],
      ["model", "Net", "model Net"],
    ]);
  });

  it("completes imported blocks and top-level constants", () => {
    const { analysis, offset } = withCursor(NET.replace("  bottleneck(width)\n", "  bottleneck(wi<|>)\n"));
    expect(completion(analysis, offset).items.map((i) => i.label)).toContain("width");
    const { analysis: a2, offset: o2 } = withCursor(NET.replace("  bottleneck(width)\n", "  <|>\n"));
    expect(completion(a2, o2).items.map((i) => i.label)).toEqual(expect.arrayContaining(["Res", "bottleneck"]));
  });

  it("renames an alias in this file only, and leaves a name declared elsewhere to the workspace rename", () => {
    const { analysis, offset, text } = withCursor(at("Res(width)"));
    const result = rename(analysis, offset, "Residual");
    expect("edits" in result && markSpans(text, result.edits.map((e) => e.span))).toContain("basic as ⟦Res⟧");
    expect("edits" in result && result.edits).toHaveLength(2);
    expect(exportedNameAt(analysis, offset, "/p/net.cnn", true)).toBeUndefined();
    const { analysis: a2, offset: o2 } = withCursor(at("bottleneck(width)"));
    expect(rename(a2, o2, "neck")).toEqual({ error: "`bottleneck` is declared in `std/resnet`: rename it there" });
    expect(exportedNameAt(a2, o2, "/p/net.cnn", true)).toEqual({ path: join(BUILT_IN_STDLIB, "resnet.cnn"), name: "bottleneck" });
  });
});
