// From a text to what a target lowers from: the checked text, the model a command asked
// for (with its `train` declaration), its IR and its tfjs layer specs, with a lowering
// refusal (E0601, E0640) turned into a diagnostic like any other. The CLI's commands, the
// library, the bundler plugins and the language server (for files not open in the editor;
// open ones go through the incremental checker, which equals compile()) all go through
// here, so they agree on which model, which settings and which errors. Nothing here touches
// files or Node: the host in the options reads imports.

import type { ModelGraph } from "./check/graph.js";
import { describeSizes } from "./check/sizes.js";
import { compile, type Compilation, type CompileOptions } from "./compile.js";
import type { TrainConfig } from "./check/train.js";
import { diagnostic } from "./diagnostics/codes.js";
import type { Diagnostic } from "./diagnostics/diagnostic.js";
import { LoweringError, lowerToTfjs, type TfModelSpec } from "./emit/tfjs-lowering.js";
import { buildIr } from "./ir/build.js";
import type { IrGraph } from "./ir/ir.js";
import type { SizeSet } from "./shape/symbolic.js";

/** A misuse that is not a diagnostic of the text: no such model, or symbolic sizes where concrete ones are needed. */
export class UsageError extends Error {}

/**
 * The model a command should use: named, or the file's last. Uses that allocate weights or
 * emit code (`concrete`) refuse a model whose input sizes are symbolic.
 */
export function pickModel(models: readonly ModelGraph[], file: string, name: string | undefined, requirement: { concrete?: boolean } = {}): ModelGraph {
  if (models.length === 0) throw new UsageError(`${file} declares no model`);
  const found = name === undefined ? models[models.length - 1]! : models.find((m) => m.name === name);
  if (found === undefined) throw new UsageError(`${file} has no model \`${name}\`; it has ${models.map((m) => m.name).join(", ")}`);
  if (requirement.concrete && found.sizes !== undefined) {
    const names = [...found.sizes.sets.keys()];
    const example = names.map((n) => `${n}=${exampleSize(found.sizes!.sets.get(n)!)}`).join(",");
    throw new UsageError(`model \`${found.name}\` in ${file} has symbolic input sizes (${names.join(", ")}): ${describeSizes(found.sizes.sets).join("; ")}. Fix them with \`--shape ${example}\``);
  }
  return found;
}

/** An accepted size near 224 (a common image size), to show in a `--shape` suggestion. */
export function exampleSize(set: SizeSet): number {
  for (let x = 224; x < 224 + set.period + 1; x++) if (set.has(x)) return x;
  return set.first() ?? 224;
}

/** One model's IR, carrying the compilation's `train` declaration for it. */
export function irOf(compilation: Compilation, model: ModelGraph, text: string): IrGraph {
  return buildIr(model, text, compilation.trains.find((t) => t.model === model.name));
}

export interface ToIr {
  model: ModelGraph;
  ir: IrGraph;
  doc?: string;
}

export interface Lowered extends ToIr {
  spec: TfModelSpec;
}

/** Where a text stopped on its way to a target: its errors, or a layer the target cannot compute. */
export interface Refused {
  diagnostics: Diagnostic[];
}

export interface DriveOptions {
  /** How diagnostics and messages name the main file. */
  file: string;
  /** The model to use when the file declares several; the last one by default. */
  model?: string;
  /** Seeds the tfjs layers' initializers. */
  seed?: number;
}

/** Checks a text and the files it imports: the first step of every command. */
export function checkText(text: string, options: CompileOptions = {}): Compilation {
  return compile(text, options);
}

export interface Chosen {
  model: ModelGraph;
  /** The model's `train` declaration, if it has one. */
  train?: TrainConfig;
}

/**
 * The chosen model and its `train` declaration, or the text's errors. Throws UsageError for
 * a missing model, or (with `concrete`) one with symbolic sizes.
 */
export function toModel(compilation: Compilation, options: DriveOptions, requirement: { concrete?: boolean } = {}): Chosen | Refused {
  if (compilation.diagnostics.some((d) => d.severity === "error")) return { diagnostics: compilation.diagnostics };
  const model = pickModel(compilation.models, options.file, options.model, requirement);
  return { model, train: compilation.trains.find((t) => t.model === model.name) };
}

/** The IR of the chosen model (which must have concrete sizes), or the text's errors. Throws UsageError for a missing or symbolic model. */
export function toIr(compilation: Compilation, text: string, options: DriveOptions): ToIr | Refused {
  const chosen = toModel(compilation, options, { concrete: true });
  if ("diagnostics" in chosen) return chosen;
  const { model } = chosen;
  return { model, ir: irOf(compilation, model, text), doc: model.decl.doc };
}

/** A tfjs lowering's refusal as a diagnostic at the layer it refused. */
export function loweringDiagnostic(error: LoweringError): Diagnostic {
  return diagnostic(error.code, { start: error.node.source.start, end: error.node.source.end }, error.message, { help: error.help });
}

/**
 * Compiles and lowers a model for tfjs, or says why it cannot: the text's errors, an
 * E0601 where tfjs cannot compute a layer, or an E0640 where the model is too deep for it.
 */
export function toTfjs(compilation: Compilation, text: string, options: DriveOptions): Lowered | Refused {
  const built = toIr(compilation, text, options);
  if ("diagnostics" in built) return built;
  try {
    return { ...built, spec: lowerToTfjs(built.ir, { seed: options.seed }) };
  } catch (error) {
    if (!(error instanceof LoweringError)) throw error;
    return { diagnostics: [loweringDiagnostic(error)] };
  }
}
