// A protobuf encoder for the few ONNX messages cnnc writes (ModelProto and what it holds),
// with the field numbers of the published onnx.proto (IR version 8). Repeated scalars are
// written unpacked, as proto2 declares them; every reader accepts that.

export const enum DataType {
  FLOAT = 1,
  INT64 = 7,
}

/** A number is an INT attribute and an array of numbers INTS; floats are wrapped (`float(1)` is a FLOAT 1.0). */
export type AttributeValue = number | string | number[] | { float: number } | { floats: number[] } | OnnxTensor;

export const float = (value: number): { float: number } => ({ float: value });

export interface OnnxTensor {
  name: string;
  dataType: DataType;
  dims: number[];
  /** Float32Array for FLOAT, BigInt64Array for INT64. */
  data: Float32Array | BigInt64Array;
}

export interface OnnxNode {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, AttributeValue>;
}

/** A dimension: a size, or the name of a symbolic size (dim_param). */
export type OnnxDim = number | string;

export interface OnnxValueInfo {
  name: string;
  dataType: DataType;
  shape: OnnxDim[];
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  docString?: string;
}

export interface OnnxModel {
  irVersion: number;
  opset: number;
  producerName: string;
  producerVersion: string;
  graph: OnnxGraph;
  metadata: Record<string, string>;
}

/** Grows a byte buffer; messages are encoded into their own writer, then embedded by length. */
class Writer {
  private bytes = new Uint8Array(256);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  varint(value: number | bigint): void {
    // Negative int64 values take ten bytes, in two's complement.
    let v = BigInt.asUintN(64, BigInt(value));
    this.reserve(10);
    while (v >= 0x80n) {
      this.bytes[this.length++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.bytes[this.length++] = Number(v);
  }

  raw(data: Uint8Array): void {
    this.reserve(data.length);
    this.bytes.set(data, this.length);
    this.length += data.length;
  }

  tag(field: number, wireType: 0 | 1 | 2 | 5): void {
    this.varint((field << 3) | wireType);
  }

  int(field: number, value: number | bigint): void {
    this.tag(field, 0);
    this.varint(value);
  }

  float(field: number, value: number): void {
    this.tag(field, 5);
    const data = new Uint8Array(4);
    new DataView(data.buffer).setFloat32(0, value, true);
    this.raw(data);
  }

  bytesField(field: number, data: Uint8Array): void {
    this.tag(field, 2);
    this.varint(data.length);
    this.raw(data);
  }

  string(field: number, value: string): void {
    this.bytesField(field, new TextEncoder().encode(value));
  }

  message(field: number, encode: (w: Writer) => void): void {
    const inner = new Writer();
    encode(inner);
    this.bytesField(field, inner.finish());
  }

  finish(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

const enum AttributeType {
  FLOAT = 1,
  INT = 2,
  STRING = 3,
  TENSOR = 4,
  FLOATS = 6,
  INTS = 7,
}

function littleEndianBytes(data: Float32Array | BigInt64Array): Uint8Array {
  // Typed arrays are in the machine's byte order; ONNX's raw_data is little-endian, as is every machine Node runs on.
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function encodeTensor(w: Writer, tensor: OnnxTensor): void {
  for (const dim of tensor.dims) w.int(1, dim);
  w.int(2, tensor.dataType);
  w.string(8, tensor.name);
  w.bytesField(9, littleEndianBytes(tensor.data));
}

function encodeAttribute(w: Writer, name: string, value: AttributeValue): void {
  w.string(1, name);
  if (typeof value === "number") {
    w.int(3, value);
    w.int(20, AttributeType.INT);
  } else if (typeof value === "string") {
    w.string(4, value);
    w.int(20, AttributeType.STRING);
  } else if (Array.isArray(value)) {
    for (const v of value) w.int(8, v);
    w.int(20, AttributeType.INTS);
  } else if ("float" in value) {
    w.float(2, value.float);
    w.int(20, AttributeType.FLOAT);
  } else if ("floats" in value) {
    for (const v of value.floats) w.float(7, v);
    w.int(20, AttributeType.FLOATS);
  } else {
    w.message(5, (t) => encodeTensor(t, value));
    w.int(20, AttributeType.TENSOR);
  }
}

function encodeNode(w: Writer, node: OnnxNode): void {
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  w.string(3, node.name);
  w.string(4, node.opType);
  for (const [name, value] of Object.entries(node.attributes)) w.message(5, (a) => encodeAttribute(a, name, value));
}

function encodeValueInfo(w: Writer, info: OnnxValueInfo): void {
  w.string(1, info.name);
  // TypeProto { tensor_type = 1: Tensor { elem_type = 1, shape = 2: TensorShapeProto { dim = 1 } } }
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, info.dataType);
      tensor.message(2, (shape) => {
        for (const dim of info.shape) shape.message(1, (d) => (typeof dim === "number" ? d.int(1, dim) : d.string(2, dim)));
      });
    }),
  );
}

function encodeGraph(w: Writer, graph: OnnxGraph): void {
  for (const node of graph.nodes) w.message(1, (n) => encodeNode(n, node));
  w.string(2, graph.name);
  for (const tensor of graph.initializers) w.message(5, (t) => encodeTensor(t, tensor));
  if (graph.docString !== undefined) w.string(10, graph.docString);
  for (const input of graph.inputs) w.message(11, (v) => encodeValueInfo(v, input));
  for (const output of graph.outputs) w.message(12, (v) => encodeValueInfo(v, output));
}

/** The bytes of a .onnx file. */
export function encodeModel(model: OnnxModel): Uint8Array {
  const w = new Writer();
  w.int(1, model.irVersion);
  w.string(2, model.producerName);
  w.string(3, model.producerVersion);
  w.message(7, (g) => encodeGraph(g, model.graph));
  // The default domain ("ai.onnx") is the empty string, so only the opset version is written.
  w.message(8, (o) => o.int(2, model.opset));
  for (const [key, value] of Object.entries(model.metadata)) {
    w.message(14, (e) => {
      e.string(1, key);
      e.string(2, value);
    });
  }
  return w.finish();
}
