// IDX files, the format of MNIST and Fashion-MNIST: a magic number giving the element type
// and rank, the dimensions as big-endian 32-bit integers, then the elements. Decoding needs
// no file system, so the playground uses it on bytes it fetched; src/data/idx.ts reads files.

import { DataError, type Dataset } from "./dataset.js";

export interface IdxArray {
  dims: number[];
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

/** Decodes an uncompressed IDX file; `name` says which file in an error. */
export function decodeIdx(raw: Uint8Array, name: string): IdxArray {
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

/** An image array (N, H, W[, C]) and its labels (N) as a data set. */
export function idxDataset(images: IdxArray, labels: IdxArray, names: { images: string; labels: string }, classNames?: string[]): Dataset {
  if (images.dims.length !== 3 && images.dims.length !== 4) throw new DataError(`${names.images} holds a rank-${images.dims.length} array; images need rank 3 (N, H, W) or 4 (N, H, W, C)`);
  if (labels.dims.length !== 1 || labels.dims[0] !== images.dims[0]) throw new DataError(`${names.labels} holds ${labels.dims.join("×")} labels for ${images.dims[0]} images in ${names.images}`);
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
