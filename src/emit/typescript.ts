// Emits a readable TypeScript module that builds the model with the tfjs layers API, from
// the same layer specs the in-process builder uses, formatted by prettier. Every name and
// string from the source is escaped, so no .cnn file can inject code.

import type { Plugin } from "prettier";
import type { IrGraph, IrTrainConfig } from "../ir/ir.js";
import { CNNC_LAYER_FACTORIES } from "../runtime/layers.js";
import { CNNC_LAYERS_JAVASCRIPT, CNNC_LAYERS_SOURCE } from "../runtime/layers-source.js";
import { isSeededInitializer, type TfModelSpec } from "./tfjs-lowering.js";
import { renamingComment } from "./pytorch/python.js";

const customFactories = new Set<string>(CNNC_LAYER_FACTORIES);

/**
 * Names a variable may not take: reserved words (strict mode and TypeScript's), the names
 * strict mode forbids binding (`arguments`, `eval`), globals the module's code relies on
 * (`undefined`), its import (`tf`), and the names it defines or exports.
 */
const RESERVED = new Set(
  ("break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with as implements interface let package private protected public static yield await async of type tf model " +
    "arguments eval undefined NaN Infinity globalThis any boolean number string symbol never unknown object bigint declare namespace module require " +
    "buildModel inputShape outputShape parameterCounts trainingSettings Choice TrainingSettings cnnc defineCnncLayers frozenBatchNormsInInference").split(" "),
);

/** A safe, readable TypeScript identifier for a layer or input name. */
function variableName(name: string, taken: Set<string>): string {
  let base = name.replace(/[^A-Za-z0-9_$]/g, "_");
  if (!/^[A-Za-z_$]/.test(base)) base = `_${base}`;
  if (RESERVED.has(base)) base = `${base}_`;
  let candidate = base;
  for (let i = 2; taken.has(candidate); i++) candidate = `${base}_${i}`;
  taken.add(candidate);
  return candidate;
}

function literal(value: unknown): string {
  if (isSeededInitializer(value)) return `tf.initializers.glorotUniform({ seed: ${value.seed} })`;
  if (Array.isArray(value)) return `[${value.map(literal).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    return `{ ${Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(k) ? k : JSON.stringify(k)}: ${literal(v)}`)
      .join(", ")} }`;
  }
  // JSON.stringify escapes quotes, backslashes and control characters; U+2028/2029 are valid in TS strings.
  return JSON.stringify(value) ?? "undefined";
}

/** Text for a line comment: every line terminator (including U+2028 and U+2029) would end it. */
function commentSafe(text: string): string {
  return text.replace(/[\r\n\u2028\u2029]/g, " ");
}

function docComment(text: string | undefined, indent = ""): string {
  if (text === undefined || text.trim() === "") return "";
  const lines = text.replace(/\*\//g, "*\\/").split(/\r?\n|[\u2028\u2029]/);
  return `${indent}/**\n${lines.map((l) => `${indent} * ${l}`.trimEnd()).join("\n")}\n${indent} */\n`;
}

/** The same rule as `frozenBatchNormsInInference` in tfjs-build.ts, for the emitted module. */
function frozenBatchNormHelper(typed: (annotation: string) => string): string {
  return `/**
 * Frozen batchnorm layers (trainable: false) normalise with their running statistics, also
 * in training, as Keras does for trainable = False: tfjs's layer looks only at \`training\`.
 */
export function frozenBatchNormsInInference(model${typed(": tf.LayersModel")})${typed(": void")} {
  for (const layer of model.layers) {
    if (layer.trainable || layer.getClassName() !== "BatchNormalization") continue;
    const call = layer.call.bind(layer);
    layer.call = (inputs, kwargs) => call(inputs, { ...kwargs, training: false });
  }
}`;
}

export interface TypeScriptInput {
  spec: TfModelSpec;
  ir: IrGraph;
  sourceFile: string;
  doc?: string;
  train?: IrTrainConfig;
  /** The same module without type annotations, for bundler plugins that must hand on JavaScript. */
  javascript?: boolean;
  /**
   * Export names prefixed with the model's (`buildLeNet5`, `LeNet5InputShape`, …) instead of
   * the plain ones, so that several models' modules can be re-exported with `export *` from
   * one index without a clash.
   */
  prefixed?: boolean;
}

/** The names a module exports, plain or prefixed with the model's name. */
function exportNames(model: string, prefixed: boolean) {
  const stem = model.replace(/[^A-Za-z0-9_$]/g, "_");
  const p = prefixed ? stem[0]!.toUpperCase() + stem.slice(1) : "";
  return {
    buildModel: prefixed ? `build${p}` : "buildModel",
    inputShape: prefixed ? `${p}InputShape` : "inputShape",
    outputShape: prefixed ? `${p}OutputShape` : "outputShape",
    parameterCounts: prefixed ? `${p}ParameterCounts` : "parameterCounts",
    trainingSettings: prefixed ? `${p}TrainingSettings` : "trainingSettings",
    TrainingSettings: `${p}TrainingSettings`,
    Choice: `${p}Choice`,
  };
}

/** The module's source before formatting. */
export function typeScriptSource({ spec, ir, sourceFile, doc, train, javascript = false, prefixed = false }: TypeScriptInput): string {
  const typed = (annotation: string): string => (javascript ? "" : annotation);
  const names = exportNames(ir.model, prefixed);
  const taken = new Set<string>(["inputs", "cnnc", "defineCnncLayers"]);
  const variables = new Map<string, string>();
  const inputVariable = variableName(spec.input.name, taken);
  variables.set(spec.input.name, inputVariable);
  const body: string[] = [];
  body.push(`const ${inputVariable} = tf.input({ shape: ${literal(spec.input.shape)}, name: ${literal(spec.input.name)} });`);
  for (const layer of spec.layers) {
    const variable = variableName(layer.name, taken);
    variables.set(layer.name, variable);
    const args = layer.inputs.map((n) => variables.get(n)!);
    const applied = args.length === 1 ? args[0]! : `[${args.join(", ")}]`;
    const factory = customFactories.has(layer.factory) ? `cnnc.${layer.factory}` : `tf.layers.${layer.factory}`;
    body.push(`const ${variable} = ${factory}(${literal(layer.config)}).apply(${applied})${typed(" as tf.SymbolicTensor")};`);
  }
  const frozenBatchNorm = spec.layers.some((l) => l.factory === "batchNormalization" && l.config["trainable"] === false);
  if (frozenBatchNorm) {
    body.push(`const model = tf.model({ inputs: ${inputVariable}, outputs: ${variables.get(spec.output)!}, name: ${literal(spec.name)} });`);
    body.push("frozenBatchNormsInInference(model);", "return model;");
  } else body.push(`return tf.model({ inputs: ${inputVariable}, outputs: ${variables.get(spec.output)!}, name: ${literal(spec.name)} });`);

  const out: string[] = [];
  out.push(`// Generated by cnnc from ${commentSafe(sourceFile)}: the model ${JSON.stringify(ir.model)}.`);
  out.push("// Edit the .cnn file and rebuild instead of editing this file.");
  out.push(...renamingComment([{ name: ir.input.name, identifier: inputVariable, what: "the input" }, ...spec.layers.map((l) => ({ name: l.name, identifier: variables.get(l.name)!, what: "the layer" }))], "TypeScript"));
  out.push("// To train on tfjs's cpu or wasm backend, register cnnc's gradient kernels first:");
  out.push('// `import { registerTrainingKernels } from "cnnc/kernels"; registerTrainingKernels(tf);`');
  out.push('import * as tf from "@tensorflow/tfjs";');
  out.push("");
  if (spec.layers.some((layer) => customFactories.has(layer.factory))) {
    out.push("// cnnc's own layers, for what tfjs has no layer for; defining them registers them, so saved models load.");
    out.push(javascript ? CNNC_LAYERS_JAVASCRIPT : CNNC_LAYERS_SOURCE, "const cnnc = defineCnncLayers(tf);", "");
  }
  out.push("/** The input shape, [height, width, channels] or [features], without the batch dimension. */");
  out.push(`export const ${names.inputShape} = ${literal(ir.input.shape)}${typed(" as const")};`);
  out.push("/** The output shape, without the batch dimension. */");
  out.push(`export const ${names.outputShape} = ${literal(ir.output.shape)}${typed(" as const")};`);
  out.push("/** Parameter counts: trainable (PyTorch's parameters() outside `frozen` bodies), frozen, non-trainable (batchnorm running statistics), and their total (tfjs countParams()). */");
  out.push(`export const ${names.parameterCounts} = ${literal(ir.params)}${typed(" as const")};`);
  out.push("");
  out.push(docComment(doc).trimEnd());
  out.push(`export function ${names.buildModel}()${typed(": tf.LayersModel")} {`);
  out.push(...body.map((line) => `  ${line}`));
  out.push("}");
  // A helper every module would export under the same name stays private to a prefixed one.
  if (frozenBatchNorm) out.push("", frozenBatchNormHelper(typed).replace(/^export /m, prefixed ? "" : "export "));
  if (train !== undefined) {
    if (!javascript) out.push(...trainingTypes(names.Choice, names.TrainingSettings));
    const choice = (c: IrTrainConfig["optimizer"] | undefined): unknown => (c === undefined ? undefined : { name: c.name, config: Object.fromEntries(Object.entries(c.config).filter(([, v]) => v !== undefined)) });
    const settings = {
      optimizer: choice(train.optimizer),
      scheduler: choice(train.scheduler),
      loss: choice(train.loss),
      metrics: train.metrics.map(choice),
      batch: train.batch,
      epochs: train.epochs,
      validationSplit: train.validationSplit,
      earlyStopping: choice(train.earlyStopping),
      seed: train.seed,
    };
    out.push(`export const ${names.trainingSettings}${typed(`: ${names.TrainingSettings}`)} = ${literal(settings)};`);
  }
  return out.filter((line, i) => !(line === "" && out[i - 1] === "")).join("\n") + "\n";
}

function trainingTypes(choice: string, settings: string): string[] {
  return [
    "",
    "/** A setting with its arguments, such as the optimizer `adam` with `lr`. */",
    `export interface ${choice} {\n  readonly name: string;\n  readonly config: Readonly<Record<string, number | boolean | string>>;\n}`,
    "",
    "/** The model's `train` declaration. */",
    `export interface ${settings} {\n  readonly optimizer: ${choice};\n  readonly scheduler?: ${choice};\n  readonly loss: ${choice};\n  readonly metrics: readonly ${choice}[];\n  readonly batch: number;\n  readonly epochs: number;\n  readonly validationSplit: number;\n  readonly earlyStopping?: ${choice};\n  readonly seed: number;\n}`,
  ];
}

/** The module formatted by prettier (imported lazily: it is large; the standalone build runs in a browser too). */
export async function emitTypeScript(input: TypeScriptInput): Promise<string> {
  const [prettier, typescript, estree] = await Promise.all([import("prettier/standalone"), import("prettier/plugins/typescript"), import("prettier/plugins/estree")]);
  return prettier.format(typeScriptSource(input), { parser: "typescript", printWidth: 100, plugins: [typescript, estree as Plugin] });
}
