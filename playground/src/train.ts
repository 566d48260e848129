// Training in the page: the built-in Fashion-MNIST subset (data/ of the repository, served
// beside the page), prepared by src/train/prepare.ts and trained by src/train/loop.ts, the
// loop `cnnc train` runs, on tfjs's GPU backend. Checkpoints and results stay in memory.

import { FASHION_CLASSES, subset, type Dataset } from "../../src/data/dataset.js";
import { decodeIdx, idxDataset } from "../../src/data/idx-decode.js";
import { serializeModel } from "../../src/emit/tfjs-save.js";
import { buildTfjsModel } from "../../src/emit/tfjs-build.js";
import type { Tf } from "../../src/runtime/tf.js";
import { range } from "../../src/train/batches.js";
import type { RunStore } from "../../src/train/checkpoint.js";
import { train, type TrainOutcome } from "../../src/train/loop.js";
import { outputIsLogits } from "../../src/train/objective.js";
import { prepareData, type ModelFacts, type TrainingMetadata } from "../../src/train/prepare.js";
import type { ProgressSink } from "../../src/train/progress.js";
import type { TrainArtifacts } from "./protocol.js";


let loaded: Promise<{ tf: Tf; backend: string; note?: string }> | undefined;

interface GpuAdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

/**
 * Whether WebGPU runs on a real GPU. A software adapter (SwiftShader, llvmpipe) trains far
 * slower through WebGPU than through WebGL: measured here, a LeNet-5 step took over ten
 * seconds on SwiftShader's WebGPU against a few on its WebGL.
 */
async function webGpuAdapter(): Promise<{ hardware: boolean; name: string } | undefined> {
  const gpu = (navigator as { gpu?: { requestAdapter(): Promise<{ info?: GpuAdapterInfo } | null> } }).gpu;
  const adapter = gpu === undefined ? null : await gpu.requestAdapter().catch(() => null);
  if (adapter === null) return undefined;
  const info = adapter.info ?? {};
  const name = [info.vendor, info.architecture, info.device, info.description].filter((part) => part !== undefined && part !== "").join(" ") || "unnamed";
  return { hardware: info.isFallbackAdapter !== true && !/swiftshader|llvmpipe|lavapipe|software/i.test(name), name };
}

/** tfjs on the browser's GPU: WebGPU on a hardware adapter, else WebGL, else tfjs's CPU backend; loaded on first use. */
export function loadTf(): Promise<{ tf: Tf; backend: string; note?: string }> {
  loaded ??= (async () => {
    const tf = await import("@tensorflow/tfjs");
    const adapter = await webGpuAdapter();
    // tfjs's WebGPU backend is its own package: fetched only where it will be used.
    if (adapter?.hardware) await import("@tensorflow/tfjs-backend-webgpu").catch(() => undefined);
    const note = adapter !== undefined && !adapter.hardware ? `WebGPU's adapter here is a software one (${adapter.name}), so not WebGPU` : undefined;
    for (const backend of ["webgpu", "webgl", "cpu"]) {
      if (tf.findBackendFactory(backend) === null) continue;
      try {
        if (await tf.setBackend(backend)) return { tf, backend, ...(note !== undefined ? { note } : {}) };
      } catch {
        // Not usable here (no adapter, no WebGL context): try the next.
      }
    }
    await tf.ready();
    return { tf, backend: tf.getBackend() };
  })();
  return loaded;
}

async function gunzipped(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok || response.body === null) throw new Error(`${url}: ${response.status} ${response.statusText}`);
  const stream = response.body.pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

let fashion: Promise<{ train: Dataset; test: Dataset }> | undefined;

/** The built-in subset: 5,000 training and 1,000 test images. */
function fashionSubset(): Promise<{ train: Dataset; test: Dataset }> {
  fashion ??= (async () => {
    const read = async (prefix: string): Promise<Dataset> => {
      const names = { images: `data/${prefix}-images-idx3-ubyte.gz`, labels: `data/${prefix}-labels-idx1-ubyte.gz` };
      const [images, labels] = await Promise.all([gunzipped(names.images), gunzipped(names.labels)]);
      return idxDataset(decodeIdx(images, names.images), decodeIdx(labels, names.labels), names, FASHION_CLASSES);
    };
    const [trainSet, testSet] = await Promise.all([read("train"), read("t10k")]);
    return { train: trainSet, test: testSet };
  })();
  return fashion;
}

export interface PageTraining {
  epochs: number;
  /** How many of the 5,000 training images to use (the first ones). */
  images: number;
  progress: ProgressSink;
  stopped: () => boolean;
}

export interface PageOutcome extends TrainOutcome {
  backend: string;
  /** model.json, weights.bin, history.json, history.svg: the files `cnnc train` writes. */
  results: Record<string, string | Uint8Array>;
  testCount: number;
}

export async function trainInPage(artifacts: TrainArtifacts, options: PageTraining): Promise<PageOutcome> {
  const { tf, backend, note } = await loadTf();
  options.progress.message(`backend: ${backend}`);
  if (note !== undefined) options.progress.message(note);
  const data = await fashionSubset();
  const settings = { ...artifacts.settings, epochs: options.epochs };
  const facts: ModelFacts = { name: artifacts.ir.model, input: artifacts.spec.input.shape as [number, number, number], outputWidth: artifacts.outputWidth, lastOp: artifacts.lastOp };
  const count = Math.min(options.images, data.train.count);
  const prepared = prepareData({ train: subset(data.train, range(0, count)), test: data.test, description: `the built-in Fashion-MNIST subset (${count} training images)` }, facts, settings, "scale");
  for (const note of prepared.notes) options.progress.message(note);
  const metadata: TrainingMetadata = {
    input: facts.input,
    normalization: prepared.normalization,
    classNames: FASHION_CLASSES,
    classes: facts.outputWidth!,
    loss: settings.loss,
    metrics: settings.metrics,
    lastOp: facts.lastOp,
    fromLogits: outputIsLogits(settings, facts.lastOp),
  };
  const results: Record<string, string | Uint8Array> = {};
  const store: RunStore = {
    where: "this page",
    checkpointPlace: "this page's memory",
    readCheckpoint: () => undefined,
    writeCheckpoint: () => {},
    writeResults(files) {
      Object.assign(results, files);
      return Object.keys(files);
    },
  };
  const outcome = await train({
    tf,
    spec: artifacts.spec,
    lastOp: artifacts.lastOp,
    settings,
    train: prepared.train,
    validation: prepared.validation,
    test: prepared.test,
    store,
    resume: false,
    progress: options.progress,
    metadata: { cnnc: { model: artifacts.ir.model, source: "playground.cnn", params: artifacts.ir.params, macs: artifacts.ir.macs }, training: metadata },
    interrupted: options.stopped,
  });
  return { ...outcome, backend, results, testCount: prepared.test?.count ?? 0 };
}

/** The untrained model (seeded initial weights) in the tfjs LayersModel format. */
export async function untrainedModelFiles(artifacts: TrainArtifacts): Promise<Record<string, string | Uint8Array>> {
  const { tf } = await loadTf();
  const model = buildTfjsModel(tf, artifacts.spec);
  try {
    return await serializeModel(tf, model, { cnnc: { model: artifacts.ir.model, source: "playground.cnn", params: artifacts.ir.params, macs: artifacts.ir.macs } });
  } finally {
    model.dispose();
  }
}
