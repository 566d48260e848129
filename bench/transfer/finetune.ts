// The fine-tuning demonstration: pretrain bench/transfer/classifier.cnn on Fashion-MNIST's
// classes 0–4 (T-shirt, trouser, pullover, dress, coat), then learn classes 5–9 (sandal,
// shirt, sneaker, bag, ankle boot) from 20 images each, four ways with the same steps: from
// those weights with the whole backbone frozen (`frozen { … }`: only the new head trains),
// with its first two stages frozen, with every layer training, and from scratch. Everything goes through
// the CLI as a user would run it: `cnnc train`, `cnnc convert` to a PyTorch state_dict,
// `cnnc train --init … --map` (the map file starts the old head fresh). Rewrites the
// fine-tuning section of bench/RESULTS.md with test accuracies on classes 5–9.
//
// Uses Debian's full Fashion-MNIST (`apt-get install dataset-fashion-mnist`) when present,
// else the built-in subset. About fifteen minutes on a busy two-core machine: `npm run bench:finetune`.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readIdxPair } from "../../src/data/idx.js";
import { builtinDataDir, fashionMnistDir } from "../../src/data/load.js";
import { encodeNpy } from "../../src/data/npy.js";
import type { Dataset } from "../../src/data/dataset.js";
import { replaceSection, ROOT } from "../common.js";

const PRETRAIN_IMAGES = 5_000;
const PRETRAIN_EPOCHS = 2;
const PER_CLASS = 20;
const TEST_IMAGES = 1_000;
const SEEDS = [1, 2];
const FINETUNE_EPOCHS = 10;
const FINETUNE_BATCH = 20;

const full = existsSync(join(fashionMnistDir(), "train-labels-idx1-ubyte.gz"));
const source = full ? fashionMnistDir() : builtinDataDir();
const train = readIdxPair(source, "train")!;
const test = readIdxPair(source, "t10k")!;

/** The images of the given classes, at most `limit` (or `perClass` of each), relabelled from 0. */
function subset(data: Dataset, classes: number[], options: { limit?: number; perClass?: number }): { x: Uint8Array; y: Int32Array; count: number } {
  const labels = data.labels.kind === "index" ? data.labels.values : new Int32Array(0);
  const taken = new Map(classes.map((c) => [c, 0]));
  const chosen: number[] = [];
  for (let i = 0; i < data.count && chosen.length < (options.limit ?? Infinity); i++) {
    const seen = taken.get(labels[i]!);
    if (seen === undefined || seen >= (options.perClass ?? Infinity)) continue;
    taken.set(labels[i]!, seen + 1);
    chosen.push(i);
  }
  const size = 28 * 28;
  const x = new Uint8Array(chosen.length * size);
  chosen.forEach((index, k) => x.set(data.x.subarray(index * size, (index + 1) * size), k * size));
  const y = Int32Array.from(chosen, (index) => classes.indexOf(labels[index]!));
  return { x, y, count: chosen.length };
}

function writeSplit(dir: string, parts: { train: ReturnType<typeof subset>; test: ReturnType<typeof subset> }): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "x_train.npy"), encodeNpy([parts.train.count, 28, 28], parts.train.x));
  writeFileSync(join(dir, "y_train.npy"), encodeNpy([parts.train.count], parts.train.y));
  writeFileSync(join(dir, "x_test.npy"), encodeNpy([parts.test.count, 28, 28], parts.test.x));
  writeFileSync(join(dir, "y_test.npy"), encodeNpy([parts.test.count], parts.test.y));
}

const work = mkdtempSync(join(tmpdir(), "cnnc-finetune-"));
const model = join(ROOT, "bench", "transfer", "classifier.cnn");
const cnnc = (args: string[]): string => {
  process.stdout.write(`$ cnnc ${args.join(" ").replaceAll(work, "$WORK").replaceAll(ROOT + "/", "")}\n`);
  return execFileSync(process.execPath, [join(ROOT, "dist", "src", "cli", "bin.js"), ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 64 << 20 });
};
const testAccuracy = (out: string): number => (JSON.parse(readFileSync(join(out, "history.json"), "utf8")) as { test: { accuracy: number } }).test.accuracy;

try {
  const old = [0, 1, 2, 3, 4];
  const fresh = [5, 6, 7, 8, 9];
  const pretrainData = { train: subset(train, old, { limit: PRETRAIN_IMAGES }), test: subset(test, old, { limit: TEST_IMAGES }) };
  const fewShot = { train: subset(train, fresh, { perClass: PER_CLASS }), test: subset(test, fresh, { limit: TEST_IMAGES }) };
  writeSplit(join(work, "old"), pretrainData);
  writeSplit(join(work, "new"), fewShot);

  cnnc(["train", model, "--model", "Classifier", "--data", join(work, "old"), "--out", join(work, "pretrained"), "--epochs", String(PRETRAIN_EPOCHS), "--seed", "7"]);
  const pretrained = testAccuracy(join(work, "pretrained"));
  cnnc(["convert", model, "--model", "Classifier", "--from", join(work, "pretrained"), "--to", join(work, "pretrained.pt")]);
  // Same shapes, other classes: the old head would load, so the map file starts it fresh.
  writeFileSync(join(work, "new-head.json"), JSON.stringify({ dense_1: null }));

  const variants = [
    { name: "pretrained, whole backbone frozen (`FrozenBackbone`: only the head trains)", args: ["--model", "FrozenBackbone", "--init", join(work, "pretrained.pt"), "--map", join(work, "new-head.json")] },
    { name: "pretrained, first two stages frozen (`FrozenStem`)", args: ["--model", "FrozenStem", "--init", join(work, "pretrained.pt"), "--map", join(work, "new-head.json")] },
    { name: "pretrained, every layer trains", args: ["--model", "Classifier", "--init", join(work, "pretrained.pt"), "--map", join(work, "new-head.json")] },
    { name: "from scratch", args: ["--model", "Classifier"] },
  ];
  const rows: string[] = [];
  for (const variant of variants) {
    const accuracies = SEEDS.map((seed) => {
      const out = join(work, `run-${rows.length}-${seed}`);
      cnnc(["train", model, ...variant.args, "--data", join(work, "new"), "--out", out, "--epochs", String(FINETUNE_EPOCHS), "--batch", String(FINETUNE_BATCH), "--seed", String(seed)]);
      return testAccuracy(out);
    });
    const mean = accuracies.reduce((a, b) => a + b, 0) / accuracies.length;
    rows.push(`| ${variant.name} | ${(mean * 100).toFixed(1)}% | ${accuracies.map((a) => `${(a * 100).toFixed(1)}%`).join(", ")} |`);
    process.stdout.write(rows.at(-1)! + "\n");
  }
  const steps = Math.ceil(fewShot.train.count / FINETUNE_BATCH) * FINETUNE_EPOCHS;
  const body = [
    "## fine-tuning",
    "",
    `\`npm run bench:finetune\` (bench/transfer/finetune.ts, busy machine): bench/transfer/classifier.cnn (three conv-batchnorm stages, 6,221 parameters; its models \`Classifier\`, \`FrozenStem\` and \`FrozenBackbone\` differ only in what is in \`frozen { … }\`) pretrained with \`cnnc train\` on ${pretrainData.train.count.toLocaleString("en")} images of ${full ? "Fashion-MNIST" : "the built-in Fashion-MNIST subset"}'s classes 0–4 (${PRETRAIN_EPOCHS} epochs; ${(pretrained * 100).toFixed(1)}% on their ${pretrainData.test.count.toLocaleString("en")} test images), converted with \`cnnc convert\` to a PyTorch state_dict, then trained on classes 5–9 from ${PER_CLASS} images each (${fewShot.train.count} images, ${FINETUNE_EPOCHS} epochs of batch ${FINETUNE_BATCH}: ${steps} steps, Adam lr 0.01, the same for every row) with \`cnnc train --init pretrained.pt --map new-head.json\` (the map file starts the old 5-class head fresh) or without \`--init\`. Accuracy on the ${fewShot.test.count.toLocaleString("en")} test images of classes 5–9, for seeds ${SEEDS.join(", ")}.`,
    "",
    "| start | mean test accuracy | per seed |",
    "|---|---:|---|",
    ...rows,
  ].join("\n");
  replaceSection(join(ROOT, "bench", "RESULTS.md"), "fine-tuning", body);
} finally {
  rmSync(work, { recursive: true, force: true });
}
