// cnnc as a library: the functions `import … from "cnnc"` gives, over the one pipeline the
// CLI and the language server call. Nothing here touches files or Node: imports are read
// through the SourceHost in the options (src/index.ts defaults it to node:fs, the browser
// entry to the files given and the built-in standard library), and tfjs is imported only
// when a model is built.

import type * as tfjs from "@tensorflow/tfjs";
import type { Tf } from "./runtime/tf.js";
import type { Compilation, CompileOptions } from "./compile.js";
import type { Diagnostic } from "./diagnostics/diagnostic.js";
import { toJsonDiagnostics, type JsonDiagnostic } from "./diagnostics/json.js";
import { renderDiagnostics } from "./diagnostics/render.js";
import { basename } from "./diagnostics/paths.js";
import { buildTfjsModel } from "./emit/tfjs-build.js";
import { emitTypeScript } from "./emit/typescript.js";
import type { IrGraph } from "./ir/ir.js";
import { summarize as summarizeModel, renderSummary, type SummaryJson } from "./summary/summary.js";
import { graphView } from "./graph/view.js";
import { checkText, toModel, toTfjs, type Lowered } from "./driver.js";
import type { GraphLayout } from "./graph/layout.js";
import { renderSvg } from "./graph/svg.js";

export { compile } from "./compile.js";
export { renderSummary, renderSvg };
export type { Compilation, CompileOptions, Diagnostic, GraphLayout, IrGraph, JsonDiagnostic, SummaryJson };
export { estimateMemory, formatBytes, type MemoryEstimate } from "./summary/memory.js";
export { BUILT_IN_STDLIB, memoryHost, type SourceHost } from "./check/modules.js";
export { renderDiagnostics, toJsonDiagnostics };
export { exampleSize, pickModel, UsageError } from "./driver.js";

export interface LibraryOptions extends CompileOptions {
  /** The model to use when the file declares several; the last one by default. */
  model?: string;
  /** ANSI colours in rendered diagnostics. */
  color?: boolean;
}

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
  return report(checkText(text, options), text, options);
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
 * The summary table's data (as `cnnc summary --json` prints it, with the training memory at
 * `batch`, by default the train declaration's); throws CompileError when the text has errors.
 */
export function summarize(text: string, options: LibraryOptions & { batch?: number } = {}): SummaryJson {
  const result = checkText(text, options);
  const chosen = toModel(result, { file: fileLabel(options), model: options.model });
  if ("diagnostics" in chosen) throw failure(result, text, options);
  return summarizeModel(chosen.model, text, { memory: { batch: options.batch, train: chosen.train } });
}

/**
 * The model laid out as `cnnc graph --json` prints it (`renderSvg` draws it); `expand` opens
 * block calls. Throws CompileError when the text has errors.
 */
export async function graph(text: string, options: LibraryOptions & { expand?: boolean } = {}): Promise<GraphLayout> {
  const result = checkText(text, options);
  const chosen = toModel(result, { file: fileLabel(options), model: options.model });
  if ("diagnostics" in chosen) throw failure(result, text, options);
  // ELK (1.5 MB of CommonJS) loads with the first graph, not with every import of the library.
  const { layoutGraph } = await import("./graph/layout.js");
  return layoutGraph(graphView(chosen.model, text, { expand: options.expand }));
}

function lower(text: string, options: LibraryOptions & { seed?: number }): Lowered {
  const result = checkText(text, options);
  const lowered = toTfjs(result, text, { file: fileLabel(options), model: options.model, seed: options.seed });
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
