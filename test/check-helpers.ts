// Compiles small snippets for unit tests of shape rules and checker behaviour.

import { compile } from "../src/compile.js";
import type { Shape } from "../src/shape/shape.js";

/** The output shape of `layers` applied to an input of `input`, or the codes reported. */
export function outputOf(input: readonly number[], layers: string): { shape?: Shape; codes: string[]; messages: string[] } {
  const text = `model M {\n  input x: [${input.join(", ")}]\n  ${layers}\n}\n`;
  const result = compile(text);
  const model = result.models[0]!;
  const output = model.outputId === undefined ? undefined : model.nodes[model.outputId]!.shape;
  return { shape: output, codes: result.diagnostics.map((d) => d.code), messages: result.diagnostics.map((d) => d.message) };
}

export function codesOf(text: string): string[] {
  return compile(text).diagnostics.map((d) => d.code);
}

export function paramsOf(input: readonly number[], layers: string): { trainable: number; nonTrainable: number; macs: number } {
  const text = `model M {\n  input x: [${input.join(", ")}]\n  ${layers}\n}\n`;
  const model = compile(text).models[0]!;
  return { trainable: model.params.trainable, nonTrainable: model.params.nonTrainable, macs: model.macs };
}
