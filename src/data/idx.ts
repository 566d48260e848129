// IDX files on disk (decoded by ./idx-decode.ts). Gzipped files are recognised by their
// first two bytes, whatever their name.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import type { Dataset } from "./dataset.js";
import { decodeIdx, idxDataset, type IdxArray } from "./idx-decode.js";

export type { IdxArray } from "./idx-decode.js";

/** Decodes an IDX file, gunzipping it first when its first two bytes say it is gzipped. */
export function parseIdx(bytes: Uint8Array, name: string): IdxArray {
  return decodeIdx(bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes, name);
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
  return idxDataset(images, labels, { images: imagesPath, labels: labelsPath }, classNames);
}
