// Completion at cursor markers, on finished and on half-typed text.

import { describe, expect, it } from "vitest";
import { completion } from "../../src/ide/completion.js";
import { signatureHelp } from "../../src/ide/signature-help.js";
import { withCursor } from "./markers.js";

function labels(source: string): string[] {
  const { analysis, offset } = withCursor(source);
  return completion(analysis, offset).items.map((i) => i.label);
}

const BLOCK = "block Basic(channels, stride = 1) {\n  conv channels, kernel: 3, stride: stride\n}\n";

describe("completion", () => {
  it("offers declarations at the top level", () => {
    expect(labels("<|>")).toEqual(["model", "block", "train", "import", "let"]);
    expect(labels(`${BLOCK}\n<|>`)).toEqual(["model", "block", "train", "import", "let"]);
  });

  it("offers layers, blocks, statements and `input` where a model's statement starts", () => {
    const items = labels(`${BLOCK}model M {\n  <|>\n}\n`);
    expect(items).toEqual(expect.arrayContaining(["conv", "dense", "global avgpool", "Basic", "repeat", "residual", "input"]));
  });

  it("offers no `input` in a block or once the model has one", () => {
    expect(labels(`block B {\n  <|>\n}\n`)).not.toContain("input");
    expect(labels(`model M {\n  input x: [8, 8, 3]\n  <|>\n}\n`)).not.toContain("input");
  });

  it("offers only layers and blocks after `->`, while the name is half typed", () => {
    const items = labels(`${BLOCK}model M {\n  input x: [8, 8, 3]\n  conv 8, kernel: 3 -> re<|>\n}\n`);
    expect(items).toContain("relu");
    expect(items).toContain("Basic");
    expect(items).not.toContain("repeat");
  });

  it("replaces the whole word under the cursor", () => {
    const { analysis, offset, text } = withCursor("model M {\n  input x: [8, 8, 3]\n  ba<|>tchnorm\n}\n");
    const { replace } = completion(analysis, offset);
    expect(text.slice(replace.start, replace.end)).toBe("batchnorm");
  });

  it("offers the arguments not yet given, in bare and parenthesized calls", () => {
    const bare = labels("model M {\n  input x: [8, 8, 3]\n  conv 8, kernel: 3, <|>\n}\n");
    expect(bare).toContain("stride:");
    expect(bare).toContain("padding:");
    expect(bare).not.toContain("kernel:");
    expect(bare).not.toContain("filters:");
    const parenthesized = labels("model M {\n  input x: [8, 8, 3]\n  conv(8, <|>\n}\n");
    expect(parenthesized).toContain("kernel:");
    expect(parenthesized).not.toContain("filters:");
  });

  it("offers an argument's allowed values after its name", () => {
    expect(labels("model M {\n  input x: [8, 8, 3]\n  conv 8, kernel: 3, padding: <|>\n}\n")).toEqual(expect.arrayContaining(["same", "valid"]));
    expect(labels("model M {\n  input x: [8, 8, 3]\n  upsample 2, mode: <|>\n}\n")).toEqual(expect.arrayContaining(["nearest", "bilinear"]));
    expect(labels("model M {\n  input x: [8, 8, 3]\n  conv 8, kernel: 3, bias: f<|>")).toEqual(expect.arrayContaining(["true", "false"]));
  });

  it("offers parameters, constants and loop variables in scope as values", () => {
    const items = labels(`block B(width) {\n  let half = width / 2\n  for k in [1, 3] {\n    conv <|>\n  }\n}\n`);
    expect(items).toEqual(expect.arrayContaining(["width", "half", "k"]));
  });

  it("offers a block's parameters as argument names", () => {
    expect(labels(`${BLOCK}model M {\n  input x: [8, 8, 3]\n  Basic(16, <|>)\n}\n`)).toContain("stride:");
  });

  it("offers tensor names after `from` and in merge layers", () => {
    const source = "model M {\n  input x: [8, 8, 3]\n  conv 3, kernel: 1 as skip\n  relu\n  add <|>\n}\n";
    expect(labels(source)).toContain("skip");
    expect(labels(source.replace("add <|>", "from <|>"))).toEqual(["x", "skip"]);
  });

  it("offers branches inside a join and `auto` after `shortcut`", () => {
    expect(labels("model M {\n  input x: [8, 8, 3]\n  concat {\n    <|>\n  }\n}\n")).toEqual(["branch"]);
    expect(labels("model M {\n  input x: [8, 8, 3]\n  residual { relu } shortcut <|>\n}\n")).toEqual(["auto"]);
  });

  it("offers training settings and their choices", () => {
    const train = "model M {\n  input x: [4]\n  dense 2\n}\ntrain M {\n  epochs: 3\n  <|>\n}\n";
    const settings = labels(train);
    expect(settings).toContain("optimizer");
    expect(settings).not.toContain("epochs");
    expect(labels(train.replace("<|>", "optimizer: <|>"))).toEqual(["sgd", "adam", "adamw", "rmsprop"]);
    expect(labels(train.replace("<|>", "optimizer: adam(<|>)"))).toContain("lr:");
    expect(labels(train.replace("<|>", "metrics: [accuracy, <|>]"))).toEqual(["accuracy", "top_k"]);
    expect(labels(train.replace("<|>", "scheduler: reduce_on_plateau(mode: <|>)"))).toEqual(["min", "max"]);
    expect(labels("model M {\n  input x: [4]\n}\ntrain <|>")).toEqual(["M"]);
  });

  it("offers nothing in comments, strings and names being declared", () => {
    expect(labels("model M {\n  // conv <|>\n}\n")).toEqual([]);
    expect(labels("model M {\n  input x: [8, 8, 3]\n  relu as sk<|>\n}\n")).toEqual([]);
    expect(labels("model M {\n  let ha<|>\n}\n")).toEqual([]);
  });

  it("works in a file broken before and after the cursor", () => {
    const broken = "model M {\n  input x: [8, 8,\n  conv 8, kernel: (3\n  conv 8, <|>\n  dense ]]\n";
    expect(labels(broken)).toContain("kernel:");
  });
});

describe("signature help", () => {
  function help(source: string): { label: string; active?: string } | undefined {
    const { analysis, offset } = withCursor(source);
    const result = signatureHelp(analysis, offset);
    if (result === undefined) return undefined;
    const active = result.activeParameter === undefined ? undefined : result.label.slice(...result.parameters[result.activeParameter]!.label);
    return { label: result.label, active };
  }

  it("marks the positional argument being typed", () => {
    expect(help("model M {\n  input x: [8, 8, 3]\n  conv 8, <|>\n}\n")).toEqual({ label: "conv filters, kernel, stride: 1, padding: 0, dilation: 1, groups: 1, bias: true, in_channels?", active: "kernel" });
    expect(help("model M {\n  input x: [8, 8, 3]\n  conv(<|>\n}\n")?.active).toBe("filters");
  });

  it("marks a named argument by its name", () => {
    expect(help("model M {\n  input x: [8, 8, 3]\n  conv 8, kernel: 3, stride: <|>\n}\n")?.active).toBe("stride: 1");
  });

  it("shows a block's parameters", () => {
    expect(help(`${BLOCK}model M {\n  input x: [8, 8, 3]\n  Basic(16, <|>\n}\n`)).toEqual({ label: "Basic(channels, stride = 1)", active: "stride = 1" });
  });

  it("has nothing to show outside a call's arguments", () => {
    expect(help("model M {\n  input x: [8, 8, 3]\n  <|>\n}\n")).toBeUndefined();
  });
});
