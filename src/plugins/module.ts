// What the bundler plugins (vite.ts, esbuild.ts) share: a `.cnn` file compiled to the
// module `cnnc build --target ts` writes, as JavaScript (the types come from `cnnc/client`),
// and the files it imports, for the bundler to watch.

import { readFileSync } from "node:fs";
import { basename } from "node:path";
import type { ModelGraph } from "../check/graph.js";
import { diagnostic } from "../diagnostics/codes.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { toJsonDiagnostics } from "../diagnostics/json.js";
import { renderDiagnostics } from "../diagnostics/render.js";
import { emitTypeScript } from "../emit/typescript.js";
import { nodeHost } from "../host/node.js";
import { checkText, exampleSize, toTfjs } from "../driver.js";

export interface CnncPluginOptions {
  /** Seeds every initializer, so a model's initial weights are the same on every build. */
  seed?: number;
  /** Which model of a file with several to build; the last one by default. */
  model?: string;
  /** Values for symbolic input sizes, such as `{ H: 224, W: 224 }` (`--shape` on the command line). */
  sizes?: Readonly<Record<string, number>>;
}

/** A `.cnn` file that does not compile: the rendered diagnostics and where the first error is. */
export class CnnModuleError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line: number,
    readonly column: number,
    /** The first error's message alone. */
    readonly headline: string,
    readonly lineText: string,
    readonly watchFiles: string[],
  ) {
    super(message);
    this.name = "CnnModuleError";
  }
}

export interface CnnModule {
  code: string;
  /** The files it imports (not the standard library), which change the module when they change. */
  watchFiles: string[];
}

/** Compiles the `.cnn` file at an absolute path; throws CnnModuleError when it has errors. */
export async function compileCnnModule(path: string, options: CnncPluginOptions = {}): Promise<CnnModule> {
  const text = readFileSync(path, "utf8");
  const result = checkText(text, { path, host: nodeHost, sizes: options.sizes === undefined ? undefined : new Map(Object.entries(options.sizes)) });
  const watchFiles = result.sources.slice(1).flatMap((s) => (s.path === undefined || s.name.startsWith("std/") ? [] : [s.path]));
  const unbundlable = bundlingProblem(result.models, result.diagnostics, options);
  const lowered = unbundlable === undefined ? toTfjs(result, text, { file: path, model: options.model, seed: options.seed }) : { diagnostics: [unbundlable] };
  if ("diagnostics" in lowered) {
    const errors = lowered.diagnostics.filter((d) => d.severity === "error");
    const rendered = renderDiagnostics(errors, path, text, { color: false, sources: result.sources });
    const first = toJsonDiagnostics(errors.slice(0, 1), path, text, result.sources)[0]!;
    const source = result.sources.find((s) => s.path === first.file || s.name === first.file) ?? result.sources[0]!;
    const lineText = (source.base === 0 ? text : source.text).split("\n")[first.range.start.line] ?? "";
    const file = first.file;
    const line = first.range.start.line + 1;
    const column = first.range.start.character + 1;
    throw new CnnModuleError(`${file}:${line}:${column}: ${first.message}\n${rendered}`, file, line, column, `${first.code}: ${first.message}`, lineText, watchFiles);
  }
  const code = await emitTypeScript({ spec: lowered.spec, ir: lowered.ir, sourceFile: basename(path), doc: lowered.doc, train: lowered.ir.train, javascript: true });
  return { code, watchFiles };
}

/** Why a file that checks cleanly still gives no module: no model, or input sizes left symbolic. */
function bundlingProblem(models: readonly ModelGraph[], diagnostics: readonly Diagnostic[], options: CnncPluginOptions): Diagnostic | undefined {
  if (diagnostics.some((d) => d.severity === "error")) return undefined;
  if (models.length === 0) {
    return diagnostic("E0970", { start: 0, end: 0 }, "this file declares no model, so importing it gives no module to build", {
      help: "declare a `model` here, or import this file's blocks from the .cnn file that does",
    });
  }
  const model = options.model === undefined ? models[models.length - 1]! : models.find((m) => m.name === options.model);
  if (model === undefined) {
    return diagnostic("E0970", models[models.length - 1]!.decl.name.span, `the plugin's \`model\` option names \`${options.model}\`, but this file declares ${models.map((m) => `\`${m.name}\``).join(", ")}`, {
      help: `set \`model: "${models[models.length - 1]!.name}"\` in the plugin's options`,
    });
  }
  if (model.sizes === undefined) return undefined;
  const names = [...model.sizes.sets.keys()];
  const input = model.decl.body.statements.find((s) => s.kind === "input");
  return diagnostic("E0971", input?.span ?? model.decl.name.span, `model \`${model.name}\` has symbolic input sizes (${names.join(", ")}); a bundled module builds one fixed size`, {
    help: `give the sizes to the plugin, e.g. \`cnnc({ sizes: { ${names.map((n) => `${n}: ${exampleSize(model.sizes!.sets.get(n)!)}`).join(", ")} } })\`, or write them in the input`,
  });
}
