// `cnnc train`, `cnnc evaluate` and `cnnc predict`: train a model from its `train`
// declaration on the built-in or the user's data, then measure it and use it.

import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { freemem } from "node:os";
import { basename, join } from "node:path";
import { Command, Option } from "commander";
import { nodeHost } from "../host/node.js";
import { diagnostic } from "../diagnostics/codes.js";
import { renderDiagnostics, summarizeCounts } from "../diagnostics/render.js";
import { buildIr } from "../ir/build.js";
import { LoweringError, lowerToTfjs } from "../emit/tfjs-lowering.js";
import { fileLoadHandler } from "../emit/tfjs-save.js";
import { BACKENDS, type BackendRequest } from "../runtime/backend.js";
import { parseAugmentation, type Augmentation } from "../data/augment.js";
import { DataError, fitImage, fitMode, NORMALIZATIONS, normalize, type Dataset, type NormalizationName } from "../data/dataset.js";
import { readImage } from "../data/images.js";
import { loadData } from "../data/load.js";
import { resolveSettings, SettingsError, type TrainSettings } from "../train/config.js";
import { evaluateModel } from "../train/evaluate.js";
import { folderStore } from "../train/checkpoint.js";
import { ResumeError, train } from "../train/loop.js";
import { makeObjective } from "../train/objective.js";
import { loadTrainingBackend } from "../train/backend.js";
import { prepareData, type ModelFacts, type TrainingMetadata } from "../train/prepare.js";
import { historyTable, progressSink } from "../train/progress.js";
import { checkText, loweringDiagnostic, toModel } from "../driver.js";
import { CliUsageError, shapeOption } from "./options.js";
import { estimateMemory, formatBytes, largestTfjsBatch } from "../summary/memory.js";
import type { ModelGraph } from "../check/graph.js";
import type { TrainConfig } from "../check/train.js";
import type { SourceFile } from "../check/modules.js";
import { loadTorchWeights, type WeightOptions } from "./weights.js";
import type { DistributedOptions } from "./train-pytorch.js";
import type { Tensor } from "../convert/weights.js";

function color(stream: NodeJS.WriteStream): boolean {
  return stream.isTTY === true && process.env["NO_COLOR"] === undefined;
}

function readBytes(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliUsageError(`cannot read ${file}: ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : (error as Error).message}`);
  }
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliUsageError(`cannot read ${file}: ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : (error as Error).message}`);
  }
}

function parseNumber(flag: string, integer: boolean, min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
      throw new CliUsageError(`${flag} expects ${integer ? "a whole number" : "a number"} from ${min} to ${max}, found \`${value}\``);
    }
    return n;
  };
}

export interface TrainCommandOptions extends WeightOptions, DistributedOptions {
  model?: string;
  /** A PyTorch state_dict to start from (matched by structure). */
  init?: string;
  /** Values for symbolic input sizes (`--shape H=28,W=28`). */
  shape?: ReadonlyMap<string, number>;
  data?: string;
  epochs?: number;
  batch?: number;
  lr?: number;
  optimizer?: string;
  backend: BackendRequest;
  out?: string;
  resume?: boolean;
  seed?: number;
  validationSplit?: number;
  normalize: NormalizationName;
  augment?: Augmentation;
  engine: "tfjs" | "pytorch";
  /** --engine pytorch: the Python that runs train.py (torchrun's options come from DistributedOptions). */
  python?: string;
}

/** Errors in the data or settings are the user's input: exit 1 with the message. */
function inputError(error: unknown): string | undefined {
  return error instanceof DataError || error instanceof SettingsError || error instanceof ResumeError ? (error as Error).message : undefined;
}

/** W0901 before anything starts when a step's estimated memory is more than the machine has free. */
function warnIfTooLarge(graph: ModelGraph, declared: TrainConfig | undefined, batch: number, file: string, source: string, sources: SourceFile[]): void {
  const estimate = estimateMemory(graph, { batch, train: declared });
  const free = freemem();
  if (estimate === undefined || estimate.training.tfjs <= free) return;
  const needed = estimate.training.tfjs;
  // The parameters and optimizer state stay; the rest grows with the batch.
  const state = estimate.params + estimate.gradients + estimate.optimizerState;
  const fitting = Math.floor(((free - state) * batch) / (needed - state));
  const warning = diagnostic("W0901", declared?.span ?? graph.decl.name.span, `a training step at batch ${batch} needs about ${formatBytes(needed)}, more than the ${formatBytes(free)} of memory free on this machine`, {
    help: fitting >= 1 ? `try a smaller batch, such as \`--batch ${fitting}\`` : "even one image per step does not fit: use a smaller input size or fewer channels",
  });
  process.stderr.write(renderDiagnostics([warning], file, source, { color: color(process.stderr), sources }) + "\n");
}

/** The most tfjs's WebAssembly backend can address: its heap is one 32-bit WebAssembly memory. */
export const WASM_HEAP_BYTES = 4 * 1024 ** 3;

/**
 * E0650 when a step at this batch would not fit the WebAssembly heap, before it starts (a
 * step that outgrows the heap ends in "memory access out of bounds" deep inside tfjs).
 */
function heapRefusal(graph: ModelGraph, declared: TrainConfig | undefined, batch: number, requested: number): ReturnType<typeof diagnostic> | undefined {
  const estimate = estimateMemory(graph, { batch, train: declared });
  if (estimate === undefined || estimate.training.tfjs <= WASM_HEAP_BYTES) return undefined;
  const fitting = largestTfjsBatch(graph, WASM_HEAP_BYTES, declared) ?? 0;
  const help = fitting >= 1 ? `the largest batch that fits is ${fitting}: use \`--batch ${fitting}\`, or train on \`--backend cpu\` (slower, limited only by the machine's memory)` : "even one image per step does not fit: train on `--backend cpu` (slower, limited only by the machine's memory), or use a smaller input size or fewer channels";
  return diagnostic("E0650", declared?.span ?? graph.decl.name.span, `a training step at batch ${batch}${requested > batch ? ` (--batch ${requested}, capped at the ${batch} training images)` : ""} needs about ${formatBytes(estimate.training.tfjs)}, more than the ${formatBytes(WASM_HEAP_BYTES)} the WebAssembly backend can hold`, { help });
}

/** tfjs's wasm backend reports an exhausted heap as an out-of-bounds access or an XNNPACK/emscripten allocation failure. */
function isWasmOutOfMemory(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /memory access out of bounds|Cannot enlarge memory|Out of memory|Aborted\(OOM\)|XNN.*status 6|xnn_status_out_of_memory/i.test(message);
}

export async function trainCommand(file: string, options: TrainCommandOptions): Promise<number> {
  const source = readText(file);
  if (options.engine === "pytorch" && options.augment !== undefined) throw new CliUsageError("--augment applies to --engine tfjs only: train.py does not augment");
  if (options.engine !== "pytorch") {
    const flag = (["python", "nproc", "nnodes", "nodeRank", "rdzvBackend", "rdzvEndpoint", "rdzvId"] as const).find((key) => options[key] !== undefined);
    if (flag !== undefined) throw new CliUsageError(`--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} applies to --engine pytorch only`);
  }
  const result = checkText(source, { sizes: options.shape, path: file, host: nodeHost });
  const fail = (diagnostics: typeof result.diagnostics): number => {
    process.stderr.write(renderDiagnostics(diagnostics, file, source, { color: color(process.stderr), sources: result.sources }) + `\n${file}: ${summarizeCounts(diagnostics)}; not training\n`);
    return 1;
  };
  const chosen = toModel(result, { file, model: options.model }, { concrete: true });
  if ("diagnostics" in chosen) return fail(chosen.diagnostics);
  const { model: graph, train: declared } = chosen;
  let settings: TrainSettings;
  try {
    settings = resolveSettings(declared, options);
  } catch (error) {
    const message = inputError(error);
    if (message === undefined) throw error;
    process.stderr.write(`error: ${message}\n`);
    return 1;
  }
  warnIfTooLarge(graph, declared, settings.batch, file, source, result.sources);
  const ir = buildIr(graph, source, declared);
  let spec;
  try {
    spec = lowerToTfjs(ir, { seed: settings.seed });
  } catch (error) {
    if (!(error instanceof LoweringError)) throw error;
    return fail([loweringDiagnostic(error)]);
  }
  let initialWeights: Map<string, Tensor> | undefined;
  if (options.init !== undefined) {
    if (options.resume) throw new CliUsageError("--init and --resume exclude each other: a resumed run continues from its checkpoint");
    const context = { file, source, sources: result.sources, modelSpan: graph.decl.name.span, color: color(process.stderr) };
    initialWeights = await loadTorchWeights(options.init, readBytes(options.init), ir, spec, context, options);
    if (initialWeights === undefined) return 1;
  } else if (options.strict || options.explain || options.map !== undefined) {
    throw new CliUsageError(`${options.strict ? "--strict" : options.explain ? "--explain" : "--map"} applies to the weights of --init; give --init FILE`);
  }
  const output = graph.nodes[graph.outputId!]!;
  const facts: ModelFacts = {
    name: graph.name,
    input: spec.input.shape as [number, number, number],
    outputWidth: output.shape.length === 1 ? (output.shape[0] as number) : undefined,
    lastOp: output.op,
  };
  const out = options.out ?? join("runs", basename(file).replace(/\.cnn$/, ""));
  // The default `runs/` folder does not exist in a fresh clone: training creates it.
  if (options.out === undefined) mkdirSync("runs", { recursive: true });
  const progress = progressSink(process.stderr);
  let interruptions = 0;
  const onSigint = (): void => {
    interruptions++;
    if (interruptions > 1) process.exit(130);
    progress.message("Ctrl-C: saving a checkpoint after this step (press again to quit without saving)");
  };
  try {
    const splits = loadData(options.data, { input: facts.input });
    const prepared = prepareData(splits, facts, settings, options.normalize);
    progress.message(`data: ${splits.description}; ${prepared.train.count} training${prepared.validation ? `, ${prepared.validation.count} validation` : ""}${prepared.test ? `, ${prepared.test.count} test` : ""} images`);
    for (const note of prepared.notes) progress.message(note);
    const training = { input: facts.input, normalization: prepared.normalization, classNames: splits.train.classNames, classes: facts.outputWidth!, loss: settings.loss, metrics: settings.metrics, lastOp: facts.lastOp };
    if (options.engine === "pytorch") {
      const { trainWithPytorch } = await import("./train-pytorch.js");
      return await trainWithPytorch({ ...options, file, ir, spec, doc: graph.decl.doc, settings, prepared, training, out, resume: options.resume === true, initialWeights, progress });
    }
    const { tf, backend, reason } = await loadTrainingBackend(options.backend);
    progress.message(`backend: ${backend} (${reason})`);
    // A step holds at most the whole training set, so a larger --batch is judged at that size.
    const stepBatch = Math.min(settings.batch, prepared.train.count);
    let evaluationBatch = Math.max(settings.batch, 256);
    if (backend === "wasm") {
      const refusal = heapRefusal(graph, declared, stepBatch, settings.batch);
      if (refusal !== undefined) return fail([refusal]);
      // Evaluation keeps less than a training step, so any batch a step fits at fits there too.
      evaluationBatch = Math.max(stepBatch, Math.min(evaluationBatch, largestTfjsBatch(graph, WASM_HEAP_BYTES, declared) ?? stepBatch));
    }
    const objective = makeObjective(tf, settings, facts.lastOp, facts.outputWidth!);
    process.on("SIGINT", onSigint);
    const outcome = await train({
      tf,
      spec,
      lastOp: facts.lastOp,
      settings,
      train: prepared.train,
      validation: prepared.validation,
      test: prepared.test,
      augmentation: options.augment,
      store: folderStore(out),
      resume: options.resume === true,
      initialWeights,
      progress,
      metadata: { cnnc: { model: ir.model, source: basename(file), params: ir.params, macs: ir.macs }, training: { ...training, fromLogits: objective.fromLogits } satisfies TrainingMetadata },
      interrupted: () => interruptions > 0,
      evaluationBatch,
    });
    if (outcome.status === "diverged") {
      process.stderr.write(`error: ${outcome.message}\n`);
      return 1;
    }
    process.stdout.write(historyTable(outcome.history));
    if (outcome.test) {
      const metrics = Object.entries(outcome.test.metrics).map(([k, v]) => `, ${k} ${v.toFixed(4)}`).join("");
      process.stdout.write(`test (${splits.test!.count} images): loss ${outcome.test.loss.toFixed(4)}${metrics}\n`);
    }
    if (outcome.message) progress.message(outcome.message);
    process.stdout.write(`saved ${outcome.files.join(", ")}\n`);
    return outcome.status === "interrupted" ? 130 : 0;
  } catch (error) {
    if (isWasmOutOfMemory(error)) {
      process.stderr.write(`error: training ran out of memory in the WebAssembly backend (at most ${formatBytes(WASM_HEAP_BYTES)}) although cnnc's estimate said the step fits: try a smaller --batch, or --backend cpu\n`);
      return 1;
    }
    const message = inputError(error);
    if (message === undefined) throw error;
    process.stderr.write(`error: ${message}\n`);
    return 1;
  } finally {
    process.off("SIGINT", onSigint);
  }
}

interface SavedModel {
  dir: string;
  modelJson: string;
  weights: Uint8Array;
  training: TrainingMetadata;
}

function readSavedModel(dir: string): SavedModel {
  const modelPath = join(dir, "model.json");
  if (!existsSync(modelPath)) throw new CliUsageError(`${dir} has no model.json; give the folder cnnc train wrote (its --out)`);
  const modelJson = readFileSync(modelPath, "utf8");
  const training = (JSON.parse(modelJson) as { userDefinedMetadata?: { training?: TrainingMetadata } }).userDefinedMetadata?.training;
  if (training === undefined) throw new CliUsageError(`${modelPath} was not written by cnnc train: it has no training metadata (input size, normalisation, classes)`);
  return { dir, modelJson, weights: new Uint8Array(readFileSync(join(dir, "weights.bin"))), training };
}

function settingsOf(training: TrainingMetadata): TrainSettings {
  return { optimizer: { name: "adam", config: {} }, loss: training.loss, metrics: training.metrics, batch: 256, epochs: 1, validationSplit: 0, seed: 0 };
}

export async function evaluateCommand(dir: string, options: { data?: string; backend: BackendRequest; batch?: number; json?: boolean }): Promise<number> {
  const saved = readSavedModel(dir);
  const t = saved.training;
  try {
    const splits = loadData(options.data, { input: t.input });
    const source = splits.test ?? splits.train;
    const fitted: Dataset = normalize(
      { ...source, x: fitAll(source, t.input), shape: t.input },
      t.normalization,
    );
    const { tf } = await loadTrainingBackend(options.backend);
    const model = await tf.loadLayersModel(fileLoadHandler(tf, saved.modelJson, saved.weights));
    const objective = makeObjective(tf, settingsOf(t), t.lastOp, t.classes);
    const result = await evaluateModel(tf, model, objective, fitted, options.batch ?? 256, true);
    const classes = Math.max(t.classes, 2);
    const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
    const truth = (i: number): number => (fitted.labels.kind === "index" ? fitted.labels.values[i]! : argmax(fitted.labels.values.subarray(i * fitted.labels.width, (i + 1) * fitted.labels.width)));
    for (let i = 0; i < fitted.count; i++) confusion[truth(i)]![result.predicted![i]!]!++;
    const names = t.classNames ?? Array.from({ length: classes }, (_, i) => String(i));
    if (options.json) {
      process.stdout.write(JSON.stringify({ data: splits.description, images: fitted.count, loss: result.loss, ...result.metrics, classes: names, confusion }, null, 2) + "\n");
    } else {
      const metrics = Object.entries(result.metrics).map(([k, v]) => `, ${k} ${v.toFixed(4)}`).join("");
      process.stdout.write(`${splits.test ? "test split of " : ""}${splits.description}: ${fitted.count} images\nloss ${result.loss.toFixed(4)}${metrics}\n\nconfusion matrix (rows: true class, columns: predicted)\n`);
      const width = Math.max(5, ...confusion.flat().map((n) => String(n).length));
      const label = Math.max(...names.map((n) => n.length));
      process.stdout.write(" ".repeat(label + 2) + names.map((_, i) => String(i).padStart(width)).join(" ") + "\n");
      confusion.forEach((row, i) => process.stdout.write(`${names[i]!.padEnd(label)}  ${row.map((n) => String(n).padStart(width)).join(" ")}  (${i})\n`));
    }
    model.dispose();
    return 0;
  } catch (error) {
    if (isWasmOutOfMemory(error)) {
      process.stderr.write(`error: evaluation ran out of memory in the WebAssembly backend (at most ${formatBytes(WASM_HEAP_BYTES)}): try a smaller --batch, or --backend cpu\n`);
      return 1;
    }
    const message = inputError(error);
    if (message === undefined) throw error;
    process.stderr.write(`error: ${message}\n`);
    return 1;
  }
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

function fitAll(data: Dataset, to: [number, number, number]): Float32Array {
  const mode = fitMode(data.shape, to);
  if (mode === undefined && data.shape[2] === to[2]) return data.x;
  const size = data.shape[0] * data.shape[1] * data.shape[2];
  const targetSize = to[0] * to[1] * to[2];
  const x = new Float32Array(data.count * targetSize);
  for (let i = 0; i < data.count; i++) x.set(fitImage(data.x.subarray(i * size, (i + 1) * size), data.shape, to, mode), i * targetSize);
  return x;
}

export async function predictCommand(dir: string, images: string[], options: { top: number; backend: BackendRequest; json?: boolean }): Promise<number> {
  const saved = readSavedModel(dir);
  const t = saved.training;
  const [h, w, c] = t.input;
  const x = new Float32Array(images.length * h * w * c);
  try {
    for (const [i, path] of images.entries()) {
      if (!existsSync(path)) throw new CliUsageError(`cannot read ${path}: no such file`);
      const image = readImage(path, c);
      const fitted = fitImage(image.pixels, [image.height, image.width, c], t.input, fitMode([image.height, image.width], t.input));
      // Images are 8-bit, like the training data the scale normalisation assumes.
      for (let k = 0; k < fitted.length; k++) x[i * h * w * c + k] = (fitted[k]! - t.normalization.mean) / t.normalization.std;
    }
  } catch (error) {
    const message = inputError(error);
    if (message === undefined) throw error;
    process.stderr.write(`error: ${message}\n`);
    return 1;
  }
  const { tf } = await loadTrainingBackend(options.backend);
  const model = await tf.loadLayersModel(fileLoadHandler(tf, saved.modelJson, saved.weights));
  const probabilities = tf.tidy(() => {
    const output = model.predict(tf.tensor4d(x, [images.length, h, w, c])) as import("@tensorflow/tfjs").Tensor2D;
    if (!t.fromLogits) return output;
    return output.shape[1] === 1 ? output.sigmoid() : output.softmax();
  });
  const values = await probabilities.array();
  tf.dispose(probabilities);
  model.dispose();
  const names = t.classNames ?? Array.from({ length: t.classes }, (_, i) => String(i));
  const results = images.map((path, i) => {
    let scores = values[i]!.map((p, k) => ({ class: names[k] ?? String(k), index: k, probability: p }));
    if (scores.length === 1) scores = [{ class: names[1] ?? "1", index: 1, probability: values[i]![0]! }, { class: names[0] ?? "0", index: 0, probability: 1 - values[i]![0]! }];
    return { image: path, top: scores.sort((a, b) => b.probability - a.probability).slice(0, options.top) };
  });
  if (options.json) process.stdout.write(JSON.stringify(results, null, 2) + "\n");
  else for (const r of results) process.stdout.write(`${r.image}: ${r.top.map((s) => `${s.class} ${(s.probability * 100).toFixed(1)}%`).join(", ")}\n`);
  return 0;
}

export function registerTrainCommands(program: Command, setExit: (code: number) => void): void {
  const backend = (): Option => new Option("--backend <backend>", "tfjs backend").choices(BACKENDS).default("auto");
  program
    .command("train")
    .description("train a model from its `train` declaration; saves the model, history.json and history.svg")
    .argument("<file>", ".cnn file")
    .option("--model <name>", "the model to train (default: the last one in the file)")
    .option("--data <data>", "fashion-mnist, a folder of IDX files, NPY arrays (x_train.npy, y_train.npy) or class subfolders of images, or IMAGES.npy:LABELS.npy (default: the built-in Fashion-MNIST subset)")
    .option("--epochs <n>", "number of epochs", parseNumber("--epochs", true, 1, 100_000))
    .option("--batch <n>", "batch size", parseNumber("--batch", true, 1, 65_536))
    .option("--lr <rate>", "learning rate", parseNumber("--lr", false, 0, 10))
    .addOption(new Option("--optimizer <name>", "optimizer").choices(["sgd", "adam", "adamw", "rmsprop"]))
    .option("--validation-split <fraction>", "fraction of the training data held out for validation", parseNumber("--validation-split", false, 0, 0.99))
    .option("--seed <n>", "seed for initialisation, shuffling and augmentation", parseNumber("--seed", true, 0, 2 ** 31 - 1))
    .addOption(new Option("--normalize <how>", "pixel normalisation: scale to [0, 1], standardize, or none").choices(NORMALIZATIONS).default("scale"))
    .option("--augment <list>", "augmentation, e.g. flip,crop=2,translate=2", (text: string) => {
      try {
        return parseAugmentation(text);
      } catch (error) {
        throw new CliUsageError((error as Error).message);
      }
    })
    .option("--out <dir>", "output folder (default: runs/<file name>)")
    .option("--resume", "continue from the last checkpoint in --out")
    .option("--init <file>", "start from the weights of a PyTorch state_dict (torchvision's, or any network of the same structure): layers that fit load, the others start fresh")
    .option("--strict", "with --init: refuse unless every layer gets weights and all of the file is used")
    .option("--explain", "with --init: print which state_dict module each layer takes")
    .option("--map <file>", 'with --init: a JSON map file pinning layers to state_dict modules, { "dense_1": "fc" }; null starts a layer fresh')
    .addOption(shapeOption())
    .addOption(backend())
    .addOption(new Option("--engine <engine>", "tfjs (in this process) or pytorch (the PyTorch target's train.py; CUDA when PyTorch sees a GPU)").choices(["tfjs", "pytorch"]).default("tfjs"))
    .option("--python <path>", "--engine pytorch: the Python that runs train.py (default: $CNNC_PYTHON, else python3 or /usr/bin/python3, whichever imports torch)")
    .option("--nproc <n>", "--engine pytorch: processes on this machine, under torchrun", parseNumber("--nproc", true, 1, 1024))
    .option("--nnodes <n>", "--engine pytorch: torchrun's --nnodes (a number, or MIN:MAX), for a cluster")
    .option("--node-rank <n>", "--engine pytorch: torchrun's --node_rank", parseNumber("--node-rank", true, 0, 65_535))
    .option("--rdzv-backend <name>", "--engine pytorch: torchrun's --rdzv_backend, such as c10d")
    .option("--rdzv-endpoint <host:port>", "--engine pytorch: torchrun's --rdzv_endpoint")
    .option("--rdzv-id <id>", "--engine pytorch: torchrun's --rdzv_id")
    .action(async (file: string, options: TrainCommandOptions) => setExit(await trainCommand(file, options)));
  program
    .command("evaluate")
    .description("measure a trained model: loss, metrics and confusion matrix (on the test split when the data has one)")
    .argument("<model-dir>", "the folder cnnc train wrote")
    .option("--data <data>", "as for train (default: the built-in Fashion-MNIST subset)")
    .option("--batch <n>", "batch size", parseNumber("--batch", true, 1, 65_536))
    .option("--json", "print the results as JSON")
    .addOption(backend())
    .action(async (dir: string, options: { data?: string; backend: BackendRequest; batch?: number; json?: boolean }) => setExit(await evaluateCommand(dir, options)));
  program
    .command("predict")
    .description("classify images with a trained model: the top classes with their probabilities")
    .argument("<model-dir>", "the folder cnnc train wrote")
    .argument("<images...>", "PNG or JPEG files")
    .option("--top <k>", "how many classes to show", parseNumber("--top", true, 1, 1000), 3)
    .option("--json", "print the results as JSON")
    .addOption(backend())
    .action(async (dir: string, images: string[], options: { top: number; backend: BackendRequest; json?: boolean }) => setExit(await predictCommand(dir, images, options)));
}
