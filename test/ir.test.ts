// The IR: golden JSON for several examples, and invariants that hold for every example.

import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { IR_VERSION } from "../src/ir/ir.js";
import { cnnFiles, EXAMPLES, GOLDEN } from "./helpers.js";
import { lowerExample } from "./tfjs-helpers.js";

describe("IR", () => {
  for (const name of ["lenet5", "resnet18", "squeezenet1_1", "unet"]) {
    it(`${name} matches its golden IR`, async () => {
      const { ir } = lowerExample(name);
      await expect(JSON.stringify(ir, null, 2) + "\n").toMatchFileSnapshot(join(GOLDEN, "ir", `${name}.ir.json`));
    });
  }

  for (const file of cnnFiles(EXAMPLES)) {
    const name = file.replace(/\.cnn$/, "");
    it(`${name} is a well-formed graph`, () => {
      const { ir } = lowerExample(name);
      expect(ir.version).toBe(IR_VERSION);
      ir.nodes.forEach((node, index) => {
        expect(node.id).toBe(index);
        for (const input of node.inputs) expect(input).toBeLessThan(index);
        expect(node.source.line).toBeGreaterThan(0);
        if ("padding" in node.attrs) expect(node.attrs.padding.every((p) => Number.isInteger(p) && p >= 0)).toBe(true);
      });
      expect(new Set(ir.nodes.map((n) => n.name)).size).toBe(ir.nodes.length);
      const trainable = ir.nodes.reduce((sum, n) => sum + n.params.trainable, 0);
      expect(trainable).toBe(ir.params.trainable);
      expect(ir.nodes[ir.output.node]!.shape).toEqual(ir.output.shape);
    });
  }
});
