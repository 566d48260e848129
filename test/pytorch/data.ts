// Small data sets in the IDX format (gzipped, as MNIST ships), for the training-script tests.

import { writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

function idx(dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt8(0x08, 2);
  header.writeUInt8(dims.length, 3);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return gzipSync(Buffer.concat([header, Buffer.from(data)]));
}

/** Writes `count` images of height × width (one channel) and their labels (0–9), whose pixels depend on the label. */
export function writeIdxDataSet(imagesPath: string, labelsPath: string, count: number, height: number, width: number): void {
  const images = new Uint8Array(count * height * width);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 10;
    for (let j = 0; j < height * width; j++) images[i * height * width + j] = (j * 7 + i * 13 * labels[i]!) % 256;
  }
  writeFileSync(imagesPath, idx([count, height, width], images));
  writeFileSync(labelsPath, idx([count], labels));
}
