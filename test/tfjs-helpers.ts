// Compiles examples down to tfjs layer specs for the target tests.

import { join } from "node:path";
import { compile } from "../src/compile.js";
import { buildIr } from "../src/ir/build.js";
import type { IrGraph } from "../src/ir/ir.js";
import { lowerToTfjs, type TfModelSpec } from "../src/emit/tfjs-lowering.js";
import { EXAMPLES, read } from "./helpers.js";

export interface LoweredExample {
  text: string;
  ir: IrGraph;
  spec: TfModelSpec;
  doc?: string;
}

export function lowerText(text: string, seed?: number): LoweredExample {
  const result = compile(text);
  if (result.diagnostics.some((d) => d.severity === "error")) throw new Error(result.diagnostics.map((d) => d.message).join("; "));
  const model = result.models.at(-1)!;
  const ir = buildIr(model, text, result.trains.find((t) => t.model === model.name));
  return { text, ir, spec: lowerToTfjs(ir, { seed }), doc: model.decl.doc };
}

export function lowerExample(name: string, seed?: number): LoweredExample {
  return lowerText(read(join(EXAMPLES, `${name}.cnn`)), seed);
}
