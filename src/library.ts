// cnnc as a library: the functions `import … from "cnnc"` gives, over the one pipeline the
// CLI and the language server call. Nothing here touches files or Node: imports are read
// through the SourceHost in the options (src/index.ts defaults it to node:fs, the browser
// entry to the files given and the built-in standard library), and tfjs is imported only
// when a model is built.

import type * as tfjs from "@tensorflow/tfjs";
import type { Tf } from "./runtime/tf.js";
import type { ModelGraph } from "./check/graph.js";
import { describeSizes } from "./check/sizes.js";
import type { SizeSet } from "./shape/symbolic.js";
import { compile, type Compilation, type CompileOptions } from "./compile.js";
import { diagnostic } from "./diagnostics/codes.js";
import type { Diagnostic } from "./diagnostics/diagnostic.js";
import { toJsonDiagnostics, type JsonDiagnostic } from "./diagnostics/json.js";
import { renderDiagnostics } from "./diagnostics/render.js";
import { basename } from "./diagnostics/paths.js";
import { buildTfjsModel } from "./emit/tfjs-build.js";
import { LoweringError, lowerToTfjs, type TfModelSpec } from "./emit/tfjs-lowering.js";
import { emitTypeScript } from "./emit/typescript.js";
import { buildIr } from "./ir/build.js";
import type { IrGraph } from "./ir/ir.js";
import { summarize as summarizeModel, renderSummary, type SummaryJson } from "./summary/summary.js";
import { graphView } from "./graph/view.js";
import type { GraphLayout } from "./graph/layout.js";
import { renderSvg } from "./graph/svg.js";

export { compile, renderSummary, renderSvg };
export type { Compilation, CompileOptions, Diagnostic, GraphLayout, IrGraph, JsonDiagnostic, SummaryJson };
export { estimateMemory, formatBytes, type MemoryEstimate } from "./summary/memory.js";
export { BUILT_IN_STDLIB, memoryHost, type SourceHost } from "./check/modules.js";
export { renderDiagnostics, toJsonDiagnostics };

export interface LibraryOptions extends CompileOptions {
  /** The model to use when the file declares several; the last one by default. */
  model?: string;
  /** ANSI colours in rendered diagnostics. */
  color?: boolean;
}

/** A misuse that is not a diagnostic of the text: no such model, or symbolic sizes where concrete ones are needed. */
export class UsageError extends Error {}

/** The text has errors: `diagnostics` holds them, `message` renders them with file:line and source lines. */
export class CompileError extends Error {
  constructor(
    readonly diagnostics: Diagnostic[],
    message: string,
    /** The first error's place, for tools that point at it (a bundler's overlay). */
    readonly location: { file: string; line: number; column: number } | undefined,
  ) {
    super(message);
    this.name = "CompileError";
  }
}

export interface CheckResult {
  /** No errors (warnings may remain). */
  ok: boolean;
  diagnostics: Diagnostic[];
  /** As `cnnc check` prints them. */
  rendered: string;
  /** As `cnnc check --json` prints them: 0-based positions, file names. */
  json: JsonDiagnostic[];
}

/** How diagnostics name the main file: its path as given, or `input.cnn` for a text without one. */
function fileLabel(options: CompileOptions): string {
  return options.path ?? "input.cnn";
}

/** Checks a text: its diagnostics, rendered and as JSON. */
export function check(text: string, options: LibraryOptions = {}): CheckResult {
  return report(compile(text, options), text, options);
}

function report(result: Compilation, text: string, options: LibraryOptions): CheckResult {
  const file = fileLabel(options);
  return {
    ok: !result.diagnostics.some((d) => d.severity === "error"),
    diagnostics: result.diagnostics,
    rendered: renderDiagnostics(result.diagnostics, file, text, { color: options.color ?? false, sources: result.sources }),
    json: toJsonDiagnostics(result.diagnostics, file, text, result.sources),
  };
}

function failure(result: Compilation, text: string, options: LibraryOptions, diagnostics: Diagnostic[] = result.diagnostics): CompileError {
  const errors = diagnostics.filter((d) => d.severity === "error");
  const file = fileLabel(options);
  const first = errors[0] === undefined ? undefined : toJsonDiagnostics([errors[0]], file, text, result.sources)[0];
  const rendered = renderDiagnostics(errors, file, text, { color: options.color ?? false, sources: result.sources });
  return new CompileError(errors, rendered, first === undefined ? undefined : { file: first.file, line: first.range.start.line + 1, column: first.range.start.character + 1 });
}

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

/**
 * The summary table's data (as `cnnc summary --json` prints it, with the training memory at
 * `batch`, by default the train declaration's); throws CompileError when the text has errors.
 */
export function summarize(text: string, options: LibraryOptions & { batch?: number } = {}): SummaryJson {
  const result = compile(text, options);
  if (result.diagnostics.some((d) => d.severity === "error")) throw failure(result, text, options);
  const model = pickModel(result.models, fileLabel(options), options.model);
  return summarizeModel(model, text, { memory: { batch: options.batch, train: result.trains.find((t) => t.model === model.name) } });
}

/**
 * The model laid out as `cnnc graph --json` prints it (`renderSvg` draws it); `expand` opens
 * block calls. Throws CompileError when the text has errors.
 */
export async function graph(text: string, options: LibraryOptions & { expand?: boolean } = {}): Promise<GraphLayout> {
  const result = compile(text, options);
  if (result.diagnostics.some((d) => d.severity === "error")) throw failure(result, text, options);
  // ELK (1.5 MB of CommonJS) loads with the first graph, not with every import of the library.
  const { layoutGraph } = await import("./graph/layout.js");
  return layoutGraph(graphView(pickModel(result.models, fileLabel(options), options.model), text, { expand: options.expand }));
}

export interface Lowered {
  ir: IrGraph;
  spec: TfModelSpec;
  doc?: string;
}

/**
 * Compiles and lowers a model for tfjs, or says why it cannot: the text's errors, an
 * E0601 where tfjs cannot compute a layer, or an E0640 where the model is too deep for it.
 */
export function lowerCompilation(result: Compilation, text: string, options: LibraryOptions & { seed?: number }): Lowered | { diagnostics: Diagnostic[] } {
  if (result.diagnostics.some((d) => d.severity === "error")) return { diagnostics: result.diagnostics };
  const model = pickModel(result.models, fileLabel(options), options.model, { concrete: true });
  const ir = buildIr(model, text, result.trains.find((t) => t.model === model.name));
  try {
    return { ir, spec: lowerToTfjs(ir, { seed: options.seed }), doc: model.decl.doc };
  } catch (error) {
    if (!(error instanceof LoweringError)) throw error;
    return { diagnostics: [diagnostic(error.code, { start: error.node.source.start, end: error.node.source.end }, error.message, { help: error.help })] };
  }
}

function lower(text: string, options: LibraryOptions & { seed?: number }): Lowered {
  const result = compile(text, options);
  const lowered = lowerCompilation(result, text, options);
  if ("diagnostics" in lowered) throw failure(result, text, options, lowered.diagnostics);
  return lowered;
}

export interface BuildModelOptions extends LibraryOptions {
  /** Seeds every initializer, so weights are the same from run to run. */
  seed?: number;
  /** The tfjs module to build with (`@tensorflow/tfjs` by default), with whatever backend it has set. */
  tf?: Tf;
}

/** Builds the model as a `tf.LayersModel`; throws CompileError when the text has errors. */
export async function buildModel(text: string, options: BuildModelOptions = {}): Promise<tfjs.LayersModel> {
  const { spec } = lower(text, options);
  const tf = options.tf ?? (await import("@tensorflow/tfjs"));
  return buildTfjsModel(tf, spec);
}

/** The module `cnnc build --target ts` writes; throws CompileError when the text has errors. */
export async function toTypeScript(text: string, options: LibraryOptions & { seed?: number } = {}): Promise<string> {
  const { ir, spec, doc } = lower(text, options);
  return emitTypeScript({ spec, ir, sourceFile: basename(fileLabel(options)), doc, train: ir.train });
}
