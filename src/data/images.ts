// Image folders: one subfolder per class (named after it), PNG and JPEG files inside. Each
// image is decoded to RGBA, converted to the model's channel count, and resized to its
// input, so folders of mixed sizes work.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { extname, join } from "node:path";
import type jpegJs from "jpeg-js";
import type * as pngJs from "pngjs";
import { DataError, fitImage, type Dataset } from "./dataset.js";

// The decoders load when the first image is read, not with every `cnnc` command.
const require = createRequire(import.meta.url);

const IMAGE_EXTENSIONS = new Set([".png", ".jpg", ".jpeg"]);

export function isImageFile(path: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(path).toLowerCase());
}

/** Decodes one PNG or JPEG file to height × width × channels floats from 0 to 255. */
export function readImage(path: string, channels: number): { pixels: Float32Array; height: number; width: number } {
  const bytes = readFileSync(path);
  let rgba: Uint8Array;
  let width: number;
  let height: number;
  try {
    if (bytes[0] === 0x89 && bytes[1] === 0x50) {
      const png = (require("pngjs") as typeof pngJs).PNG.sync.read(bytes);
      [rgba, width, height] = [png.data, png.width, png.height];
    } else if (bytes[0] === 0xff && bytes[1] === 0xd8) {
      const decoded = (require("jpeg-js") as typeof jpegJs).decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
      [rgba, width, height] = [decoded.data, decoded.width, decoded.height];
    } else throw new Error("it is neither PNG nor JPEG");
  } catch (error) {
    throw new DataError(`cannot decode ${path}: ${(error as Error).message}`);
  }
  const pixels = new Float32Array(width * height * channels);
  for (let i = 0; i < width * height; i++) {
    const [r, g, b] = [rgba[4 * i]!, rgba[4 * i + 1]!, rgba[4 * i + 2]!];
    if (channels === 1) pixels[i] = 0.299 * r + 0.587 * g + 0.114 * b;
    else for (let k = 0; k < channels; k++) pixels[i * channels + k] = [r, g, b, rgba[4 * i + 3]!][Math.min(k, 3)]!;
  }
  return { pixels, height, width };
}

export function classFolders(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => !name.startsWith(".") && statSync(join(dir, name)).isDirectory())
    .sort();
}

/** Reads `dir/CLASS/*.png|jpg`, resized to `shape`. `classNames` fixes the label order (from the training folder). */
export function readImageFolders(dir: string, shape: readonly [number, number, number], classNames?: string[]): Dataset {
  const classes = classNames ?? classFolders(dir);
  if (classes.length === 0) throw new DataError(`${dir} has no class subfolders; put the images of each class in a folder named after it`);
  const files: { path: string; label: number }[] = [];
  for (const [label, name] of classes.entries()) {
    let entries: string[];
    try {
      entries = readdirSync(join(dir, name)).sort();
    } catch {
      throw new DataError(`${dir} has no folder for class \`${name}\`, which the training data has`);
    }
    for (const file of entries) if (isImageFile(file)) files.push({ path: join(dir, name, file), label });
  }
  if (files.length === 0) throw new DataError(`${dir} has class folders but no PNG or JPEG images in them`);
  const [h, w, c] = shape;
  const size = h * w * c;
  const x = new Float32Array(files.length * size);
  const values = new Int32Array(files.length);
  for (const [i, file] of files.entries()) {
    const image = readImage(file.path, c);
    x.set(fitImage(image.pixels, [image.height, image.width, c], shape, image.height === h && image.width === w ? undefined : "resize"), i * size);
    values[i] = file.label;
  }
  return { x, shape: [h, w, c], count: files.length, labels: { kind: "index", values, classes: classes.length }, pixelMax: 255, classNames: classes };
}
