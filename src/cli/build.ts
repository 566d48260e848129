// `cnnc build`: compiles a model to the IR, a saved tfjs model, or TypeScript source.

import { basename } from "node:path";
import { InvalidArgumentError, Option } from "commander";
import { compile } from "../compile.js";
import { nodeHost } from "../host/node.js";
import { renderDiagnostics, summarizeCounts } from "../diagnostics/render.js";
import { buildIr } from "../ir/build.js";
import { writeFilesAtomically } from "../emit/write-files.js";
import { lowerCompilation, pickModel, UsageError as CliUsageError, type Lowered } from "../library.js";
import type { BackendRequest } from "../runtime/backend.js";

export const TARGETS = ["ir", "tfjs", "ts", "pytorch", "onnx"] as const;
export type Target = (typeof TARGETS)[number];

export interface BuildOptions {
  target: Target;
  out: string;
  model?: string;
  seed?: number;
  backend: BackendRequest;
  /** Values for symbolic input sizes (`--shape`). */
  sizes?: ReadonlyMap<string, number>;
  /** For the ONNX target: a saved tfjs model or a PyTorch state_dict whose weights the model gets. */
  weights?: string;
  /** For the ONNX target with a PyTorch file in `weights`: how it is matched, as for `cnnc train --init`. */
  strict?: boolean;
  explain?: boolean;
  map?: string;
  /** For the ONNX target: the layout of the graph's input. */
  inputLayout?: "nchw" | "nhwc";
  /** For the ts target: model-prefixed export names (`--prefixed-names`). */
  prefixedNames?: boolean;
}

/** A misuse of the command line: printed without a stack trace, exit 2. */
export { UsageError as CliUsageError, pickModel, exampleSize } from "../library.js";

/** The `--shape H=224,W=224` option: values for a model's symbolic input sizes (repeatable). */
export function shapeOption(): Option {
  return new Option("--shape <sizes>", "values for symbolic input sizes, e.g. H=224,W=224").argParser((value: string, previous: Map<string, number> | undefined) => {
    try {
      return new Map([...(previous ?? []), ...parseShapeOption([value])]);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message.replace(/^--shape expects /, "expected "));
    }
  });
}

/** Parses `--shape H=224,W=224` (repeatable) into size values. */
export function parseShapeOption(entries: readonly string[]): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const entry of entries.flatMap((e) => e.split(","))) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(\d+)\s*$/.exec(entry);
    if (match === null || Number(match[2]) < 1) throw new CliUsageError(`--shape expects NAME=SIZE pairs with whole sizes ≥ 1, such as H=224,W=224; found \`${entry}\``);
    sizes.set(match[1]!, Number(match[2]));
  }
  return sizes;
}

/** Compiles and lowers for tfjs; prints diagnostics and returns undefined on errors. */
export function compileForTfjs(file: string, source: string, modelName: string | undefined, seed: number | undefined, color: boolean, sizes?: ReadonlyMap<string, number>): Lowered | undefined {
  const result = compile(source, { sizes, path: file, host: nodeHost });
  const lowered = lowerCompilation(result, source, { path: file, model: modelName, seed });
  if (!("diagnostics" in lowered)) return lowered;
  process.stderr.write(renderDiagnostics(lowered.diagnostics, file, source, { color, sources: result.sources }) + `\n${file}: ${summarizeCounts(lowered.diagnostics)}\n`);
  return undefined;
}

export async function build(file: string, source: string, options: BuildOptions, color: boolean): Promise<number> {
  const stem = basename(file).replace(/\.cnn$/, "");
  if (options.target === "ir") {
    const result = compile(source, { sizes: options.sizes, path: file, host: nodeHost });
    if (result.diagnostics.some((d) => d.severity === "error")) {
      process.stderr.write(renderDiagnostics(result.diagnostics, file, source, { color, sources: result.sources }) + `\n${file}: ${summarizeCounts(result.diagnostics)}\n`);
      return 1;
    }
    const model = pickModel(result.models, file, options.model, { concrete: true });
    const ir = buildIr(model, source, result.trains.find((t) => t.model === model.name));
    const written = writeFilesAtomically(options.out, { [`${stem}.ir.json`]: JSON.stringify(ir, null, 2) + "\n" });
    process.stdout.write(`wrote ${written.join(", ")}\n`);
    return 0;
  }
  const onnxOnly = (["weights", "inputLayout", "strict", "explain", "map"] as const).find((key) => options[key] !== undefined);
  if (onnxOnly !== undefined && options.target !== "onnx") throw new CliUsageError(`--${onnxOnly === "inputLayout" ? "input-layout" : onnxOnly} applies to --target onnx only`);
  if (options.target === "onnx") {
    const { buildOnnx } = await import("./onnx.js");
    const { weights, strict, explain, map } = options;
    return buildOnnx(file, source, { out: options.out, model: options.model, seed: options.seed, sizes: options.sizes, weights, strict, explain, map, inputLayout: options.inputLayout ?? "nchw", backend: options.backend }, color);
  }
  if (options.target === "pytorch") {
    const { buildPytorch } = await import("./pytorch.js");
    return buildPytorch(file, source, { out: options.out, model: options.model, sizes: options.sizes });
  }
  const lowered = compileForTfjs(file, source, options.model, options.seed, color, options.sizes);
  if (lowered === undefined) return 1;
  if (options.target === "ts") {
    const { emitTypeScript } = await import("../emit/typescript.js");
    const code = await emitTypeScript({ spec: lowered.spec, ir: lowered.ir, sourceFile: basename(file), doc: lowered.doc, train: lowered.ir.train, prefixed: options.prefixedNames });
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
