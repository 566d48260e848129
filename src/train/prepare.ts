// Between the data and the loop: the data brought to the model's input and checked against
// its output, and the metadata that evaluate and predict read back from the saved model.
// No file system here: the playground prepares its data with the same functions.

import { classCount, computeNormalization, DataError, fitDataset, fitMode, normalize, splitValidation, type Dataset, type DataSplits, type FitMode, type Normalization } from "../data/dataset.js";
import type { TrainSettings } from "./config.js";

export interface ModelFacts {
  name: string;
  input: [number, number, number];
  /** The model's output width (classes), or undefined when it does not output a vector. */
  outputWidth: number | undefined;
  lastOp: string;
}

export interface PreparedData {
  train: Dataset;
  validation?: Dataset;
  test?: Dataset;
  fit?: FitMode;
  normalization: Normalization;
  notes: string[];
}

function describeShape(shape: readonly number[]): string {
  return `${shape[0]}×${shape[1]}×${shape[2]}`;
}

/** Checks the data's images and labels against the model before any training starts. */
export function checkDataFitsModel(data: Dataset, model: ModelFacts, settings: TrainSettings, description: string): void {
  const classes = classCount(data.labels);
  const what = `the data (${description}) has ${describeShape(data.shape)} images and ${classes} ${data.labels.kind === "index" ? "classes" : "target values per image"}`;
  const modelWhat = `model \`${model.name}\` takes [${model.input.join(", ")}] and outputs ${model.outputWidth === undefined ? "a non-vector" : `[${model.outputWidth}]`}`;
  if (model.outputWidth === undefined) throw new DataError(`${modelWhat}; cnnc train needs a model that ends in one vector per image (flatten or global pooling, then dense)`);
  const [c, mc] = [data.shape[2], model.input[2]];
  if (c !== mc && !(c === 1 && mc === 3) && !(c >= 3 && mc === 1) && !(c === 4 && mc === 3)) throw new DataError(`${what}, but ${modelWhat}: cannot convert ${c} channels to ${mc}`);
  if (settings.loss.name === "binary_cross_entropy") {
    if (model.outputWidth !== 1 || (data.labels.kind === "index" && classes > 2)) throw new DataError(`${what}, but ${modelWhat}: binary_cross_entropy needs 2 classes and 1 output`);
    return;
  }
  if (classes !== model.outputWidth) {
    throw new DataError(`${what}, but ${modelWhat}: the class count and the output width must match; change the last dense layer to \`dense ${classes}\`, or train on data with ${model.outputWidth} classes`);
  }
}

export function prepareData(splits: DataSplits, model: ModelFacts, settings: TrainSettings, normalizationName: Normalization["name"]): PreparedData {
  checkDataFitsModel(splits.train, model, settings, splits.description);
  const notes: string[] = [];
  const fit = fitMode(splits.train.shape, model.input);
  if (fit !== undefined || splits.train.shape[2] !== model.input[2]) {
    notes.push(`${fit === "pad" ? "padding" : fit === "resize" ? "resizing" : "converting"} the ${describeShape(splits.train.shape)} images to ${describeShape(model.input)} for model \`${model.name}\`${fit === "pad" ? " (zeros around the centre)" : fit === "resize" ? " (bilinear)" : ""}`);
  }
  const fitted = fitDataset(splits.train, model.input, fit);
  const { train, validation } = splitValidation(fitted, settings.validationSplit, settings.seed);
  const normalization = computeNormalization(normalizationName, train);
  const test = splits.test ? normalize(fitDataset(splits.test, model.input, fitMode(splits.test.shape, model.input)), normalization) : undefined;
  return { train: normalize(train, normalization), validation: validation ? normalize(validation, normalization) : undefined, test, fit, normalization, notes };
}

/** What evaluate and predict need to treat new images as training did; saved in model.json. */
export interface TrainingMetadata {
  input: [number, number, number];
  normalization: Normalization;
  classNames?: string[];
  classes: number;
  loss: TrainSettings["loss"];
  metrics: TrainSettings["metrics"];
  lastOp: string;
  fromLogits: boolean;
}
