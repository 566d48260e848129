// The training loop. It is written out rather than delegated to model.fit so that it can
// report every step, stop on a non-finite loss naming where it happened, checkpoint at
// every epoch end, and save and stop cleanly between two steps when interrupted. Where
// checkpoints and results go is the caller's `RunStore`: a folder for `cnnc train`, memory
// in the playground, which runs this same loop in the browser.

import type * as tfjs from "@tensorflow/tfjs";
import { buildTfjsModel, frozenBatchNormsInInference } from "../emit/tfjs-build.js";
import type { Tf } from "../runtime/tf.js";
import type { TfModelSpec } from "../emit/tfjs-lowering.js";
import { fileLoadHandler, serializeModel } from "../emit/tfjs-save.js";
import { writeWeights } from "../convert/convert.js";
import type { Tensor } from "../convert/weights.js";
import { NO_AUGMENTATION, type Augmentation } from "../data/augment.js";
import { classCount, type Dataset } from "../data/dataset.js";
import { epochOrder, seededRandom } from "../data/random.js";
import { batchTensors } from "./batches.js";
import type { EpochLogs, RunState, RunStore } from "./checkpoint.js";
import type { TrainSettings } from "./config.js";
import { evaluateModel, type Evaluation } from "./evaluate.js";
import { makeObjective } from "./objective.js";
import { makeOptimizer } from "./optimizer.js";
import { plotHistory } from "./plot.js";
import type { ProgressSink } from "./progress.js";
import { makeSchedule, shouldStop as stopEarly, type StoppingState } from "./schedule.js";
import { useUnbiasedMovingVariance } from "./moving-variance.js";

export interface TrainInputs {
  tf: Tf;
  spec: TfModelSpec;
  /** The registry op of the model's last layer (softmax, sigmoid, dense …): it decides from_logits. */
  lastOp: string;
  settings: TrainSettings;
  train: Dataset;
  validation?: Dataset;
  test?: Dataset;
  augmentation?: Augmentation;
  store: RunStore;
  resume: boolean;
  /** Weights to start from, by tfjs name (from `--init`); the layers they omit keep their seeded initialisation. */
  initialWeights?: ReadonlyMap<string, Tensor>;
  progress: ProgressSink;
  /** Saved in model.json's userDefinedMetadata, for evaluate and predict. */
  metadata: Record<string, unknown>;
  /** Polled between steps; true once the user pressed Ctrl-C. */
  interrupted: () => boolean;
  /** Called after each step; tests use it to make a run slow enough to kill in the middle. */
  afterStep?: () => Promise<void> | void;
  /** Images per evaluation batch (default: the training batch, at least 256). */
  evaluationBatch?: number;
}

export type TrainStatus = "finished" | "stopped early" | "interrupted" | "diverged";

export interface TrainOutcome {
  status: TrainStatus;
  history: EpochLogs[];
  test?: Evaluation;
  message?: string;
  files: string[];
}

export class ResumeError extends Error {}

/** FNV-1a: a short, stable tag for the model's layers, so that an edited model is told apart from the one a checkpoint holds. */
function layersTag(spec: TfModelSpec): string {
  let hash = 0x811c9dc5;
  // Initializers' seeds follow --seed, which the settings compare on their own.
  const layers = JSON.stringify([spec.input, spec.layers], (key, value: unknown) => (key === "seed" ? undefined : value));
  for (const char of layers) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, "0");
}

export function settingsFingerprint(settings: TrainSettings, spec: TfModelSpec, trainCount: number): string {
  // The epoch count may grow on resume ("train 5 more"); everything else must match.
  return JSON.stringify({ ...settings, epochs: undefined, model: spec.name, layers: layersTag(spec), trainCount });
}

const FINGERPRINT_NAMES: Record<string, string> = { layers: "the model's layers", trainCount: "training images", validationSplit: "validation split", earlyStopping: "early stopping" };

function describeSetting(value: unknown): string {
  if (value === undefined || value === null) return "none";
  if (Array.isArray(value)) return value.length === 0 ? "none" : value.map(describeSetting).join(", ");
  if (typeof value === "object" && "name" in value && "config" in value) {
    const config = Object.entries((value as { config: Record<string, unknown> }).config).filter(([, v]) => v !== undefined);
    return `${String((value as { name: unknown }).name)}(${config.map(([k, v]) => `${k}: ${String(v)}`).join(", ")})`;
  }
  return String(value);
}

/** What differs between a checkpoint's fingerprint and this run's, in words (`batch 16 → 32`); empty when they match. */
export function settingsChanges(checkpoint: string, current: string): string[] {
  const before = JSON.parse(checkpoint) as Record<string, unknown>;
  const after = JSON.parse(current) as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(after), ...Object.keys(before)])];
  return keys
    .filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]))
    .map((key) => (key === "layers" ? "the model's layers were edited" : `${FINGERPRINT_NAMES[key] ?? key} ${describeSetting(before[key])} → ${describeSetting(after[key])}`));
}

/** Refuses a resume whose settings, model or training data differ from the checkpoint's, naming what changed. */
export function checkResumable(checkpointFingerprint: string, fingerprint: string, where: string): void {
  const changes = settingsChanges(checkpointFingerprint, fingerprint);
  if (changes.length > 0) {
    throw new ResumeError(`--resume: the checkpoint in ${where} was made with other settings or data: ${changes.join("; ")}. Only --epochs may change on resume: start afresh without --resume or with another --out`);
  }
}

// Lets other work (Ctrl-C, a page's drawing) run between steps; browsers have no setImmediate.
const tick = (): Promise<void> => new Promise((resolve) => (typeof setImmediate === "function" ? setImmediate(resolve) : setTimeout(resolve, 0)));

export async function train(inputs: TrainInputs): Promise<TrainOutcome> {
  const { tf, settings, train: data, progress } = inputs;
  const width = classCount(data.labels);
  const objective = makeObjective(tf, settings, inputs.lastOp, width);
  const baseRate = (settings.optimizer.config["lr"] as number | undefined) ?? 0.001;
  const optimizer = makeOptimizer(tf, settings.optimizer);
  const schedule = makeSchedule(settings, baseRate);
  const fingerprint = settingsFingerprint(settings, inputs.spec, data.count);

  let model: tfjs.LayersModel;
  let state: RunState = { epoch: 0, step: 0, history: [], learningRate: baseRate, stopping: { best: null, wait: 0 }, fingerprint };
  const checkpoint = inputs.resume ? inputs.store.readCheckpoint() : undefined;
  if (inputs.resume && checkpoint === undefined) throw new ResumeError(`--resume: ${inputs.store.where} has no checkpoint to resume from; run without --resume to start`);
  if (checkpoint) {
    checkResumable(checkpoint.state.fingerprint, fingerprint, checkpoint.dir);
    model = await tf.loadLayersModel(fileLoadHandler(tf, checkpoint.modelJson, checkpoint.weights));
    frozenBatchNormsInInference(model);
    // The optimizer creates its slots on the first step; restoring them needs them to exist in order.
    await optimizer.loadState(checkpoint.optimizerSpecs, checkpoint.optimizerData);
    state = checkpoint.state;
    schedule.restore(state.plateau);
    progress.message(`resuming from ${checkpoint.dir}: ${state.epoch} epoch${state.epoch === 1 ? "" : "s"} done${state.step ? `, ${state.step} steps into the next` : ""}`);
  } else {
    model = buildTfjsModel(tf, inputs.spec);
    if (inputs.initialWeights) writeWeights(tf, model, inputs.initialWeights);
  }
  useUnbiasedMovingVariance(tf, model);
  const variables = model.trainableWeights.map((w) => w.read() as tfjs.Variable);

  const save = async (): Promise<void> => {
    const files = await serializeModel(tf, model, inputs.metadata);
    const optimizerState = await optimizer.saveState();
    inputs.store.writeCheckpoint({ ...files, "optimizer.json": JSON.stringify(optimizerState.specs), "optimizer.bin": optimizerState.data }, { ...state, plateau: schedule.state(), learningRate: optimizer.learningRate() });
  };
  const finish = async (status: TrainStatus, message?: string, test?: Evaluation): Promise<TrainOutcome> => {
    const history = { model: inputs.spec.name, status, settings, epochs: state.history, ...(test ? { test: { loss: test.loss, ...test.metrics } } : {}) };
    const written = inputs.store.writeResults({
      ...(await serializeModel(tf, model, inputs.metadata)),
      "history.json": JSON.stringify(history, null, 2) + "\n",
      "history.svg": plotHistory(state.history, objective.metricKeys[0], `${inputs.spec.name}: ${state.history.length} epoch${state.history.length === 1 ? "" : "s"}`),
    });
    model.dispose();
    return { status, history: state.history, test, message, files: written };
  };

  const batch = settings.batch;
  const evaluationBatch = inputs.evaluationBatch ?? Math.max(batch, 256);
  const steps = Math.ceil(data.count / batch);
  for (let epoch = state.epoch; epoch < settings.epochs; epoch++) {
    optimizer.setLearningRate(schedule.rateAt(epoch));
    const order = epochOrder(data.count, settings.seed, epoch);
    const partial = state.step > 0 && state.partial ? state.partial : { loss: 0, hits: objective.metricKeys.map(() => 0), seen: 0, seconds: 0 };
    const started = performance.now() - partial.seconds * 1000;
    // Images per second count only this session's steps, not those before a resume.
    const seenBefore = partial.seen;
    const secondsBefore = partial.seconds;
    for (let step = state.step; step < steps; step++) {
      const indices = order.subarray(step * batch, Math.min((step + 1) * batch, data.count));
      const random = seededRandom((settings.seed * 31 + epoch * 100_003 + step) >>> 0);
      const { x, y } = batchTensors(tf, data, indices, inputs.augmentation ?? NO_AUGMENTATION, random);
      let hits: tfjs.Tensor | undefined;
      const loss = tf.tidy(() =>
        optimizer.step(() => {
          const output = model.apply(x, { training: true }) as tfjs.Tensor;
          hits = tf.keep(objective.hits(output, y));
          return objective.loss(output, y);
        }, variables),
      );
      const lossValue = (await loss.data())[0]!;
      const hitValues = await hits!.data();
      tf.dispose([x, y, loss, hits!]);
      if (!Number.isFinite(lossValue)) {
        const kept = state.epoch > 0 ? `; the last good checkpoint (after epoch ${state.epoch}) is kept in ${inputs.store.checkpointPlace}` : "; no checkpoint was written";
        return { status: "diverged", history: state.history, message: `the loss became ${lossValue} at epoch ${epoch + 1}, step ${step + 1}${kept}; try a lower learning rate (--lr), or check the data for NaN values`, files: [] };
      }
      partial.loss += lossValue * indices.length;
      hitValues.forEach((h, i) => (partial.hits[i]! += h));
      partial.seen += indices.length;
      const elapsed = (performance.now() - started) / 1000;
      partial.seconds = elapsed;
      const rate = (partial.seen - seenBefore) / Math.max(elapsed - secondsBefore, 1e-9);
      progress.step({
        epoch: epoch + 1,
        epochs: settings.epochs,
        step: step + 1,
        steps,
        loss: partial.loss / partial.seen,
        metric: objective.metricKeys.length ? { name: objective.metricKeys[0]!, value: partial.hits[0]! / partial.seen } : undefined,
        imagesPerSecond: rate,
        secondsLeft: (data.count - partial.seen) / rate,
      });
      await inputs.afterStep?.();
      await tick();
      if (inputs.interrupted() && step + 1 < steps) {
        state = { ...state, epoch, step: step + 1, partial };
        await save();
        return finish("interrupted", `interrupted at epoch ${epoch + 1}, step ${step + 1} of ${steps}; saved a checkpoint: continue with --resume`);
      }
    }
    const logs: EpochLogs = { epoch: epoch + 1, loss: partial.loss / partial.seen };
    objective.metricKeys.forEach((key, i) => (logs[key] = partial.hits[i]! / partial.seen));
    if (inputs.validation) {
      const validation = await evaluateModel(tf, model, objective, inputs.validation, evaluationBatch);
      logs["val_loss"] = validation.loss;
      for (const [key, value] of Object.entries(validation.metrics)) logs[`val_${key}`] = value;
    }
    logs["lr"] = optimizer.learningRate();
    logs["seconds"] = (performance.now() - started) / 1000;
    state = { ...state, epoch: epoch + 1, step: 0, partial: undefined, history: [...state.history, logs] };
    progress.epochEnd(epoch + 1, settings.epochs, logs);
    if (schedule.endEpoch(logs)) progress.message(`reduce_on_plateau: ${settings.scheduler!.config["monitor"]} stopped improving; learning rate now ${schedule.rateAt(epoch + 1).toExponential(2)}`);
    const stopping: StoppingState = { ...state.stopping };
    const stop = stopEarly(settings, stopping, logs);
    state = { ...state, stopping };
    await save();
    if (stop) {
      const test = inputs.test ? await evaluateModel(tf, model, objective, inputs.test, evaluationBatch) : undefined;
      return finish("stopped early", `early stopping: ${settings.earlyStopping!.config["monitor"]} did not improve for ${settings.earlyStopping!.config["patience"]} epochs`, test);
    }
    if (inputs.interrupted()) return finish("interrupted", `interrupted after epoch ${epoch + 1}; saved a checkpoint: continue with --resume`);
  }
  const test = inputs.test ? await evaluateModel(tf, model, objective, inputs.test, evaluationBatch) : undefined;
  return finish("finished", undefined, test);
}
