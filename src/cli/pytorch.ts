// `cnnc build --target pytorch` (through buildPytorch) and `cnnc convert`, which moves
// weights between a saved tfjs model and a PyTorch state_dict file of the same model.

import { basename, dirname, join } from "node:path";
import { Command, Option } from "commander";
import type { IrGraph } from "../ir/ir.js";
import { emitPytorch, renamedTorchLayers } from "../emit/pytorch.js";
import { writeFilesAtomically } from "../emit/write-files.js";
import { toIr, toTfjs } from "../driver.js";
import { BACKENDS, type BackendRequest } from "../runtime/backend.js";
import { ConversionError } from "../convert/weights.js";
import { compileFile, readBytes, shapeOption, tfjsModelJson } from "./options.js";
import { loadTorchWeights, type WeightOptions } from "./weights.js";

export interface PytorchBuildOptions {
  out: string;
  model?: string;
  sizes?: ReadonlyMap<string, number>;
}

function colorOn(): boolean {
  return process.stderr.isTTY === true && process.env["NO_COLOR"] === undefined;
}

/** `cnnc build FILE --target pytorch -o DIR`: writes DIR/model.py and DIR/train.py. Returns the exit code. */
export async function buildPytorch(file: string, source: string, options: PytorchBuildOptions): Promise<number> {
  const compiled = compileFile(toIr, file, source, options, colorOn());
  if (compiled === undefined) return 1;
  const written = writeFilesAtomically(options.out, emitPytorch({ ir: compiled.ir, sourceFile: basename(file), doc: compiled.doc }));
  process.stdout.write(`wrote ${written.join(", ")}\n`);
  return 0;
}

export interface ConvertOptions extends WeightOptions {
  from: string;
  to: string;
  model?: string;
  shape?: ReadonlyMap<string, number>;
  backend: BackendRequest;
}

export async function convert(file: string, source: string, options: ConvertOptions): Promise<number> {
  // Seeded: layers the weights do not cover start as `cnnc build --seed 0` builds them.
  const compiled = compileFile(toTfjs, file, source, { model: options.model, sizes: options.shape, seed: 0 }, colorOn());
  if (compiled === undefined) return 1;
  const { ir, spec } = compiled;
  try {
    const modelJson = tfjsModelJson(options.from);
    if (modelJson !== undefined) {
      const json = new TextDecoder().decode(readBytes(modelJson));
      const { tfjsToTorchFile } = await import("../convert/convert.js");
      const bytes = tfjsToTorchFile(ir, spec, json, readBytes(join(dirname(modelJson), "weights.bin")));
      const written = writeFilesAtomically(dirname(options.to), { [basename(options.to)]: bytes });
      process.stdout.write(`wrote ${written.join(", ")}\n${renamingNotes(ir)}`);
      return 0;
    }
    const context = { file, source, sources: compiled.compilation.sources, modelSpan: compiled.model.decl.name.span, color: colorOn() };
    const weights = await loadTorchWeights(options.from, readBytes(options.from), ir, spec, context, options);
    if (weights === undefined) return 1;
    const { modelWithWeights } = await import("../convert/convert.js");
    const { loadTfjs } = await import("../runtime/backend.js");
    const { tf } = await loadTfjs(options.backend);
    const built = await modelWithWeights(tf, ir, spec, weights, { cnnc: { model: ir.model, source: basename(file), params: ir.params, macs: ir.macs } });
    // From one PyTorch file to another: the state_dict of model.py, under its names and in its layout.
    const written = TORCH_FILE.test(options.to) ? writeFilesAtomically(dirname(options.to), { [basename(options.to)]: built.torch() }) : writeFilesAtomically(options.to, built.tfjs);
    process.stdout.write(`wrote ${written.join(", ")}\n${renamingNotes(ir)}`);
    return 0;
  } catch (error) {
    if (!(error instanceof ConversionError)) throw error;
    process.stderr.write(`error: ${error.message}\n`);
    return 1;
  }
}

/** A PyTorch file name, as `--to` gives it for a state_dict of model.py. */
const TORCH_FILE = /\.(pt|pth|ckpt)$/;

/** Lines that say which layers have another name in the state_dict than in the tfjs model (model.py's header lists them too). */
function renamingNotes(ir: IrGraph): string {
  return renamedTorchLayers(ir)
    .map((r) => `note: layer \`${r.name}\` is \`${r.identifier}\` in the state_dict (the name is taken in Python)\n`)
    .join("");
}

function readSource(file: string): string {
  return new TextDecoder().decode(readBytes(file));
}

export function registerPytorchCommands(program: Command, setExit: (code: number) => void): void {
  program
    .command("convert")
    .description("move weights between a saved tfjs model (model.json + weights.bin) and a PyTorch state_dict file of the same model")
    .argument("<file>", "the .cnn file both were built from")
    .requiredOption("--from <path>", "a tfjs model directory (or its model.json), or a PyTorch file (a state_dict, or a train.py checkpoint)")
    .requiredOption("--to <path>", "the PyTorch file to write (a state_dict of model.py: from tfjs, or from another PyTorch file), or the tfjs model directory to write")
    .option("--model <name>", "the model (default: the last one in the file)")
    .addOption(shapeOption())
    .addOption(new Option("--backend <backend>", "tfjs backend used to write a tfjs model").choices(BACKENDS).default("cpu"))
    .option("--strict", "refuse a PyTorch file unless every layer gets weights from it and all of it is used")
    .option("--explain", "print which state_dict module each layer takes")
    .option("--map <file>", 'a JSON map file pinning layers to state_dict modules: { "dense_1": "fc" } (null starts a layer fresh)')
    .action(async (file: string, options: ConvertOptions) => setExit(await convert(file, readSource(file), options)));
}
