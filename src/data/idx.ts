// IDX files, the format of MNIST and Fashion-MNIST: a magic number giving the element type
// and rank, the dimensions as big-endian 32-bit integers, then the elements. Gzipped files
// are recognised by their first two bytes, whatever their name.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { DataError, type Dataset } from "./dataset.js";

export interface IdxArray {
  dims: number[];
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

export function parseIdx(bytes: Uint8Array, name: string): IdxArray {
  const raw = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (raw.byteLength < 4 || view.getUint16(0) !== 0) throw new DataError(`${name} is not an IDX file: it does not start with two zero bytes`);
  const type = view.getUint8(2);
  const rank = view.getUint8(3);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const offset = 4 + 4 * rank;
  const count = dims.reduce((a, b) => a * b, 1);
  const reader: Record<number, [number, (i: number) => number, new (n: number) => IdxArray["data"]]> = {
    0x08: [1, (i) => view.getUint8(i), Uint8Array],
    0x09: [1, (i) => view.getInt8(i), Int8Array],
    0x0b: [2, (i) => view.getInt16(i), Int16Array],
    0x0c: [4, (i) => view.getInt32(i), Int32Array],
    0x0d: [4, (i) => view.getFloat32(i), Float32Array],
    0x0e: [8, (i) => view.getFloat64(i), Float64Array],
  };
  const entry = reader[type];
  if (entry === undefined) throw new DataError(`${name} has an unknown IDX element type 0x${type.toString(16)}`);
  const [width, read, Type] = entry;
  if (raw.byteLength < offset + count * width) throw new DataError(`${name} is truncated: its header promises ${count} elements of ${width} bytes`);
  if (width === 1 && type === 0x08) return { dims, data: raw.slice(offset, offset + count) };
  const data = new Type(count);
  for (let i = 0; i < count; i++) data[i] = read(offset + i * width);
  return { dims, data };
}

function findFile(dir: string, stem: string): string | undefined {
  for (const name of [stem, `${stem}.gz`, stem.replace(/-idx(\d)-/, ".idx$1-"), `${stem.replace(/-idx(\d)-/, ".idx$1-")}.gz`]) {
    if (existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** Reads `PREFIX-images-idx3-ubyte[.gz]` and `PREFIX-labels-idx1-ubyte[.gz]` from a folder. */
export function readIdxPair(dir: string, prefix: string, classNames?: string[]): Dataset | undefined {
  const imagesPath = findFile(dir, `${prefix}-images-idx3-ubyte`);
  const labelsPath = findFile(dir, `${prefix}-labels-idx1-ubyte`);
  if (imagesPath === undefined || labelsPath === undefined) return undefined;
  const images = parseIdx(readFileSync(imagesPath), imagesPath);
  const labels = parseIdx(readFileSync(labelsPath), labelsPath);
  if (images.dims.length !== 3 && images.dims.length !== 4) throw new DataError(`${imagesPath} holds a rank-${images.dims.length} array; images need rank 3 (N, H, W) or 4 (N, H, W, C)`);
  if (labels.dims.length !== 1 || labels.dims[0] !== images.dims[0]) throw new DataError(`${labelsPath} holds ${labels.dims.join("×")} labels for ${images.dims[0]} images in ${imagesPath}`);
  const values = Int32Array.from(labels.data as ArrayLike<number>);
  let largest = -1;
  for (const v of values) largest = Math.max(largest, v);
  return {
    x: Float32Array.from(images.data as ArrayLike<number>),
    shape: [images.dims[1]!, images.dims[2]!, images.dims[3] ?? 1],
    count: images.dims[0]!,
    labels: { kind: "index", values, classes: Math.max(classNames?.length ?? 0, largest + 1) },
    pixelMax: images.data instanceof Uint8Array ? 255 : 1,
    classNames,
  };
}
