// Reads and writes PyTorch's `torch.save` format for a state_dict, without Python: a zip
// archive holding `data.pkl` (a pickle of an OrderedDict of tensors whose storages are
// persistent references) and one raw little-endian file per storage under `data/`.
// The writer produces what torch.save writes for contiguous CPU tensors; the reader runs
// the subset of the pickle machine that torch.save (protocol 2) uses.

import type { Tensor } from "./weights.js";
import { ConversionError } from "./weights.js";

// ---- zip (stored entries only, as torch.save writes them) ----

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function writeZip(entries: [string, Uint8Array][]): Uint8Array {
  const chunks: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const nameBytes = new TextEncoder().encode(name);
    // Pad the local header's extra field so each record's data starts on a 64-byte boundary, as torch.save does.
    const headerEnd = offset + 30 + nameBytes.length + 4;
    const padding = (64 - (headerEnd % 64)) % 64;
    const extra = new Uint8Array(4 + padding);
    new DataView(extra.buffer).setUint16(0, 0x4650, true); // "PF", the id torch uses for its padding.
    new DataView(extra.buffer).setUint16(2, padding, true);
    const crc = crc32(data);
    const local = new Uint8Array(30 + nameBytes.length + extra.length);
    const l = new DataView(local.buffer);
    l.setUint32(0, 0x04034b50, true);
    l.setUint16(4, 20, true);
    l.setUint16(12, 0x21, true);
    l.setUint32(14, crc, true);
    l.setUint32(18, data.length, true);
    l.setUint32(22, data.length, true);
    l.setUint16(26, nameBytes.length, true);
    l.setUint16(28, extra.length, true);
    local.set(nameBytes, 30);
    local.set(extra, 30 + nameBytes.length);
    const record = new Uint8Array(46 + nameBytes.length);
    const c = new DataView(record.buffer);
    c.setUint32(0, 0x02014b50, true);
    c.setUint16(4, 20, true);
    c.setUint16(6, 20, true);
    c.setUint16(14, 0x21, true);
    c.setUint32(16, crc, true);
    c.setUint32(20, data.length, true);
    c.setUint32(24, data.length, true);
    c.setUint16(28, nameBytes.length, true);
    c.setUint32(42, offset, true);
    record.set(nameBytes, 46);
    central.push(record);
    chunks.push(local, data);
    offset += local.length + data.length;
  }
  const centralSize = central.reduce((s, r) => s + r.length, 0);
  const end = new Uint8Array(22);
  const e = new DataView(end.buffer);
  e.setUint32(0, 0x06054b50, true);
  e.setUint16(8, entries.length, true);
  e.setUint16(10, entries.length, true);
  e.setUint32(12, centralSize, true);
  e.setUint32(16, offset, true);
  return concat([...chunks, ...central, end]);
}

function readZip(bytes: Uint8Array): Map<string, Uint8Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let end = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 65_535); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new ConversionError("not a PyTorch file: no zip directory (files from torch.save before 1.6 are not supported)");
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const files = new Map<string, Uint8Array>();
  for (let n = 0; n < count; n++) {
    if (view.getUint32(at, true) !== 0x02014b50) throw new ConversionError("a damaged zip directory");
    const method = view.getUint16(at + 10, true);
    const size = view.getUint32(at + 20, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const localOffset = view.getUint32(at + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength));
    if (method !== 0) throw new ConversionError(`${name} is compressed; torch.save stores its records uncompressed`);
    const dataStart = localOffset + 30 + view.getUint16(localOffset + 26, true) + view.getUint16(localOffset + 28, true);
    files.set(name, bytes.subarray(dataStart, dataStart + size));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return files;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const result = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const part of parts) {
    result.set(part, at);
    at += part.length;
  }
  return result;
}

// ---- pickle ----

class PickleWriter {
  private readonly parts: number[] = [];
  byte(...values: number[]): void {
    this.parts.push(...values);
  }
  int(value: number): void {
    if (value >= 0 && value < 256) this.byte(0x4b, value); // BININT1
    else {
      this.byte(0x4a); // BININT
      const b = new Uint8Array(4);
      new DataView(b.buffer).setInt32(0, value, true);
      this.byte(...b);
    }
  }
  string(text: string): void {
    const b = new TextEncoder().encode(text);
    this.byte(0x58); // BINUNICODE
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, b.length, true);
    this.byte(...len, ...b);
  }
  global(module: string, name: string): void {
    this.byte(0x63, ...new TextEncoder().encode(`${module}\n${name}\n`)); // GLOBAL
  }
  tuple(write: () => void): void {
    this.byte(0x28); // MARK
    write();
    this.byte(0x74); // TUPLE
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

const STORAGE_TYPES = { float32: "FloatStorage", int64: "LongStorage" } as const;

/** The bytes of a `torch.save(state_dict, path)` file. */
export function writeTorchStateDict(state: ReadonlyMap<string, Tensor>, archive = "archive"): Uint8Array {
  const p = new PickleWriter();
  p.byte(0x80, 2); // PROTO 2
  p.global("collections", "OrderedDict");
  p.byte(0x29, 0x52); // EMPTY_TUPLE, REDUCE
  const storages: [string, Uint8Array][] = [];
  for (const [key, tensor] of state) {
    const storageKey = String(storages.length);
    const numel = tensor.data.length;
    p.string(key);
    p.global("torch._utils", "_rebuild_tensor_v2");
    p.tuple(() => {
      p.tuple(() => {
        p.string("storage");
        p.global("torch", STORAGE_TYPES[tensor.dtype]);
        p.string(storageKey);
        p.string("cpu");
        p.int(numel);
      });
      p.byte(0x51); // BINPERSID
      p.int(0);
      p.tuple(() => tensor.shape.forEach((d) => p.int(d)));
      const strides = tensor.shape.map((_, i) => tensor.shape.slice(i + 1).reduce((a, b) => a * b, 1));
      p.tuple(() => strides.forEach((s) => p.int(s)));
      p.byte(0x89); // NEWFALSE: requires_grad
      p.global("collections", "OrderedDict");
      p.byte(0x29, 0x52); // backward hooks: an empty OrderedDict
    });
    p.byte(0x52, 0x73); // REDUCE, SETITEM
    const data = tensor.data;
    storages.push([`${archive}/data/${storageKey}`, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)]);
  }
  p.byte(0x2e); // STOP
  return writeZip([[`${archive}/data.pkl`, p.bytes()], ...storages, [`${archive}/version`, new TextEncoder().encode("3\n")]]);
}

interface Global {
  global: string;
}
interface StorageRef {
  storage: string;
  dtype: string;
}
interface Rebuilt {
  tensor: { storage: StorageRef; offset: number; size: number[]; stride: number[] };
}
type PickleValue = number | bigint | string | boolean | null | PickleValue[] | Global | StorageRef | Rebuilt | Map<unknown, PickleValue> | Uint8Array | { tuple: PickleValue[] };

const DTYPES: Record<string, { dtype: "float32" | "int64" | "other"; bytes: number }> = {
  FloatStorage: { dtype: "float32", bytes: 4 },
  LongStorage: { dtype: "int64", bytes: 8 },
};

/** Runs the pickle program torch.save writes and returns its top object. */
function unpickle(bytes: Uint8Array): PickleValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: PickleValue[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PickleValue>();
  const decoder = new TextDecoder();
  let at = 0;
  const line = (): string => {
    const end = bytes.indexOf(0x0a, at);
    const text = decoder.decode(bytes.subarray(at, end));
    at = end + 1;
    return text;
  };
  const popMark = (): PickleValue[] => {
    const mark = marks.pop()!;
    return stack.splice(mark);
  };
  const items = (value: PickleValue): PickleValue[] => (value !== null && typeof value === "object" && "tuple" in value ? value.tuple : (value as PickleValue[]));
  for (;;) {
    const op = bytes[at++];
    switch (op) {
      case 0x80: at++; break; // PROTO
      case 0x63: { const module = line(); stack.push({ global: `${module}.${line()}` }); break; } // GLOBAL
      case 0x29: stack.push({ tuple: [] }); break; // EMPTY_TUPLE
      case 0x28: marks.push(stack.length); break; // MARK
      case 0x74: stack.push({ tuple: popMark() }); break; // TUPLE
      case 0x85: stack.push({ tuple: stack.splice(-1) }); break; // TUPLE1
      case 0x86: stack.push({ tuple: stack.splice(-2) }); break; // TUPLE2
      case 0x87: stack.push({ tuple: stack.splice(-3) }); break; // TUPLE3
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x61: { const v = stack.pop()!; (stack[stack.length - 1] as PickleValue[]).push(v); break; } // APPEND
      case 0x65: { const vs = popMark(); (stack[stack.length - 1] as PickleValue[]).push(...vs); break; } // APPENDS
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4b: stack.push(bytes[at]!); at += 1; break; // BININT1
      case 0x4d: stack.push(view.getUint16(at, true)); at += 2; break; // BININT2
      case 0x4a: stack.push(view.getInt32(at, true)); at += 4; break; // BININT
      case 0x8a: { // LONG1
        const n = bytes[at++]!;
        let value = 0n;
        for (let i = n - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[at + i]!);
        if (n > 0 && bytes[at + n - 1]! & 0x80) value -= 1n << BigInt(8 * n);
        at += n;
        stack.push(Number(value));
        break;
      }
      case 0x47: stack.push(view.getFloat64(at, false)); at += 8; break; // BINFLOAT
      case 0x58: { const n = view.getUint32(at, true); at += 4; stack.push(decoder.decode(bytes.subarray(at, at + n))); at += n; break; } // BINUNICODE
      case 0x8c: { const n = bytes[at++]!; stack.push(decoder.decode(bytes.subarray(at, at + n))); at += n; break; } // SHORT_BINUNICODE
      case 0x54: { const n = view.getInt32(at, true); at += 4; stack.push(decoder.decode(bytes.subarray(at, at + n))); at += n; break; } // BINSTRING
      case 0x55: { const n = bytes[at++]!; stack.push(decoder.decode(bytes.subarray(at, at + n))); at += n; break; } // SHORT_BINSTRING
      case 0x42: { const n = view.getUint32(at, true); at += 4; stack.push(bytes.subarray(at, at + n)); at += n; break; } // BINBYTES
      case 0x43: { const n = bytes[at++]!; stack.push(bytes.subarray(at, at + n)); at += n; break; } // SHORT_BINBYTES
      case 0x71: memo.set(bytes[at++]!, stack[stack.length - 1]!); break; // BINPUT
      case 0x72: memo.set(view.getUint32(at, true), stack[stack.length - 1]!); at += 4; break; // LONG_BINPUT
      case 0x68: stack.push(memo.get(bytes[at++]!)!); break; // BINGET
      case 0x6a: stack.push(memo.get(view.getUint32(at, true))!); at += 4; break; // LONG_BINGET
      case 0x51: { // BINPERSID
        const id = items(stack.pop()!);
        const type = (id[1] as Global).global.replace(/^torch\./, "");
        stack.push({ storage: id[2] as string, dtype: type });
        break;
      }
      case 0x52: { // REDUCE
        const args = items(stack.pop()!);
        const callable = (stack.pop() as Global).global;
        if (callable === "collections.OrderedDict") stack.push(new Map());
        else if (callable === "torch._utils._rebuild_tensor_v2") {
          stack.push({ tensor: { storage: args[0] as StorageRef, offset: args[1] as number, size: items(args[2]!) as number[], stride: items(args[3]!) as number[] } });
        } else throw new ConversionError(`the file holds a ${callable}, which is not part of a state_dict`);
        break;
      }
      case 0x73: { const value = stack.pop()!; const key = stack.pop()!; (stack[stack.length - 1] as Map<unknown, PickleValue>).set(key, value); break; } // SETITEM
      case 0x75: { // SETITEMS
        const values = popMark();
        const dict = stack[stack.length - 1] as Map<unknown, PickleValue>;
        for (let i = 0; i < values.length; i += 2) dict.set(values[i], values[i + 1]!);
        break;
      }
      case 0x62: stack.pop(); break; // BUILD: the state_dict's _metadata, which conversion does not need.
      case 0x2e: return stack.pop()!; // STOP
      default:
        throw new ConversionError(`unsupported pickle opcode 0x${(op ?? 0).toString(16)} at byte ${at - 1}; save the state_dict with torch.save`);
    }
  }
}

/** The tensors of a file written by `torch.save(model.state_dict(), path)`. */
export function readTorchStateDict(file: Uint8Array): Map<string, Tensor> {
  // A plain Uint8Array view: a Node Buffer's slice() shares memory instead of copying.
  const files = readZip(new Uint8Array(file.buffer, file.byteOffset, file.byteLength));
  const pickleName = [...files.keys()].find((name) => name.endsWith("/data.pkl") || name === "data.pkl");
  if (pickleName === undefined) throw new ConversionError("not a PyTorch file: no data.pkl");
  const prefix = pickleName.slice(0, -"data.pkl".length);
  let top = unpickle(files.get(pickleName)!);
  // A checkpoint that wraps the weights, as train.py writes, keeps them under "model".
  if (top instanceof Map && top.get("model") instanceof Map) top = top.get("model")!;
  if (!(top instanceof Map)) throw new ConversionError("the file does not hold a state_dict");
  const result = new Map<string, Tensor>();
  for (const [key, value] of top) {
    if (typeof key !== "string" || value === null || typeof value !== "object" || !("tensor" in value)) throw new ConversionError(`the state_dict entry ${String(key)} is not a tensor`);
    const { storage, offset, size, stride } = value.tensor;
    const type = DTYPES[storage.dtype];
    if (type === undefined) throw new ConversionError(`the state_dict entry ${key} is a ${storage.dtype}; only float32 weights (and int64 counters) convert`);
    const contiguous = size.map((_, i) => size.slice(i + 1).reduce((a, b) => a * b, 1));
    const numel = size.reduce((a, b) => a * b, 1);
    if (numel > 1 && !size.every((d, i) => d === 1 || stride[i] === contiguous[i])) throw new ConversionError(`the state_dict entry ${key} is not contiguous; save it after .contiguous()`);
    const raw = files.get(`${prefix}data/${storage.storage}`);
    if (raw === undefined) throw new ConversionError(`the file lacks the storage of ${key}`);
    const copy = raw.slice(offset * type.bytes, (offset + numel) * type.bytes);
    const data = type.dtype === "float32" ? new Float32Array(copy.buffer, 0, numel) : new BigInt64Array(copy.buffer, 0, numel);
    result.set(key, { shape: size, dtype: type.dtype as "float32" | "int64", data });
  }
  return result;
}
