// Resolves the --data argument to a data set: the built-in Fashion-MNIST subset when it is
// absent, the full Fashion-MNIST from Debian's package for `fashion-mnist`, or a folder of
// IDX files, NPY arrays or class subfolders of images.

import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../runtime/package-root.js";
import { DataError, FASHION_CLASSES, type Dataset, type DataSplits } from "./dataset.js";
import { readIdxPair } from "./idx.js";
import { classFolders, readImageFolders } from "./images.js";
import { readNpy } from "./npy.js";

/** Where Debian's `dataset-fashion-mnist` puts the full set; CNNC_FASHION_MNIST overrides it. */
export function fashionMnistDir(): string {
  return process.env["CNNC_FASHION_MNIST"] ?? "/usr/share/datasets/fashion-mnist";
}

export const BUILTIN_DATA = "fashion-mnist-subset";

export function builtinDataDir(): string {
  const root = packageRoot();
  if (root === undefined) throw new DataError("cannot find the cnnc package root for the built-in data");
  return join(root, "data", BUILTIN_DATA);
}

function readIdxDir(dir: string, description: string, classNames?: string[]): DataSplits {
  const train = readIdxPair(dir, "train", classNames);
  if (train === undefined) throw new DataError(`${dir} has no train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz]`);
  const test = readIdxPair(dir, "t10k", classNames) ?? readIdxPair(dir, "test", classNames);
  return { train, test, description };
}

function npyDataset(imagesPath: string, labelsPath: string): Dataset {
  const images = readNpy(imagesPath);
  const labels = readNpy(labelsPath);
  const [count, h, w, c] = images.shape;
  if (images.shape.length !== 3 && images.shape.length !== 4) throw new DataError(`${imagesPath} has shape (${images.shape.join(", ")}); images need (N, H, W) or (N, H, W, C)`);
  if (labels.shape[0] !== count) throw new DataError(`${labelsPath} has ${labels.shape[0]} labels for ${count} images in ${imagesPath}`);
  const x = images.data instanceof Float32Array ? images.data : Float32Array.from(images.data);
  const shape: [number, number, number] = [h!, w!, c ?? 1];
  if (labels.shape.length === 1 || (labels.shape.length === 2 && labels.shape[1] === 1 && labels.data instanceof Int32Array)) {
    const values = Int32Array.from(labels.data, (v) => Math.round(v));
    let largest = 0;
    for (const v of values) largest = Math.max(largest, v);
    return { x, shape, count: count!, labels: { kind: "index", values, classes: largest + 1 }, pixelMax: images.bytes ? 255 : 1 };
  }
  if (labels.shape.length !== 2) throw new DataError(`${labelsPath} has shape (${labels.shape.join(", ")}); labels need (N) class indices or (N, K) one-hot rows`);
  return { x, shape, count: count!, labels: { kind: "dense", values: Float32Array.from(labels.data), width: labels.shape[1]! }, pixelMax: images.bytes ? 255 : 1 };
}

function readNpyDir(dir: string): DataSplits {
  const train = npyDataset(join(dir, "x_train.npy"), join(dir, "y_train.npy"));
  const test = existsSync(join(dir, "x_test.npy")) && existsSync(join(dir, "y_test.npy")) ? npyDataset(join(dir, "x_test.npy"), join(dir, "y_test.npy")) : undefined;
  return { train, test, description: `NPY arrays in ${dir}` };
}

export interface LoadOptions {
  /** The model's input, [height, width, channels]: image folders are decoded straight to it. */
  input: readonly [number, number, number];
}

export function loadData(spec: string | undefined, options: LoadOptions): DataSplits {
  if (spec === undefined) {
    return readIdxDir(builtinDataDir(), `the built-in Fashion-MNIST subset (data/${BUILTIN_DATA}: 5,000 training and 1,000 test images)`, FASHION_CLASSES);
  }
  if (spec === "fashion-mnist") {
    const dir = fashionMnistDir();
    if (!existsSync(join(dir, "train-images-idx3-ubyte.gz")) && !existsSync(join(dir, "train-images-idx3-ubyte"))) {
      throw new DataError(`the full Fashion-MNIST is not installed in ${dir}: install Debian's package with \`apt-get install -y dataset-fashion-mnist\`, or download the four files from https://github.com/zalandoresearch/fashion-mnist into a folder and pass it with --data FOLDER`);
    }
    return readIdxDir(dir, `Fashion-MNIST (${dir})`, FASHION_CLASSES);
  }
  const pair = /^(.+\.npy):(.+\.npy)$/.exec(spec);
  if (pair) return { train: npyDataset(pair[1]!, pair[2]!), description: `NPY arrays ${pair[1]} and ${pair[2]}` };
  if (!existsSync(spec)) throw new DataError(`--data ${spec}: no such file or folder; give a folder of IDX files, NPY arrays (x_train.npy, y_train.npy) or class subfolders of images, IMAGES.npy:LABELS.npy, or \`fashion-mnist\``);
  if (!statSync(spec).isDirectory()) throw new DataError(`--data ${spec} is a file; give its folder, or IMAGES.npy:LABELS.npy for NPY arrays`);
  if (readIdxPair(spec, "train") !== undefined) return readIdxDir(spec, `IDX files in ${spec}`);
  if (existsSync(join(spec, "x_train.npy"))) return readNpyDir(spec);
  const folders = classFolders(spec);
  const trainDir = folders.includes("train") ? join(spec, "train") : undefined;
  if (trainDir !== undefined) {
    const train = readImageFolders(trainDir, options.input);
    const testName = ["test", "val", "validation"].find((name) => folders.includes(name));
    const test = testName ? readImageFolders(join(spec, testName), options.input, train.classNames) : undefined;
    return { train, test, description: `image folders in ${trainDir}${testName ? ` (test: ${join(spec, testName)})` : ""}` };
  }
  return { train: readImageFolders(spec, options.input), description: `image folders in ${spec}` };
}
