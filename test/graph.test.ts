// `cnnc graph`: the view (boxes, edge kinds, block calls), the layout (no box overlaps
// another, no edge crosses a box it does not join), golden SVGs, and the CLI.

import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile } from "../src/compile.js";
import { graphView, type GraphView } from "../src/graph/view.js";
import { layoutGraph, type GraphLayout, type PlacedNode } from "../src/graph/layout.js";
import { renderSvg } from "../src/graph/svg.js";
import { CLI, cnnFiles, EXAMPLES, GOLDEN, read, ROOT } from "./helpers.js";

function viewOf(text: string, expand = false, path?: string): GraphView {
  const result = compile(text, { path });
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return graphView(result.models[result.models.length - 1]!, text, { expand });
}

const example = (name: string, expand = false): GraphView => viewOf(read(join(EXAMPLES, `${name}.cnn`)), expand, join(EXAMPLES, `${name}.cnn`));

/** Whether the rectangle spanned by two points reaches inside the box (its border excluded). */
function entersBox(box: PlacedNode, a: { x: number; y: number }, b: { x: number; y: number }): boolean {
  return Math.max(a.x, b.x) > box.x + 0.5 && Math.min(a.x, b.x) < box.x + box.width - 0.5 && Math.max(a.y, b.y) > box.y + 0.5 && Math.min(a.y, b.y) < box.y + box.height - 0.5;
}

function layoutFaults(layout: GraphLayout): string[] {
  const faults: string[] = [];
  for (const a of layout.nodes) {
    for (const b of layout.nodes) if (a !== b && entersBox(b, { x: a.x, y: a.y }, { x: a.x + a.width, y: a.y + a.height })) faults.push(`${a.name} overlaps ${b.name}`);
  }
  for (const edge of layout.edges) {
    if (edge.points.length < 2) faults.push(`edge ${edge.from}→${edge.to} has no route`);
    for (let i = 1; i < edge.points.length; i++) {
      for (const box of layout.nodes) {
        if (box.id !== edge.from && box.id !== edge.to && entersBox(box, edge.points[i - 1]!, edge.points[i]!)) faults.push(`edge ${edge.from}→${edge.to} crosses ${box.name}`);
      }
    }
  }
  return faults;
}

describe("graph view", () => {
  it("draws one box per layer, labelled with the op, its main arguments and the output shape", () => {
    const view = example("lenet5");
    expect(view.nodes.map((n) => n.title)).toEqual(["input image", "conv 6 5×5", "tanh", "avgpool 2×2", "conv 16 5×5", "tanh", "avgpool 2×2", "flatten", "dense 120", "tanh", "dense 84", "tanh", "dense 10", "softmax"]);
    expect(view.nodes[1]).toMatchObject({ shape: "[28, 28, 6]", kind: "convolution", params: 156, macs: 117_600, line: 6, column: 3, layers: 1 });
    expect(view.edges.every((e) => e.kind === "data")).toBe(true);
  });

  it("collapses each block call into one box with its arguments' values, and opens it with expand", () => {
    const collapsed = example("resnet18");
    const blocks = collapsed.nodes.filter((n) => n.kind === "block");
    expect(blocks.map((n) => n.title)).toEqual(["basic(64, 1)", "basic(64)", "basic(128, 2)", "basic(128)", "basic(256, 2)", "basic(256)", "basic(512, 2)", "basic(512)"]);
    expect(blocks[2]).toMatchObject({ shape: "[28, 28, 128]", layers: 9 });
    const expanded = example("resnet18", true);
    expect(expanded.nodes.some((n) => n.kind === "block")).toBe(false);
    // Both views count every parameter once.
    const total = (v: GraphView): number => v.nodes.reduce((sum, n) => sum + n.params, 0);
    expect(total(collapsed)).toBe(total(expanded));
    expect(total(expanded)).toBe(11_689_512 + 9_600);
  });

  it("marks residual skips, concat inputs, gated inputs and named tensors", () => {
    const text = [
      "model M {",
      "  input x: [8, 8, 4]",
      "  conv 4, kernel: 1 as a",
      "  residual { conv 4, kernel: 3, padding: 1 }",
      "  gate { global avgpool, keepdims: true -> conv 4, kernel: 1 -> sigmoid }",
      "  concat { branch { relu } branch { conv 2, kernel: 1 } }",
      "  conv 4, kernel: 1 -> add a",
      "}",
    ].join("\n");
    const view = viewOf(text, true);
    const kinds = (kind: string): string[] => view.edges.filter((e) => e.kind === kind).map((e) => `${view.nodes.find((n) => n.id === e.from)!.title} → ${view.nodes.find((n) => n.id === e.to)!.title}`);
    expect(kinds("residual")).toEqual(["conv 4 1×1 → add"]);
    expect(kinds("gate")).toEqual(["add → multiply"]);
    expect(kinds("concat")).toEqual(["relu → concat", "conv 2 1×1 → concat"]);
    expect(kinds("skip")).toEqual(["conv 4 1×1 → add"]);
  });

  it("marks the boxes whose weights are frozen, and draws them dashed", async () => {
    const view = viewOf("model M {\n  input x: [8, 8, 2]\n  frozen {\n    conv 2, kernel: 1 -> relu\n  }\n  conv 2, kernel: 1\n}\n");
    expect(view.nodes.map((n) => `${n.title}${n.frozen ? " (frozen)" : ""}`)).toEqual(["input x", "conv 2 1×1 (frozen)", "relu", "conv 2 1×1"]);
    const svg = renderSvg(await layoutGraph(view));
    expect(svg.match(/stroke-dasharray="4 3"/g)).toHaveLength(1);
  });

  it("shows a symbolic model's shapes as expressions and leaves its MACs open", () => {
    const view = viewOf(read(join(EXAMPLES, "symbolic", "fcn.cnn")), false, join(EXAMPLES, "symbolic", "fcn.cnn"));
    expect(view.nodes[0]!.shape).toBe("[H, W, 3]");
    expect(view.nodes.some((n) => n.macs === null)).toBe(true);
  });
});

describe("graph layout", () => {
  // The largest expanded graphs (DenseNet-121, ResNet-152, EfficientNet-B0, MobileNetV2) take seconds each: CI lays out the smaller ones.
  const small = new Set(["lenet5", "resnet18", "resnet20", "squeezenet1_1", "unet", "vgg16_bn"]);
  for (const file of cnnFiles(EXAMPLES)) {
    const name = file.replace(/\.cnn$/, "");
    for (const expand of small.has(name) ? [false, true] : [false]) {
      it(`${name}${expand ? " (expanded)" : ""}: no box overlaps another and no edge crosses a box`, async () => {
        const layout = await layoutGraph(example(name, expand));
        expect(layoutFaults(layout)).toEqual([]);
      });
    }
  }
});

describe("graph SVG goldens", () => {
  for (const [name, expand] of [["lenet5", false], ["resnet18", false], ["resnet18", true], ["squeezenet1_1", false], ["unet", false]] as const) {
    it(`${name}${expand ? " --expand" : ""}`, async () => {
      const svg = renderSvg(await layoutGraph(example(name, expand)));
      await expect(svg).toMatchFileSnapshot(join(GOLDEN, "graphs", `${name}${expand ? ".expanded" : ""}.svg`));
    });
  }

  it("gives each box its source place for a page to link to", async () => {
    const svg = renderSvg(await layoutGraph(example("resnet18")));
    expect(svg).toContain('<g class="node block" id="n5" data-name="basic" data-op="basic" data-kind="block" data-line="14" data-column="5"');
    expect(svg).toContain('<a href="#L14">');
    expect(svg).toContain("<title>basic: basic(64, 1), 7 layers → [56, 56, 64]; 74,240 params; 231,211,008 MACs; line 14</title>");
  });
});

describe("cnnc graph", () => {
  const cnnc = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: "utf8" });

  it("writes an SVG with -o and the laid-out graph as JSON with --json", () => {
    const dir = mkdtempSync(join(tmpdir(), "cnnc-graph-"));
    const svg = cnnc(["graph", "examples/resnet20.cnn", "-o", join(dir, "r20.svg")]);
    expect(svg).toMatchObject({ status: 0, stdout: "", stderr: "" });
    expect(readFileSync(join(dir, "r20.svg"), "utf8")).toMatch(/^<svg [^>]*data-model="ResNet20"/);
    const json = cnnc(["graph", "examples/resnet20.cnn", "--json", "--expand"]);
    expect(json.status).toBe(0);
    const layout = JSON.parse(json.stdout) as GraphLayout;
    expect(layout).toMatchObject({ model: "ResNet20", expanded: true });
    expect(layout.nodes[0]).toMatchObject({ title: "input image", shape: "[32, 32, 3]", line: 7 });
    expect(layout.edges.filter((e) => e.kind === "residual")).toHaveLength(9);
  });

  it("reports errors at their line, exits 1 and writes nothing", () => {
    const dir = mkdtempSync(join(tmpdir(), "cnnc-graph-"));
    const result = cnnc(["graph", "examples/errors/seed_channels.cnn", "-o", join(dir, "x.svg")]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("examples/errors/seed_channels.cnn:8:");
    expect(result.stderr).toContain("no graph");
    expect(existsSync(join(dir, "x.svg"))).toBe(false);
  });
});
