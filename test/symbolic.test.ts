// Symbolic sizes: the expression algebra, accepted-size sets and their words, the symbolic
// examples' golden summaries, and the property that ties it all to the concrete checker:
// a size the symbolic analysis accepts checks cleanly, and one it rejects does not.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { join } from "node:path";
import { compile } from "../src/compile.js";
import { describeSizes, SizeContext } from "../src/check/sizes.js";
import { add, ceilDiv, evaluateDim, floorDiv, formatDim, mul, sizeVar, SizeSet, type Dim } from "../src/shape/symbolic.js";
import { renderSummary, summarize } from "../src/summary/summary.js";
import { formatShape } from "../src/shape/shape.js";
import { EXAMPLES, GOLDEN, read } from "./helpers.js";

const H = sizeVar("H");
const SPAN = { start: 0, end: 0 };
const window = (x: Dim, kernel: number, stride: number, padding: number): Dim => add(floorDiv(add(x, 2 * padding - kernel), stride), 1);

describe("expressions", () => {
  it("merge chains of strided windows into one division", () => {
    let x: Dim = window(H, 7, 2, 3);
    expect(formatDim(x)).toBe("ceil(H/2)");
    x = window(x, 3, 2, 1);
    expect(formatDim(x)).toBe("ceil(H/4)");
    for (let i = 0; i < 3; i++) x = window(x, 3, 2, 1);
    expect(formatDim(x)).toBe("ceil(H/32)");
  });

  it("keep whole multiples and constants outside the floor", () => {
    expect(formatDim(floorDiv(add(H, -16), 16))).toBe("floor(H/16) - 1");
    expect(formatDim(mul(floorDiv(H, 2), 2))).toBe("2*floor(H/2)");
    expect(formatDim(floorDiv(mul(H, 4), 2))).toBe("2*H");
    expect(formatDim(ceilDiv(add(H, 3), 4))).toBe("ceil((H - 1)/4) + 1");
  });

  it("evaluate exactly like the concrete formulas for every size", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 3 })), { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 500 }), (layers, size) => {
        let symbolic: Dim = H;
        let concrete = size;
        for (const [kernel, stride, padding] of layers) {
          symbolic = window(symbolic, kernel, stride, padding);
          concrete = Math.floor((concrete + 2 * padding - kernel) / stride) + 1;
        }
        expect(evaluateDim(symbolic, new Map([["H", size]]))).toBe(concrete);
      }),
      { numRuns: 500, seed: 20261128 },
    );
  });

  it("print as plain divisions where the accepted sizes make them exact", () => {
    const sizes = new Map([["H", new SizeSet(16, 16, [0])]]);
    expect(formatDim(mul(floorDiv(H, 16), 16), { sizes })).toBe("H");
    expect(formatDim(floorDiv(H, 4), { sizes })).toBe("H/4");
    expect(formatDim(add(floorDiv(H, 2), -2), { sizes })).toBe("(H - 4)/2");
  });
});

describe("accepted sizes", () => {
  it("narrow by each condition and describe the result in words", () => {
    const sizes = new SizeContext();
    expect(sizes.compare(window(H, 7, 1, 0), ">=", 1, SPAN).verdict).toBe("conditional");
    expect(describeSizes(sizes.sets)).toEqual(["H must be at least 7"]);
    expect(sizes.compare(mul(floorDiv(H, 2), 2), "==", H, SPAN).verdict).toBe("conditional");
    expect(describeSizes(sizes.sets)).toEqual(["H must be even and at least 8"]);
    expect(sizes.compare(mul(floorDiv(H, 32), 32), "==", H, SPAN).verdict).toBe("conditional");
    expect(describeSizes(sizes.sets)).toEqual(["H must be a multiple of 32 and at least 32"]);
    expect(sizes.compare(ceilDiv(H, 2), ">=", 1, SPAN).verdict).toBe("always");
  });

  it("report a condition that contradicts the earlier ones, with both in words", () => {
    const sizes = new SizeContext();
    sizes.compare(mul(floorDiv(H, 2), 2), "==", H, SPAN);
    const result = sizes.compare(add(mul(floorDiv(H, 2), 2), 1), "==", H, SPAN);
    expect(result.verdict).toBe("never");
    expect(result.explanation).toContain("H to be odd");
    expect(result.explanation).toContain("the layers before need H to be even");
  });

  it("find a minimum far beyond any scan: twelve unpadded stride-2 7x7 convolutions need H ≥ 24,571", () => {
    const text = `model Deep {\n  input x: [H, 16, 3]\n  ${Array.from({ length: 12 }, () => "conv 4, kernel: [7, 1], stride: [2, 1]").join("\n  ")}\n}\n`;
    const result = compile(text);
    expect(result.diagnostics).toEqual([]);
    expect(describeSizes(result.models[0]!.sizes!.sets)[0]).toBe("H must be at least 24571");
    expect(compile(text, { sizes: new Map([["H", 24571]]) }).models[0]!.complete).toBe(true);
    expect(compile(text, { sizes: new Map([["H", 24570]]) }).diagnostics.map((d) => d.code)).toContain("E0705");
  });

  it("describe remainders, bounds and single sizes", () => {
    expect(new SizeSet(1, 2, [1]).describe()).toBe("odd");
    expect(new SizeSet(1, 1, [0]).describe()).toBe("at least 1");
    expect(new SizeSet(224, 1, [0], 224).describe()).toBe("exactly 224");
    expect(new SizeSet(3, 4, [0, 3]).describe()).toBe("such that dividing it by 4 leaves 0 or 3 and at least 3");
  });
});

describe("symbolic examples", () => {
  for (const name of ["fcn", "unet", "resnet18"]) {
    it(`${name}: golden summary with its accepted sizes`, async () => {
      const file = join(EXAMPLES, "symbolic", `${name}.cnn`);
      const text = read(file);
      const result = compile(text);
      expect(result.diagnostics).toEqual([]);
      const model = result.models[result.models.length - 1]!;
      expect(model.sizes).toBeDefined();
      const summary = summarize(model, text);
      await expect(renderSummary(summary)).toMatchFileSnapshot(join(GOLDEN, "summaries", `symbolic-${name}.txt`));
      await expect(JSON.stringify(summary, null, 2) + "\n").toMatchFileSnapshot(join(GOLDEN, "summaries", `symbolic-${name}.json`));
    });
  }

  it("have the parameters of their fixed-size versions", () => {
    const counts = (path: string, sizes?: Map<string, number>): number => compile(read(path), { sizes }).models.at(-1)!.params.total;
    expect(counts(join(EXAMPLES, "symbolic", "resnet18.cnn"))).toBe(counts(join(EXAMPLES, "resnet18.cnn")));
    expect(counts(join(EXAMPLES, "symbolic", "unet.cnn"))).toBe(counts(join(EXAMPLES, "unet.cnn")));
    // With the sizes of the fixed example, the symbolic U-Net is the same model, MACs included.
    const fixed = compile(read(join(EXAMPLES, "unet.cnn"))).models.at(-1)!;
    const instantiated = compile(read(join(EXAMPLES, "symbolic", "unet.cnn")), { sizes: new Map([["H", 256], ["W", 256]]) }).models.at(-1)!;
    expect(instantiated.macs).toBe(fixed.macs);
    expect(instantiated.nodes.map((n) => n.shape)).toEqual(fixed.nodes.map((n) => n.shape));
  });

  it("accept exactly the sizes they state, by the concrete checker (sizes 1 to 96)", () => {
    for (const name of ["fcn", "unet", "resnet18"]) {
      const text = read(join(EXAMPLES, "symbolic", `${name}.cnn`));
      const sets = compile(text).models.at(-1)!.sizes!.sets;
      for (let h = 1; h <= 96; h++) {
        const concrete = compile(text, { sizes: new Map([["H", h], ["W", sets.get("W")!.first()!]]) });
        const clean = concrete.diagnostics.every((d) => d.severity !== "error");
        expect({ name, h, clean }).toEqual({ name, h, clean: sets.get("H")!.has(h) });
      }
    }
  });
});

// Random networks of convolutions, pooling, upsampling and skips on [H, 8, 4]: the accepted
// set the symbolic check derives must be exactly the sizes for which the concrete check passes.
const LAYERS = [
  "conv 4, kernel: 3, padding: 1",
  "conv 4, kernel: 3",
  "conv 4, kernel: 5, stride: 2, padding: 2",
  "conv 4, kernel: 2, stride: 2",
  "maxpool 2",
  "maxpool 3, stride: 2, padding: 1",
  "avgpool 3, stride: 3",
  "maxpool 2, ceil_mode: true",
  "conv 4, kernel: 3, padding: same, stride: 2",
  "upsample 2",
  "transposed_conv 4, kernel: 2, stride: 2",
  "transposed_conv 4, kernel: 3, stride: 2, padding: 1, output_padding: 1",
  "zero_pad [1, 0, 0, 0]",
  "SKIP",
];

function network(choices: number[]): string {
  const lines = choices.map((c) => (LAYERS[c] === "SKIP" ? "concat start" : LAYERS[c]!));
  return `model Random {\n  input x: [H, 8, 4]\n  conv 4, kernel: 1 as start\n  ${lines.join("\n  ")}\n  conv 4, kernel: 1\n}\n`;
}

describe("derived conditions", () => {
  it("hold exactly: random sizes that satisfy them check, sizes that violate them do not", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: LAYERS.length - 1 }), { minLength: 1, maxLength: 6 }), fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 8, maxLength: 8 }), (choices, sizes) => {
        const text = network(choices);
        const symbolic = compile(text);
        const model = symbolic.models[0]!;
        const symbolicErrors = symbolic.diagnostics.filter((d) => d.severity === "error");
        // A network that no size fits is an error already in the symbolic check; then no size may pass.
        const accepted = symbolicErrors.length === 0 ? model.sizes!.sets.get("H")! : new SizeSet(1, 1, [], 0);
        for (const h of [...sizes, ...accepted.sample(3)]) {
          const concrete = compile(text, { sizes: new Map([["H", h]]) });
          const clean = concrete.diagnostics.every((d) => d.severity !== "error");
          if (clean !== accepted.has(h)) throw new Error(`H=${h}: concrete ${clean ? "passes" : "fails"} but the derived condition says "${accepted.describe()}"\n${text}`);
        }
      }),
      { numRuns: 300, seed: 20261128 },
    );
  });
});

describe("block contracts", () => {
  const DOWN = `block Down(channels, stride = 2): [h, w, c] -> [h / stride, w / stride, channels] {
  conv channels, kernel: 3, stride: stride, padding: 1 -> batchnorm -> relu
}
`;
  it("hold for every size they admit, and give the declared shape at each call", () => {
    const result = compile(`${DOWN}model M {\n  input x: [64, 48, 3]\n  Down(16)\n  Down(32, stride: 4)\n}\n`);
    expect(result.diagnostics).toEqual([]);
    expect(result.models[0]!.nodes.at(-1)!.shape).toEqual([8, 6, 32]);
  });

  it("are checked against the body once, for all sizes, not only the sizes of the calls", () => {
    // Every call here has an even input, so the calls alone would pass; the unpadded body breaks
    // the contract for every size.
    const broken = DOWN.replace("padding: 1", "padding: 0");
    const result = compile(`${broken}model M {\n  input x: [64, 64, 3]\n  Down(16)\n}\n`);
    expect(result.diagnostics.map((d) => d.code)).toEqual(["E0704"]);
    expect(result.diagnostics[0]!.message).toContain("body gives [(h - 2)/2, (w - 2)/2, 16]");
  });

  it("narrow a symbolic model's sizes where a call divides exactly", () => {
    const result = compile(`${DOWN}model M {\n  input x: [H, W, 3]\n  Down(16)\n  Down(16)\n  global avgpool\n}\n`);
    expect(result.diagnostics).toEqual([]);
    expect(describeSizes(result.models[0]!.sizes!.sets)).toEqual(["H must be a multiple of 4 and at least 4", "W must be a multiple of 4 and at least 4"]);
  });

  it("reject a call whose input the contract does not admit", () => {
    const codes = compile(`${DOWN}model M {\n  input x: [30, 30, 3]\n  Down(16)\n  Down(16)\n}\n`).diagnostics.map((d) => d.code);
    expect(codes).toEqual(["E0704"]);
  });
});

describe("shape rules on symbolic sizes", () => {
  // Each rule's output on [H, W, 4], the sizes it accepts, and agreement with the concrete rule.
  const cases: [string, string, string][] = [
    ["conv 8, kernel: 3", "[H - 2, W - 2, 8]", "H must be at least 3"],
    ["conv 8, kernel: 3, padding: 1", "[H, W, 8]", "H can be any size"],
    ["conv 8, kernel: 3, stride: 2, padding: same", "[ceil(H/2), ceil(W/2), 8]", "H can be any size"],
    ["conv 8, kernel: 5, stride: 3, dilation: 2", "[floor(H/3) - 2, floor(W/3) - 2, 8]", "H must be at least 9"],
    ["depthwise_conv 3, stride: 2", "[ceil(H/2) - 1, ceil(W/2) - 1, 4]", "H must be at least 3"],
    ["separable_conv 8, 3, padding: 1", "[H, W, 8]", "H can be any size"],
    ["transposed_conv 8, 2, stride: 2", "[2*H, 2*W, 8]", "H can be any size"],
    ["transposed_conv 8, 3, stride: 2, padding: 1, output_padding: 1", "[2*H, 2*W, 8]", "H can be any size"],
    ["maxpool 2", "[floor(H/2), floor(W/2), 4]", "H must be at least 2"],
    ["maxpool 3, stride: 2, ceil_mode: true", "[floor(H/2), floor(W/2), 4]", "H must be at least 2"],
    ["avgpool 3, stride: 2, padding: 1", "[ceil(H/2), ceil(W/2), 4]", "H can be any size"],
    ["adaptive_avgpool 7", "[7, 7, 4]", "H must be a multiple of 7 and at least 7"],
    ["global avgpool", "[4]", "H can be any size"],
    ["upsample 3", "[3*H, 3*W, 4]", "H can be any size"],
    ["zero_pad [1, 2, 0, 3]", "[H + 3, W + 3, 4]", "H can be any size"],
    ["flatten", "[4*H*W]", "H can be any size"],
  ];
  for (const [layer, shape, accepted] of cases) {
    it(layer, () => {
      const text = `model M {\n  input x: [H, W, 4]\n  ${layer}\n}\n`;
      const model = compile(text).models[0]!;
      expect(formatShape(model.nodes[model.outputId!]!.shape, { sizes: model.sizes!.sets })).toBe(shape);
      expect(describeSizes(model.sizes!.sets)[0]).toBe(accepted);
      const set = model.sizes!.sets.get("H")!;
      for (let h = 1; h <= 64; h++) {
        const concrete = compile(text, { sizes: new Map([["H", h], ["W", 21]]) }).models[0]!;
        expect(concrete.complete).toBe(set.has(h));
        if (!concrete.complete) continue;
        const symbolicShape = model.nodes[model.outputId!]!.shape.map((d) => evaluateDim(d, new Map([["H", h], ["W", 21]])));
        expect(symbolicShape).toEqual(concrete.nodes[concrete.outputId!]!.shape);
      }
    });
  }
});

describe("the stride screens of `shortcut auto`", () => {
  // The screens rule strides out without a scan; each must be exact about what it rules out,
  // so that the search picks the stride that comparing every stride picked (fuzz #15624).
  const inputs: Dim[] = [H, add(mul(H, 2), 4), add(floorDiv(add(mul(H, 2), 1), 3), 1), ceilDiv(H, 4), mul(floorDiv(H, 2), 3), 7];
  const targets: Dim[] = [H, ceilDiv(H, 2), add(floorDiv(add(H, 2), 3), 1), add(H, -3), floorDiv(H, 8), 2];
  const sets = [SizeSet.ALL, new SizeSet(8, 4, [0]), new SizeSet(5, 1, [0], 40), new SizeSet(3, 6, [1, 3]), new SizeSet(9, 1, [0], 9)];

  it("say no only where the comparison would say it cannot hold always, or ever", () => {
    let ruledOut = 0;
    for (const set of sets) {
      for (const from of inputs) {
        for (const to of targets) {
          const sizes = new SizeContext();
          sizes.sets.set("H", set);
          const screen = sizes.strideScreen(from, to);
          for (let s = 1; s <= 16; s++) {
            const output = add(floorDiv(add(from, -1), s), 1);
            const verdict = sizes.compare(output, "==", to, SPAN, false).verdict;
            if (!screen.always(s)) {
              ruledOut++;
              expect(verdict, `${formatDim(output)} = ${formatDim(to)} for ${set.describe()}`).not.toBe("always");
            }
            if (!screen.some(s, output)) {
              ruledOut++;
              expect(verdict, `${formatDim(output)} = ${formatDim(to)} for ${set.describe()}`).toBe("never");
            }
          }
        }
      }
    }
    // They do rule out most strides, which is the point.
    expect(ruledOut).toBeGreaterThan(1000);
  });

  it("keep every stride once a comparison has narrowed the sizes", () => {
    const sizes = new SizeContext();
    const screen = sizes.strideScreen(H, add(H, 5));
    expect(screen.always(3)).toBe(false);
    sizes.compare(floorDiv(H, 4), ">=", 3, SPAN);
    expect(screen.always(3)).toBe(true);
    expect(screen.some(3, add(floorDiv(add(H, -1), 3), 1))).toBe(true);
  });
});
