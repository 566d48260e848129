// `cnnc build FILE --target onnx -o DIR`: DIR/model.onnx with the weights of a saved tfjs
// model or a PyTorch state_dict (`--weights`, matched by structure as `cnnc train --init`
// matches it), or the tfjs builder's initial weights (seeded with `--seed`). A model with
// symbolic sizes gets one graph for every accepted size, with the sizes as named
// dimensions, when no layer's lowering depends on them.

import { basename } from "node:path";
import type { Compilation } from "../compile.js";
import { nodeHost } from "../host/node.js";
import { diagnostic } from "../diagnostics/codes.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { renderDiagnostics, summarizeCounts } from "../diagnostics/render.js";
import type { IrGraph } from "../ir/ir.js";
import type { ModelGraph } from "../check/graph.js";
import { formatDim } from "../shape/symbolic.js";
import { LoweringError, lowerToTfjs, type TfModelSpec } from "../emit/tfjs-lowering.js";
import { lowerToOnnx, type InputLayout } from "../emit/onnx/lowering.js";
import { encodeModel, type OnnxDim, type OnnxModel } from "../emit/onnx/proto.js";
import { writeFilesAtomically } from "../emit/write-files.js";
import { ConversionError, type Tensor } from "../convert/weights.js";
import type { BackendRequest } from "../runtime/backend.js";
import { checkText, exampleSize, irOf, loweringDiagnostic, pickModel } from "../driver.js";
import { CliUsageError, readBytes, tfjsModelJson } from "./options.js";
import { loadTorchWeights, type WeightOptions } from "./weights.js";

export const INPUT_LAYOUTS = ["nchw", "nhwc"] as const satisfies readonly InputLayout[];

export interface OnnxBuildOptions extends WeightOptions {
  out: string;
  model?: string;
  seed?: number;
  sizes?: ReadonlyMap<string, number>;
  /** A saved tfjs model (directory or model.json) or a PyTorch state_dict file. */
  weights?: string;
  inputLayout: InputLayout;
  backend: BackendRequest;
}

class BuildFailure extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super("build failed");
  }
}

/** The weights were refused, and the diagnostics saying why are already printed. */
class WeightsRefused extends Error {}

/** What the weights are loaded against: the file, for diagnostics at the layers' lines. */
interface WeightContext {
  file: string;
  source: string;
  compilation: Compilation;
  model: ModelGraph;
  color: boolean;
}

function lowerForTfjs(ir: IrGraph, seed: number | undefined): TfModelSpec {
  try {
    return lowerToTfjs(ir, { seed });
  } catch (error) {
    if (!(error instanceof LoweringError)) throw error;
    throw new BuildFailure([loweringDiagnostic(error)]);
  }
}

/** The PyTorch target's state_dict for the model: from `--weights`, or the tfjs builder's initial weights. */
async function modelWeights(ir: IrGraph, spec: TfModelSpec, options: OnnxBuildOptions, context: WeightContext): Promise<Map<string, Tensor>> {
  const convert = await import("../convert/convert.js");
  const modelJson = options.weights === undefined ? undefined : tfjsModelJson(options.weights);
  if (modelJson !== undefined) {
    if (options.strict || options.explain || options.map !== undefined) throw new CliUsageError("--strict, --explain and --map apply to a PyTorch state_dict; a saved tfjs model's weights are taken by name");
    const { join, dirname } = await import("node:path");
    return convert.tfjsToTorchState(ir, spec, new TextDecoder().decode(readBytes(modelJson)), readBytes(join(dirname(modelJson), "weights.bin")));
  }
  let loaded: Map<string, Tensor> | undefined;
  if (options.weights !== undefined) {
    const { file, source, compilation, model, color } = context;
    loaded = await loadTorchWeights(options.weights, readBytes(options.weights), ir, spec, { file, source, sources: compilation.sources, modelSpan: model.decl.name.span, color }, options);
    if (loaded === undefined) throw new WeightsRefused();
  } else if (options.strict || options.explain || options.map !== undefined) {
    throw new CliUsageError(`${options.strict ? "--strict" : options.explain ? "--explain" : "--map"} applies to the weights of --weights FILE.pt`);
  }
  // The layers the file leaves out (all of them without --weights) start as the tfjs builder seeds them.
  const { loadTfjs } = await import("../runtime/backend.js");
  const { tf } = await loadTfjs(options.backend);
  const files = (await convert.modelWithWeights(tf, ir, spec, loaded ?? new Map())).tfjs;
  return convert.tfjsToTorchState(ir, spec, files["model.json"], files["weights.bin"]);
}

/** Two accepted values of every symbolic size: the graph is size-independent when both lower alike. */
function twoInstances(model: ModelGraph): [Map<string, number>, Map<string, number>] {
  const first = new Map<string, number>();
  const second = new Map<string, number>();
  for (const [name, set] of model.sizes!.sets) {
    const a = exampleSize(set);
    // The next accepted size (within one period), else any other; a size accepted alone is compared with itself.
    const later = Array.from({ length: set.period }, (_, i) => a + 1 + i).find((x) => set.has(x));
    first.set(name, a);
    second.set(name, later ?? set.sample(2).find((x) => x !== a) ?? a);
  }
  return [first, second];
}

function instantiate(source: string, file: string, model: ModelGraph, sizes: ReadonlyMap<string, number>): { ir: IrGraph; compilation: Compilation } {
  const compilation = checkText(source, { sizes, path: file, host: nodeHost });
  const errors = compilation.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) throw new BuildFailure(errors);
  const instance = compilation.models.find((m) => m.name === model.name)!;
  return { ir: irOf(compilation, instance, source), compilation };
}

/** The first node whose ONNX lowering differs between two sizes, as the IR node it comes from. */
function firstDifference(a: OnnxModel, b: OnnxModel, ir: IrGraph): IrGraph["nodes"][number] | undefined {
  const describe = (model: OnnxModel, i: number): string => {
    const node = model.graph.nodes[i];
    if (node === undefined) return "";
    const constants = model.graph.initializers.filter((t) => node.inputs.includes(t.name) && t.name.startsWith(`${node.name.split("/")[0]}/`));
    return JSON.stringify([node, constants.map((t) => [t.name, t.dims, Array.from(t.data, String)])]);
  };
  for (let i = 0; i < Math.max(a.graph.nodes.length, b.graph.nodes.length); i++) {
    if (describe(a, i) === describe(b, i)) continue;
    const layer = (a.graph.nodes[i] ?? b.graph.nodes[i])!.name.split("/")[0];
    return ir.nodes.find((n) => n.name === layer);
  }
  return undefined;
}

/**
 * The graph's metadata. ONNX is an inference format: a `frozen` body changes nothing in the
 * graph, so which layers were frozen is recorded here, for a tool that trains from the file.
 */
function graphMetadata(file: string, model: ModelGraph, ir: IrGraph, inputLayout: InputLayout): Record<string, string> {
  const frozen = ir.nodes.filter((n) => n.frozen).map((n) => n.name);
  return { source: basename(file), model: model.name, layout: inputLayout === "nhwc" ? "input NHWC, feature maps NCHW" : "NCHW", ...(frozen.length > 0 ? { frozen: frozen.join(",") } : {}) };
}

async function lower(file: string, source: string, options: OnnxBuildOptions, result: Compilation, color: boolean): Promise<OnnxModel> {
  const model = pickModel(result.models, file, options.model);
  const producerVersion = "0.1.0";
  const context = { file, source, compilation: result, model, color };
  if (model.sizes === undefined || (options.sizes !== undefined && options.sizes.size > 0)) {
    const concrete = pickModel(result.models, file, options.model, { concrete: true });
    const ir = irOf(result, concrete, source);
    const spec = lowerForTfjs(ir, options.seed);
    const metadata = graphMetadata(file, model, ir, options.inputLayout);
    return lowerToOnnx(ir, { weights: await modelWeights(ir, spec, options, context), inputLayout: options.inputLayout, producerVersion, metadata });
  }
  const [sizesA, sizesB] = twoInstances(model);
  const a = instantiate(source, file, model, sizesA);
  const b = instantiate(source, file, model, sizesB);
  const spec = lowerForTfjs(a.ir, options.seed);
  const weights = await modelWeights(a.ir, spec, options, context);
  const metadata = graphMetadata(file, model, a.ir, options.inputLayout);
  const format = (shape: readonly (number | object)[]): OnnxDim[] => shape.map((d) => (typeof d === "number" ? d : formatDim(d as never, { sizes: model.sizes!.sets })));
  const dims = { inputDims: format(model.nodes.find((n) => n.op === "input")!.shape), outputDims: format(model.nodes[model.outputId!]!.shape) };
  const common = { ...dims, weights, inputLayout: options.inputLayout, producerVersion, metadata };
  const onnxA = lowerToOnnx(a.ir, common);
  const onnxB = lowerToOnnx(b.ir, common);
  const bytesA = encodeModel(onnxA);
  const bytesB = encodeModel(onnxB);
  if (bytesA.length === bytesB.length && bytesA.every((x, i) => x === bytesB[i])) return onnxA;
  const node = firstDifference(onnxA, onnxB, a.ir) ?? a.ir.nodes[a.ir.output.node]!;
  const at = (sizes: Map<string, number>): string => [...sizes].map(([n, v]) => `${n}=${v}`).join(",");
  throw new BuildFailure([
    diagnostic("E0620", { start: node.source.start, end: node.source.end }, `the ONNX form of \`${node.name}\` differs between the accepted sizes ${at(sizesA)} and ${at(sizesB)}, so one graph cannot serve every size`, {
      help: `fix the sizes with \`--shape ${at(sizesA)}\` (one ONNX model per size)`,
    }),
  ]);
}

export async function buildOnnx(file: string, source: string, options: OnnxBuildOptions, color: boolean): Promise<number> {
  const result = checkText(source, { sizes: options.sizes, path: file, host: nodeHost });
  const report = (diagnostics: Diagnostic[]): number => {
    process.stderr.write(renderDiagnostics(diagnostics, file, source, { color, sources: result.sources }) + `\n${file}: ${summarizeCounts(diagnostics)}\n`);
    return 1;
  };
  if (result.diagnostics.some((d) => d.severity === "error")) return report(result.diagnostics);
  let onnx: OnnxModel;
  try {
    onnx = await lower(file, source, options, result, color);
  } catch (error) {
    if (error instanceof BuildFailure) return report(error.diagnostics);
    if (error instanceof WeightsRefused) return 1;
    if (error instanceof ConversionError) {
      process.stderr.write(`error: ${options.weights}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const written = writeFilesAtomically(options.out, { "model.onnx": encodeModel(onnx) });
  process.stdout.write(`wrote ${written.join(", ")}\n`);
  return 0;
}
