// NumPy's .npy format (version 1 to 3): a magic string, a header that is a Python dict
// literal with the dtype, the order and the shape, then the elements.

import { readFileSync } from "node:fs";
import { DataError } from "./dataset.js";

export interface NpyArray {
  shape: number[];
  data: Float32Array | Int32Array;
  /** Whether the elements were 8-bit unsigned integers (pixels from 0 to 255). */
  bytes: boolean;
}

export function parseNpy(bytes: Uint8Array, name: string): NpyArray {
  const magic = String.fromCharCode(...bytes.subarray(0, 6));
  if (magic !== "\x93NUMPY") throw new DataError(`${name} is not a .npy file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6]!;
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(headerStart, headerStart + headerLength));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || shapeText === undefined) throw new DataError(`${name} has an unreadable .npy header: ${header.trim()}`);
  if (fortran) throw new DataError(`${name} is stored in Fortran order; save it with numpy.ascontiguousarray first`);
  const shape = shapeText.split(",").map((s) => s.trim()).filter(Boolean).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = headerStart + headerLength;
  const little = descr[0] !== ">";
  const kind = descr.replace(/^[<>|=]/, "");
  const readers: Record<string, [number, (i: number) => number]> = {
    u1: [1, (i) => view.getUint8(i)],
    i1: [1, (i) => view.getInt8(i)],
    b1: [1, (i) => view.getUint8(i)],
    u2: [2, (i) => view.getUint16(i, little)],
    i2: [2, (i) => view.getInt16(i, little)],
    i4: [4, (i) => view.getInt32(i, little)],
    u4: [4, (i) => view.getUint32(i, little)],
    i8: [8, (i) => Number(view.getBigInt64(i, little))],
    u8: [8, (i) => Number(view.getBigUint64(i, little))],
    f4: [4, (i) => view.getFloat32(i, little)],
    f8: [8, (i) => view.getFloat64(i, little)],
  };
  const reader = readers[kind];
  if (reader === undefined) throw new DataError(`${name} has dtype ${descr}; cnnc reads integers, booleans and float32/float64`);
  const [width, read] = reader;
  if (bytes.byteLength < offset + count * width) throw new DataError(`${name} is truncated: its header promises shape (${shape.join(", ")})`);
  const data = kind.startsWith("f") ? new Float32Array(count) : new Int32Array(count);
  for (let i = 0; i < count; i++) data[i] = read(offset + i * width);
  return { shape, data, bytes: kind === "u1" };
}

export function readNpy(path: string): NpyArray {
  return parseNpy(readFileSync(path), path);
}

/** Encodes a float32 or int32 array as .npy (for tests and for users who want the format). */
export function encodeNpy(shape: readonly number[], data: Float32Array | Int32Array | Uint8Array): Uint8Array {
  const descr = data instanceof Float32Array ? "<f4" : data instanceof Int32Array ? "<i4" : "|u1";
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(", ")}${shape.length === 1 ? "," : ""}), }`;
  header += " ".repeat(63 - ((10 + header.length) % 64)) + "\n";
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, ...new TextEncoder().encode("NUMPY"), 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}
