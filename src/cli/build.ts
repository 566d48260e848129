// `cnnc build`: compiles a model to the IR, a saved tfjs model, or TypeScript source.

import { basename } from "node:path";
import { writeFilesAtomically } from "../emit/write-files.js";
import { toIr, toTfjs, type Lowered } from "../driver.js";
import type { BackendRequest } from "../runtime/backend.js";
import { CliUsageError, compileFile } from "./options.js";

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

export async function build(file: string, source: string, options: BuildOptions, color: boolean): Promise<number> {
  const stem = basename(file).replace(/\.cnn$/, "");
  if (options.target === "ir") {
    const compiled = compileFile(toIr, file, source, options, color);
    if (compiled === undefined) return 1;
    const { ir } = compiled;
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
  const lowered: Lowered | undefined = compileFile(toTfjs, file, source, options, color);
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
