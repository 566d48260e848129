// Small synthetic data and a tiny model for the training tests: three classes of 8×8
// images (bright top rows, bright left columns, bright centre) that a few-hundred-weight
// convnet separates within an epoch or two on the cpu backend.

import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeNpy } from "../../src/data/npy.js";

export const TINY_MODEL = `model Tiny {
  input image: [8, 8, 1]
  conv 4, kernel: 3 -> relu -> maxpool 2
  flatten
  dense 3
}

train Tiny {
  optimizer: adam(lr: 0.01)
  loss: cross_entropy
  batch: 16
  epochs: 2
  validation_split: 0.2
}
`;

/** A model with a frozen stem (a block call and a conv) and a head that trains, for the freezing and --init tests. */
export const FROZEN_MODEL = `block Stem(width) {
  conv width, kernel: 3, padding: 1, bias: false -> batchnorm -> relu
}

model Tiny {
  input image: [8, 8, 1]
  frozen {
    Stem(4) as features
    conv 4, kernel: 1
  }
  maxpool 2
  flatten
  dense 3
}

train Tiny {
  optimizer: sgd(lr: 0.5)
  loss: cross_entropy
  batch: 16
  epochs: 1
  seed: 5
}
`;

export function patternImage(kind: number, variation: number): Uint8Array {
  const image = new Uint8Array(64);
  for (let p = 0; p < 64; p++) {
    const [row, col] = [p >> 3, p & 7];
    const on = kind === 0 ? row < 3 : kind === 1 ? col < 3 : row > 2 && row < 6 && col > 2 && col < 6;
    image[p] = on ? 200 + ((variation * 7 + p) % 50) : (variation * 13 + p) % 40;
  }
  return image;
}

export function patterns(count: number): { x: Uint8Array; y: Int32Array } {
  const x = new Uint8Array(count * 64);
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    y[i] = i % 3;
    x.set(patternImage(i % 3, i), i * 64);
  }
  return { x, y };
}

/** A fresh folder with tiny.cnn and npy/x_train.npy, npy/y_train.npy of `count` images. */
export function tinyProject(count = 120): { dir: string; model: string; data: string } {
  const dir = mkdtempSync(join(tmpdir(), "cnnc-train-"));
  writeFileSync(join(dir, "tiny.cnn"), TINY_MODEL);
  const { x, y } = patterns(count);
  mkdirSync(join(dir, "npy"));
  writeFileSync(join(dir, "npy", "x_train.npy"), encodeNpy([count, 8, 8], x));
  writeFileSync(join(dir, "npy", "y_train.npy"), encodeNpy([count], y));
  return { dir, model: join(dir, "tiny.cnn"), data: join(dir, "npy") };
}
