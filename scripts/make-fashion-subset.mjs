#!/usr/bin/env node
// Builds data/fashion-mnist-subset/ from the full Fashion-MNIST that Debian's
// `dataset-fashion-mnist` package installs, so that `cnnc train` needs no download on a
// fresh clone. It keeps the first N images of each class from each split, in their
// original order, so the subset is balanced and rebuilding it gives the same bytes.
//
//   apt-get install -y dataset-fashion-mnist
//   node scripts/make-fashion-subset.mjs [SOURCE_DIR] [TRAIN_PER_CLASS] [TEST_PER_CLASS]

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync, gzipSync } from "node:zlib";

const source = process.argv[2] ?? "/usr/share/datasets/fashion-mnist";
const trainPerClass = Number(process.argv[3] ?? 500);
const testPerClass = Number(process.argv[4] ?? 100);
const target = join(dirname(fileURLToPath(import.meta.url)), "..", "data", "fashion-mnist-subset");

function read(name) {
  return gunzipSync(readFileSync(join(source, `${name}.gz`)));
}

function subset(split, perClass) {
  const images = read(`${split}-images-idx3-ubyte`);
  const labels = read(`${split}-labels-idx1-ubyte`);
  const count = labels.readUInt32BE(4);
  const rows = images.readUInt32BE(8);
  const cols = images.readUInt32BE(12);
  const size = rows * cols;
  const taken = new Array(10).fill(0);
  const keep = [];
  for (let i = 0; i < count && keep.length < perClass * 10; i++) {
    const label = labels[8 + i];
    if (taken[label] < perClass) {
      taken[label]++;
      keep.push(i);
    }
  }
  const imageHeader = Buffer.alloc(16);
  imageHeader.writeUInt32BE(0x00000803, 0);
  imageHeader.writeUInt32BE(keep.length, 4);
  imageHeader.writeUInt32BE(rows, 8);
  imageHeader.writeUInt32BE(cols, 12);
  const labelHeader = Buffer.alloc(8);
  labelHeader.writeUInt32BE(0x00000801, 0);
  labelHeader.writeUInt32BE(keep.length, 4);
  const imageBody = Buffer.concat(keep.map((i) => images.subarray(16 + i * size, 16 + (i + 1) * size)));
  const labelBody = Buffer.from(keep.map((i) => labels[8 + i]));
  // Level 9 and gzip's zero mtime keep the output byte-identical between runs.
  writeFileSync(join(target, `${split}-images-idx3-ubyte.gz`), gzipSync(Buffer.concat([imageHeader, imageBody]), { level: 9 }));
  writeFileSync(join(target, `${split}-labels-idx1-ubyte.gz`), gzipSync(Buffer.concat([labelHeader, labelBody]), { level: 9 }));
  return keep.length;
}

mkdirSync(target, { recursive: true });
const train = subset("train", trainPerClass);
const test = subset("t10k", testPerClass);
process.stdout.write(`wrote ${train} training and ${test} test images to ${target}\n`);
