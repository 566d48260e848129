// `cnnc build`: compiles a model to the IR, a saved tfjs model, or TypeScript source.

import { basename } from "node:path";
import { compile } from "../compile.js";
import { diagnostic } from "../diagnostics/codes.js";
import { renderDiagnostics, summarizeCounts } from "../diagnostics/render.js";
import { buildIr } from "../ir/build.js";
import type { IrGraph } from "../ir/ir.js";
import { LoweringError, lowerToTfjs, type TfModelSpec } from "../emit/tfjs-lowering.js";
import { writeFilesAtomically } from "../emit/write-files.js";
import type { BackendRequest } from "../runtime/backend.js";
import type { ModelGraph } from "../check/graph.js";

export const TARGETS = ["ir", "tfjs", "ts", "pytorch"] as const;
export type Target = (typeof TARGETS)[number];

export interface BuildOptions {
  target: Target;
  out: string;
  model?: string;
  seed?: number;
  backend: BackendRequest;
}

export class CliUsageError extends Error {}

/** The model a command should use: named with --model, or the file's last. */
export function pickModel(models: readonly ModelGraph[], file: string, name: string | undefined): ModelGraph {
  if (models.length === 0) throw new CliUsageError(`${file} declares no model`);
  if (name === undefined) return models[models.length - 1]!;
  const found = models.find((m) => m.name === name);
  if (found === undefined) throw new CliUsageError(`${file} has no model \`${name}\`; it has ${models.map((m) => m.name).join(", ")}`);
  return found;
}

export interface Lowered {
  ir: IrGraph;
  spec: TfModelSpec;
  doc?: string;
  source: string;
}

/** Compiles and lowers for tfjs; prints diagnostics and returns undefined on errors. */
export function compileForTfjs(file: string, source: string, modelName: string | undefined, seed: number | undefined, color: boolean): Lowered | undefined {
  const result = compile(source, { path: file });
  const fail = (diagnostics: typeof result.diagnostics): undefined => {
    process.stderr.write(renderDiagnostics(diagnostics, file, source, { color, sources: result.sources }) + `\n${file}: ${summarizeCounts(diagnostics)}\n`);
    return undefined;
  };
  if (result.diagnostics.some((d) => d.severity === "error")) return fail(result.diagnostics);
  const model = pickModel(result.models, file, modelName);
  const ir = buildIr(model, source, result.trains.find((t) => t.model === model.name));
  try {
    return { ir, spec: lowerToTfjs(ir, { seed }), doc: model.decl.doc, source };
  } catch (error) {
    if (!(error instanceof LoweringError)) throw error;
    const span = { start: error.node.source.start, end: error.node.source.end };
    return fail([diagnostic("E0601", span, error.message, { help: error.help })]);
  }
}

export async function build(file: string, source: string, options: BuildOptions, color: boolean): Promise<number> {
  const stem = basename(file).replace(/\.cnn$/, "");
  if (options.target === "ir") {
    const result = compile(source, { path: file });
    if (result.diagnostics.some((d) => d.severity === "error")) {
      process.stderr.write(renderDiagnostics(result.diagnostics, file, source, { color, sources: result.sources }) + `\n${file}: ${summarizeCounts(result.diagnostics)}\n`);
      return 1;
    }
    const model = pickModel(result.models, file, options.model);
    const ir = buildIr(model, source, result.trains.find((t) => t.model === model.name));
    const written = writeFilesAtomically(options.out, { [`${stem}.ir.json`]: JSON.stringify(ir, null, 2) + "\n" });
    process.stdout.write(`wrote ${written.join(", ")}\n`);
    return 0;
  }
  if (options.target === "pytorch") {
    const { buildPytorch } = await import("./pytorch.js");
    return buildPytorch(file, source, { out: options.out, model: options.model });
  }
  const lowered = compileForTfjs(file, source, options.model, options.seed, color);
  if (lowered === undefined) return 1;
  if (options.target === "ts") {
    const { emitTypeScript } = await import("../emit/typescript.js");
    const code = await emitTypeScript({ spec: lowered.spec, ir: lowered.ir, sourceFile: basename(file), doc: lowered.doc, train: lowered.ir.train });
    const written = writeFilesAtomically(options.out, { [`${stem}.ts`]: code });
    process.stdout.write(`wrote ${written.join(", ")}\n`);
    return 0;
  }
  const { loadTfjs } = await import("../runtime/backend.js");
  const { buildTfjsModel } = await import("../emit/tfjs-build.js");
  const { serializeModel } = await import("../emit/tfjs-save.js");
  const { tf, backend, reason } = await loadTfjs(options.backend);
  process.stderr.write(`backend: ${backend} (${reason})\n`);
  const model = buildTfjsModel(tf, lowered.spec);
  const files = await serializeModel(tf, model, { cnnc: { model: lowered.ir.model, source: basename(file), params: lowered.ir.params, macs: lowered.ir.macs } });
  model.dispose();
  const written = writeFilesAtomically(options.out, files);
  process.stdout.write(`wrote ${written.join(", ")}\n`);
  return 0;
}
