// Hovers: shapes, counts and docs for layer and block calls, and what each name names.

import { describe, expect, it } from "vitest";
import { hover } from "../../src/ide/hover.js";
import { withCursor } from "./markers.js";

const RESNET_STAGE = `
/// Two 3x3 convs with a shortcut.
block Basic(channels, stride = 1) {
  residual {
    conv channels, kernel: 3, stride: stride, padding: 1, bias: false -> batchnorm -> relu
    conv channels, kernel: 3, padding: 1, bias: false -> batchnorm
  } shortcut auto
  relu
}

/// A tiny ResNet.
model Tiny {
  input image: [32, 32, 16]
  Basic(32, stride: 2) as stage
  let width = 10
  global avgpool
  dense width
}
`;

function hoverAt(source: string): string | undefined {
  const { analysis, offset } = withCursor(source);
  return hover(analysis, offset)?.contents;
}

function place(marker: string, within = RESNET_STAGE): string {
  const at = within.indexOf(marker);
  if (at < 0) throw new Error(`no ${marker}`);
  return within.slice(0, at) + "<|>" + within.slice(at);
}

describe("hover", () => {
  it("shows a layer's shapes, parameters, MACs and docs", () => {
    const text = hoverAt(place("conv channels, kernel: 3, stride"))!;
    expect(text).toContain("conv filters, kernel, stride: 1");
    expect(text).toContain("2-D convolution");
    expect(text).toContain("`[32, 32, 16]` → `[16, 16, 32]`");
    expect(text).toContain("params 4,608 · MACs 1,179,648");
  });

  it("shows a block call's signature, docs and totals over its layers", () => {
    const text = hoverAt(place("Basic(32"))!;
    expect(text).toContain("block Basic(channels, stride = 1)");
    expect(text).toContain("Two 3x3 convs with a shortcut.");
    expect(text).toContain("`[32, 32, 16]` → `[16, 16, 32]`");
    // Two convs (4,608 + 9,216), the projection (512) and three batchnorms (64 trainable + 64 running each).
    expect(text).toContain("params 14,720 (14,528 trainable, 192 running statistics)");
  });

  it("shows the two-word global pooling layers", () => {
    expect(hoverAt(place("avgpool\n  dense"))).toContain("`[16, 16, 32]` → `[32]`");
  });

  it("documents a named argument, with its default", () => {
    expect(hoverAt(place("padding: 1, bias"))).toContain("`conv` argument `padding` (default `0`)");
  });

  it("shows a model's input, output and totals on its name", () => {
    const text = hoverAt(place("Tiny {"))!;
    expect(text).toContain("A tiny ResNet.");
    expect(text).toContain("`[32, 32, 16]` → `[10]`");
    expect(text).toContain("11 layers · params 15,050 (14,858 trainable, 192 running statistics) · MACs 3,670,336");
  });

  it("names parameters, constants and tensors", () => {
    expect(hoverAt(RESNET_STAGE.replace("dense width", "dense wi<|>dth"))).toBe("```cnn\nlet width = 10\n```");
    expect(hoverAt(RESNET_STAGE.replace("as stage", "as st<|>age"))).toBe("```cnn\ntensor stage: [16, 16, 32]\n```");
    expect(hoverAt(RESNET_STAGE.replace("stride: stride,", "stride: str<|>ide,"))).toBe("```cnn\nblock Basic parameter stride = 1\n```");
  });

  it("shows the output of a residual on its keyword", () => {
    expect(hoverAt(RESNET_STAGE.replace("residual {", "resi<|>dual {"))).toContain("output `[16, 16, 32]`");
  });

  it("says when a call is not reached, instead of inventing shapes", () => {
    expect(hoverAt("block Unused {\n  co<|>nv 8, kernel: 3\n}\n")).toContain("not reached");
  });

  it("has nothing to say on punctuation or blank space", () => {
    expect(hoverAt(RESNET_STAGE.replace("-> batchnorm -> relu\n", "-<|>> batchnorm -> relu\n"))).toBeUndefined();
  });
});

describe("block contracts in hovers", () => {
  const source = `
block Down(channels): [h, w, c] -> [h / 2, w / 2, channels] {
  conv channels, kernel: 3, stride: 2, padding: 1
}
block Plain(channels) {
  conv channels, kernel: 3, stride: 2, padding: 1
}
model M {
  input image: [H, W, 8]
  Do<|>wn(16)
  Plain(32)
  global avgpool
}
`;
  it("shows a declared contract in the signature", () => {
    const text = hoverAt(source)!;
    expect(text).toContain("block Down(channels): [h, w, c] -> [h / 2, w / 2, channels]");
    expect(text).toContain("contract checked against the body for every height and width");
    expect(text).toContain("`[H, W, 8]` → `[H/2, W/2, 16]`");
  });

  it("infers the contract of a block that declares none", () => {
    const text = hoverAt(source.replace("Do<|>wn(16)", "Down(16)").replace("Plain(32)", "Pl<|>ain(32)"))!;
    expect(text).toContain("inferred contract: `[h, w, 16] -> [ceil(h/2), ceil(w/2), 32]`");
  });
});

describe("symbolic sizes in hovers", () => {
  it("shows what a size name accepts and which lines decide it", () => {
    const source = `model Tiny {\n  input image: [<|>H, W, 16]\n  maxpool 2\n  expect [H / 2, W / 2, 16]\n}\n`;
    expect(hoverAt(source)).toContain("symbolic size of model `Tiny`: H must be even (line 3: at least 2; line 4: even)");
    expect(hoverAt(source.replace("<|>H, W", "H, W").replace("/ 2, W / 2", "/ 2, <|>W / 2"))).toContain("W must be even");
  });
});

describe("hover: memory", () => {
  const TRAINED = `${RESNET_STAGE}
train Tiny {
  optimizer: sgd(lr: 0.1, momentum: 0.9)
  loss: cross_entropy
  batch: 8
}
`;

  it("shows a layer's output size at the train declaration's batch", () => {
    // global avgpool gives [32] per example: 8 × 32 floats.
    expect(hoverAt(place("global avgpool", TRAINED))).toContain("output at batch 8: 1.00 KiB");
    // Without a train declaration, cnnc train's default batch of 32.
    expect(hoverAt(place("global avgpool"))).toContain("output at batch 32: 4.00 KiB");
  });

  it("shows a model's training memory with the optimizer's state", () => {
    const text = hoverAt(place("Tiny {", TRAINED))!;
    expect(text).toMatch(/training memory at batch 8: [\d.]+ [KM]iB per step on tfjs, [\d.]+ [KM]iB on PyTorch \(activations [\d.]+ [KM]iB, kept for backward [\d.]+ [KM]iB, parameters \+ gradients \+ sgd state [\d.]+ KiB\)/);
  });
});
