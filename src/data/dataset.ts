// A labelled image data set in memory, channels last, and the operations that prepare it
// for a model: fitting to the model's input, normalising, shuffling and splitting.

import { shuffledIndices } from "./random.js";

/** Class indices (for cross-entropy on integer labels) or a dense target per image (one-hot, regression). */
export type Labels = { kind: "index"; values: Int32Array; classes: number } | { kind: "dense"; values: Float32Array; width: number };

export interface Dataset {
  /** Pixels, count × height × width × channels, in the source's own scale. */
  x: Float32Array;
  /** [height, width, channels]. */
  shape: [number, number, number];
  count: number;
  labels: Labels;
  /** The value of a fully bright pixel: 255 for 8-bit sources, 1 for float arrays. */
  pixelMax: number;
  classNames?: string[];
}

export interface DataSplits {
  train: Dataset;
  /** A held-out test split shipped with the data (IDX t10k files, a `test/` folder, x_test.npy). */
  test?: Dataset;
  /** Where the data came from, in words. */
  description: string;
}

export class DataError extends Error {}

/** Fashion-MNIST's class names, by label. */
export const FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

export function classCount(labels: Labels): number {
  return labels.kind === "index" ? labels.classes : labels.width;
}

export function imageSize(data: Dataset): number {
  return data.shape[0] * data.shape[1] * data.shape[2];
}

/** The images at `indices`, in that order. */
export function subset(data: Dataset, indices: ArrayLike<number>): Dataset {
  const size = imageSize(data);
  const x = new Float32Array(indices.length * size);
  const labels: Labels =
    data.labels.kind === "index"
      ? { kind: "index", classes: data.labels.classes, values: new Int32Array(indices.length) }
      : { kind: "dense", width: data.labels.width, values: new Float32Array(indices.length * data.labels.width) };
  for (let i = 0; i < indices.length; i++) {
    const from = indices[i]!;
    x.set(data.x.subarray(from * size, (from + 1) * size), i * size);
    if (labels.kind === "index") labels.values[i] = (data.labels.values as Int32Array)[from]!;
    else labels.values.set(data.labels.values.subarray(from * labels.width, (from + 1) * labels.width), i * labels.width);
  }
  return { ...data, x, count: indices.length, labels };
}

/**
 * Splits off a validation set after a seeded shuffle: image folders list one class after
 * another, so taking the last fraction unshuffled (as Keras does) would validate on one class.
 */
export function splitValidation(data: Dataset, fraction: number, seed: number): { train: Dataset; validation?: Dataset } {
  const validationCount = Math.round(data.count * fraction);
  if (validationCount === 0) return { train: data };
  if (validationCount >= data.count) throw new DataError(`validation split ${fraction} leaves no training images out of ${data.count}`);
  const order = shuffledIndices(data.count, seed ^ 0x5eed);
  return { train: subset(data, order.subarray(validationCount)), validation: subset(data, order.subarray(0, validationCount)) };
}

export type FitMode = "pad" | "resize";

/**
 * How images of one size are brought to the model's input: zero-padding around the centre
 * when they are smaller in both directions (MNIST's 28×28 into LeNet-5's 32×32, as in
 * LeCun et al. 1998), bilinear resizing otherwise.
 */
export function fitMode(from: readonly number[], to: readonly number[]): FitMode | undefined {
  if (from[0] === to[0] && from[1] === to[1]) return undefined;
  return from[0]! <= to[0]! && from[1]! <= to[1]! ? "pad" : "resize";
}

/** Converts one image (height × width × channels) to the target shape. */
export function fitImage(pixels: Float32Array, from: readonly [number, number, number], to: readonly [number, number, number], mode: FitMode | undefined): Float32Array {
  const [h, w, c] = from;
  const [th, tw, tc] = to;
  const channel = (y: number, x: number, k: number): number => {
    const base = (y * w + x) * c;
    if (c === tc) return pixels[base + k]!;
    if (c === 1) return pixels[base]!;
    if (tc === 1) return c >= 3 ? 0.299 * pixels[base]! + 0.587 * pixels[base + 1]! + 0.114 * pixels[base + 2]! : pixels[base]!;
    return pixels[base + Math.min(k, c - 1)]!;
  };
  const out = new Float32Array(th * tw * tc);
  if (mode === "pad") {
    const top = (th - h) >> 1;
    const left = (tw - w) >> 1;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < tc; k++) out[((y + top) * tw + x + left) * tc + k] = channel(y, x, k);
    return out;
  }
  for (let y = 0; y < th; y++) {
    // Pixel centres are aligned, as in tf.image.resizeBilinear with halfPixelCenters.
    const sy = Math.min(Math.max((y + 0.5) * (h / th) - 0.5, 0), h - 1);
    const y0 = Math.floor(sy);
    const y1 = Math.min(y0 + 1, h - 1);
    const fy = sy - y0;
    for (let x = 0; x < tw; x++) {
      const sx = Math.min(Math.max((x + 0.5) * (w / tw) - 0.5, 0), w - 1);
      const x0 = Math.floor(sx);
      const x1 = Math.min(x0 + 1, w - 1);
      const fx = sx - x0;
      for (let k = 0; k < tc; k++) {
        const top = channel(y0, x0, k) * (1 - fx) + channel(y0, x1, k) * fx;
        const bottom = channel(y1, x0, k) * (1 - fx) + channel(y1, x1, k) * fx;
        out[(y * tw + x) * tc + k] = top * (1 - fy) + bottom * fy;
      }
    }
  }
  return out;
}

/** The data set with every image converted to `to`. */
export function fitDataset(data: Dataset, to: readonly [number, number, number], mode: FitMode | undefined): Dataset {
  if (mode === undefined && data.shape[2] === to[2]) return data;
  const size = imageSize(data);
  const targetSize = to[0] * to[1] * to[2];
  const x = new Float32Array(data.count * targetSize);
  for (let i = 0; i < data.count; i++) x.set(fitImage(data.x.subarray(i * size, (i + 1) * size), data.shape, to, mode), i * targetSize);
  return { ...data, x, shape: [to[0], to[1], to[2]] };
}

export const NORMALIZATIONS = ["scale", "standardize", "none"] as const;
export type NormalizationName = (typeof NORMALIZATIONS)[number];

/** What turns stored pixels into model inputs: (pixel − mean) / std, saved with the model for predict. */
export interface Normalization {
  name: NormalizationName;
  mean: number;
  std: number;
}

/**
 * `scale` maps pixels to [0, 1]; `standardize` also subtracts the training set's mean and
 * divides by its standard deviation; `none` passes pixels through.
 */
export function computeNormalization(name: NormalizationName, train: Dataset): Normalization {
  if (name === "none") return { name, mean: 0, std: 1 };
  if (name === "scale") return { name, mean: 0, std: train.pixelMax };
  let sum = 0;
  let squares = 0;
  for (const v of train.x) {
    sum += v;
    squares += v * v;
  }
  const mean = sum / train.x.length;
  const std = Math.sqrt(Math.max(squares / train.x.length - mean * mean, 1e-12));
  return { name, mean, std };
}

export function normalize(data: Dataset, normalization: Normalization): Dataset {
  if (normalization.mean === 0 && normalization.std === 1) return data;
  const x = new Float32Array(data.x.length);
  const scale = 1 / normalization.std;
  for (let i = 0; i < x.length; i++) x[i] = (data.x[i]! - normalization.mean) * scale;
  return { ...data, x };
}
