// Go to definition, find references and rename, for blocks, tensors and values.

import { describe, expect, it } from "vitest";
import { definition } from "../../src/ide/definition.js";
import { references } from "../../src/ide/references.js";
import { prepareRename, rename } from "../../src/ide/rename.js";
import { markSpans, withCursor } from "./markers.js";

const UNET = `block Double(channels) {
  conv channels, kernel: 3, padding: 1 -> relu
}

model U {
  input image: [32, 32, 1]
  Double(8) as enc1
  maxpool 2 -> Double(16)
  for channels, skip in [(8, enc1)] {
    transposed_conv channels, kernel: 2, stride: 2 -> concat skip
    Double(channels: channels)
  }
}

train U {
  optimizer: adam
  loss: mse
}
`;

function at(marker: string, occurrence = 0): string {
  let index = -1;
  for (let i = 0; i <= occurrence; i++) index = UNET.indexOf(marker, index + 1);
  if (index < 0) throw new Error(`no ${marker}`);
  return UNET.slice(0, index) + "<|>" + UNET.slice(index);
}

describe("definition", () => {
  it("goes from a block call to the block's name", () => {
    const { analysis, offset, text } = withCursor(at("Double(16)"));
    const target = definition(analysis, offset)!;
    expect(text.slice(target.start, target.end)).toBe("Double");
    expect(target.start).toBe(UNET.indexOf("Double"));
  });

  it("goes from a tensor use, through a loop list, to its `as` binding", () => {
    const { analysis, offset } = withCursor(at("enc1)]"));
    expect(definition(analysis, offset)?.start).toBe(UNET.indexOf("enc1"));
  });

  it("goes from a loop variable to the loop, not to a block parameter of the same name", () => {
    const { analysis, offset } = withCursor(at("channels, kernel: 2"));
    expect(definition(analysis, offset)?.start).toBe(UNET.indexOf("channels, skip"));
  });

  it("goes from a train declaration to its model", () => {
    const { analysis, offset } = withCursor(at("U {\n  optimizer"));
    expect(definition(analysis, offset)?.start).toBe(UNET.indexOf("U {"));
  });
});

describe("references", () => {
  it("finds a block's declaration, calls and nothing else", () => {
    const { analysis, offset, text } = withCursor(at("Double", 1));
    expect(markSpans(text, references(analysis, offset, true))).toBe(
      UNET.replace("block Double", "block ⟦Double⟧").replace("Double(8)", "⟦Double⟧(8)").replace("Double(16)", "⟦Double⟧(16)").replace("Double(channels: channels)", "⟦Double⟧(channels: channels)"),
    );
    expect(references(analysis, offset, false)).toHaveLength(3);
  });

  it("finds a block parameter's uses and the named arguments that set it", () => {
    const { analysis, offset, text } = withCursor(at("channels) {"));
    const marked = markSpans(text, references(analysis, offset, true));
    expect(marked).toContain("block Double(⟦channels⟧) {\n  conv ⟦channels⟧, kernel");
    expect(marked).toContain("Double(⟦channels⟧: channels)");
  });
});

describe("rename", () => {
  it("renames a tensor at its binding and every use", () => {
    const { analysis, offset, text } = withCursor(at("enc1"));
    expect(prepareRename(analysis, offset)).toEqual({ span: { start: UNET.indexOf("enc1"), end: UNET.indexOf("enc1") + 4 }, placeholder: "enc1" });
    const result = rename(analysis, offset, "level1");
    if ("error" in result) throw new Error(result.error);
    expect(markSpans(text, result.edits.map((e) => e.span))).toContain("as ⟦enc1⟧");
    expect(markSpans(text, result.edits.map((e) => e.span))).toContain("[(8, ⟦enc1⟧)]");
  });

  it("refuses keywords, layer kinds, taken names and non-names", () => {
    const block = withCursor(at("Double(16)"));
    expect(rename(block.analysis, block.offset, "repeat")).toEqual({ error: "`repeat` is a keyword" });
    expect(rename(block.analysis, block.offset, "conv")).toEqual({ error: "`conv` is a layer kind" });
    expect(rename(block.analysis, block.offset, "U")).toEqual({ error: "`U` is already declared" });
    expect(rename(block.analysis, block.offset, "9lives")).toHaveProperty("error");
    const loop = withCursor(at("skip in"));
    expect(rename(loop.analysis, loop.offset, "channels")).toEqual({ error: "`channels` is already a loop variable here" });
  });

  it("has nothing to rename on a layer kind or a keyword", () => {
    const { analysis, offset } = withCursor(at("maxpool"));
    expect(prepareRename(analysis, offset)).toHaveProperty("error");
  });
});
