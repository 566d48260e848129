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

/**
 * Checks the data's images and labels against the model before any training starts. Labels
 * are checked against the model's output width, not the data's largest label: a data set
 * may leave classes out (a subset, a fine-tuning set), which is a note, not an error.
 * Returns the notes.
 */
export function checkDataFitsModel(data: Dataset, model: ModelFacts, settings: TrainSettings, description: string): string[] {
  const classes = classCount(data.labels);
  const what = `the data (${description}) has ${describeShape(data.shape)} images and ${data.labels.kind === "index" ? `labels up to ${largestLabel(data.labels.values)}` : `${classes} target values per image`}`;
  const modelWhat = `model \`${model.name}\` takes [${model.input.join(", ")}] and outputs ${model.outputWidth === undefined ? "a non-vector" : `[${model.outputWidth}]`}`;
  if (model.outputWidth === undefined) throw new DataError(`${modelWhat}; cnnc train needs a model that ends in one vector per image (flatten or global pooling, then dense)`);
  const [c, mc] = [data.shape[2], model.input[2]];
  if (c !== mc && !(c === 1 && mc === 3) && !(c >= 3 && mc === 1) && !(c === 4 && mc === 3)) throw new DataError(`${what}, but ${modelWhat}: cannot convert ${c} channels to ${mc}`);
  if (settings.loss.name === "binary_cross_entropy") {
    if (model.outputWidth !== 1 || (data.labels.kind === "index" && classes > 2)) throw new DataError(`${what}, but ${modelWhat}: binary_cross_entropy needs 2 classes and 1 output`);
    return [];
  }
  if (data.labels.kind === "dense") {
    if (classes !== model.outputWidth) throw new DataError(`${what}, but ${modelWhat}: each target needs one value per output; change the last dense layer to \`dense ${classes}\``);
    return [];
  }
  const largest = largestLabel(data.labels.values);
  if (largest >= model.outputWidth) {
    throw new DataError(`${what}, but ${modelWhat}: every label must be below the output width ${model.outputWidth}; change the last dense layer to \`dense ${largest + 1}\`, or train on data with labels 0 to ${model.outputWidth - 1}`);
  }
  const seen = new Set(data.labels.values).size;
  return seen < model.outputWidth ? [`the data (${description}) has ${seen} of the ${model.outputWidth} classes model \`${model.name}\` outputs; the others are never a training target`] : [];
}

function largestLabel(values: Int32Array): number {
  let largest = -1;
  for (const v of values) if (v > largest) largest = v;
  return largest;
}

/** Index labels over the model's classes (the data may not show the last ones), so one-hot targets have the output's width. */
function overModelClasses(data: Dataset, width: number): Dataset {
  return data.labels.kind === "index" ? { ...data, labels: { ...data.labels, classes: width } } : data;
}

export function prepareData(splits: DataSplits, model: ModelFacts, settings: TrainSettings, normalizationName: Normalization["name"]): PreparedData {
  const notes = checkDataFitsModel(splits.train, model, settings, splits.description);
  if (splits.test) checkDataFitsModel(splits.test, model, settings, `the test split of ${splits.description}`);
  const fit = fitMode(splits.train.shape, model.input);
  if (fit !== undefined || splits.train.shape[2] !== model.input[2]) {
    notes.push(`${fit === "pad" ? "padding" : fit === "resize" ? "resizing" : "converting"} the ${describeShape(splits.train.shape)} images to ${describeShape(model.input)} for model \`${model.name}\`${fit === "pad" ? " (zeros around the centre)" : fit === "resize" ? " (bilinear)" : ""}`);
  }
  const width = model.outputWidth!;
  const fitted = overModelClasses(fitDataset(splits.train, model.input, fit), width);
  const { train, validation } = splitValidation(fitted, settings.validationSplit, settings.seed);
  const normalization = computeNormalization(normalizationName, train);
  const test = splits.test ? normalize(overModelClasses(fitDataset(splits.test, model.input, fitMode(splits.test.shape, model.input)), width), normalization) : undefined;
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
