// The pure parts of training: data formats, fitting images to the model's input,
// seeded shuffling, augmentation, learning-rate schedules, settings, the plot and table.

import { describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { compile } from "../../src/compile.js";
import { augmentImage, parseAugmentation } from "../../src/data/augment.js";
import { fitImage, fitMode, splitValidation, type Dataset } from "../../src/data/dataset.js";
import { parseIdx, readIdxPair } from "../../src/data/idx.js";
import { readImageFolders } from "../../src/data/images.js";
import { loadData } from "../../src/data/load.js";
import { encodeNpy, parseNpy } from "../../src/data/npy.js";
import { epochOrder, seededRandom } from "../../src/data/random.js";
import { resolveSettings, SettingsError } from "../../src/train/config.js";
import { plotHistory } from "../../src/train/plot.js";
import { checkDataFitsModel, prepareData } from "../../src/train/prepare.js";
import { historyTable, imageRate, progressSink } from "../../src/train/progress.js";
import { makeSchedule, shouldStop } from "../../src/train/schedule.js";
import { checkResumable, settingsChanges, settingsFingerprint } from "../../src/train/loop.js";
import { lowerText } from "../tfjs-helpers.js";
import { TINY_MODEL } from "./fixtures.js";

function idx(type: number, dims: number[], body: number[]): Uint8Array {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt8(type, 2);
  header.writeUInt8(dims.length, 3);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(body)]);
}

describe("data formats", () => {
  it("reads IDX files plain and gzipped", () => {
    const raw = idx(0x08, [2, 2, 2], [0, 1, 2, 3, 4, 5, 6, 255]);
    for (const bytes of [raw, gzipSync(raw)]) {
      const parsed = parseIdx(bytes, "x");
      expect(parsed.dims).toEqual([2, 2, 2]);
      expect([...parsed.data]).toEqual([0, 1, 2, 3, 4, 5, 6, 255]);
    }
    expect(() => parseIdx(idx(0x08, [4], [1]), "short")).toThrow("short is truncated");
  });

  it("ships the built-in Fashion-MNIST subset: 5,000 + 1,000 balanced 28×28 images", () => {
    const splits = loadData(undefined, { input: [32, 32, 1] });
    expect(splits.train).toMatchObject({ count: 5000, shape: [28, 28, 1], pixelMax: 255 });
    expect(splits.test?.count).toBe(1000);
    expect(splits.train.labels).toMatchObject({ kind: "index", classes: 10 });
    const perClass = new Array(10).fill(0);
    for (const label of splits.train.labels.values) perClass[label]++;
    expect(perClass).toEqual(new Array(10).fill(500));
    expect(splits.train.classNames?.[9]).toBe("Ankle boot");
  });

  it("says how to get the full Fashion-MNIST when it is missing", () => {
    const saved = process.env["CNNC_FASHION_MNIST"];
    process.env["CNNC_FASHION_MNIST"] = "/nonexistent";
    try {
      expect(() => loadData("fashion-mnist", { input: [28, 28, 1] })).toThrow("apt-get install -y dataset-fashion-mnist");
    } finally {
      if (saved === undefined) delete process.env["CNNC_FASHION_MNIST"];
      else process.env["CNNC_FASHION_MNIST"] = saved;
    }
  });

  it("round-trips NPY arrays and reads one-hot labels as dense targets", () => {
    const x = new Float32Array([0.5, 1, 0, 0.25]);
    expect(parseNpy(encodeNpy([1, 2, 2], x), "x")).toEqual({ shape: [1, 2, 2], data: x, bytes: false });
    const dir = mkdtempSync(join(tmpdir(), "cnnc-npy-"));
    writeFileSync(join(dir, "x_train.npy"), encodeNpy([2, 2, 2], new Uint8Array(8)));
    writeFileSync(join(dir, "y_train.npy"), encodeNpy([2, 3], new Float32Array([1, 0, 0, 0, 0, 1])));
    const data = loadData(dir, { input: [2, 2, 1] }).train;
    expect(data.labels).toMatchObject({ kind: "dense", width: 3 });
    expect(data.pixelMax).toBe(255);
  });

  it("reads PNG and JPEG class folders, resized to the model's input, classes in name order", () => {
    const dir = mkdtempSync(join(tmpdir(), "cnnc-images-"));
    for (const name of ["cat", "dog"]) mkdirSync(join(dir, name));
    const png = new PNG({ width: 4, height: 4 });
    png.data.fill(255);
    writeFileSync(join(dir, "dog", "a.png"), PNG.sync.write(png));
    const rgba = Buffer.alloc(6 * 6 * 4, 0);
    writeFileSync(join(dir, "cat", "b.jpg"), jpeg.encode({ data: rgba, width: 6, height: 6 }, 90).data);
    const data = readImageFolders(dir, [2, 2, 3]);
    expect(data.classNames).toEqual(["cat", "dog"]);
    expect([...(data.labels.values as Int32Array)]).toEqual([0, 1]);
    expect(data.shape).toEqual([2, 2, 3]);
    expect(data.x[0]).toBeLessThan(10);
    expect(data.x[12]).toBe(255);
  });
});

describe("fitting images to the model", () => {
  it("pads smaller images with zeros around the centre and resizes larger ones", () => {
    expect(fitMode([28, 28], [32, 32])).toBe("pad");
    expect(fitMode([64, 64], [32, 32])).toBe("resize");
    expect(fitMode([32, 32], [32, 32])).toBeUndefined();
    const padded = fitImage(new Float32Array([1, 2, 3, 4]), [2, 2, 1], [4, 4, 1], "pad");
    expect([...padded]).toEqual([0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0]);
    const resized = fitImage(new Float32Array(16).fill(7), [4, 4, 1], [2, 2, 3], "resize");
    expect([...resized]).toEqual(new Array(12).fill(7));
  });

  it("checks images and labels against the model and names both", () => {
    const labels = Int32Array.from({ length: 20 }, (_, i) => i % 10);
    const data: Dataset = { x: new Float32Array(0), shape: [28, 28, 1], count: 20, labels: { kind: "index", values: labels, classes: 10 }, pixelMax: 255 };
    const settings = resolveSettings(undefined, {});
    expect(checkDataFitsModel(data, { name: "LeNet5", input: [32, 32, 1], outputWidth: 10, lastOp: "softmax" }, settings, "Fashion-MNIST")).toEqual([]);
    expect(() => checkDataFitsModel(data, { name: "Net", input: [32, 32, 1], outputWidth: 5, lastOp: "dense" }, settings, "Fashion-MNIST")).toThrow(
      "the data (Fashion-MNIST) has 28×28×1 images and labels up to 9, but model `Net` takes [32, 32, 1] and outputs [5]: every label must be below the output width 5; change the last dense layer to `dense 10`",
    );
  });

  it("takes data that leaves the model's last classes out, with a note (labels up to 984 for 1,000 outputs)", () => {
    const labels = Int32Array.from({ length: 985 }, (_, i) => i);
    const data: Dataset = { x: new Float32Array(0), shape: [8, 8, 3], count: 985, labels: { kind: "index", values: labels, classes: 985 }, pixelMax: 255 };
    const notes = checkDataFitsModel(data, { name: "ResNet50", input: [8, 8, 3], outputWidth: 1000, lastOp: "dense" }, resolveSettings(undefined, {}), "random labels");
    expect(notes).toEqual(["the data (random labels) has 985 of the 1000 classes model `ResNet50` outputs; the others are never a training target"]);
  });

  it("prepares index labels over the model's classes, so one-hot targets have the output's width", () => {
    const data: Dataset = { x: new Float32Array(4 * 4), shape: [2, 2, 1], count: 4, labels: { kind: "index", values: Int32Array.from([0, 1, 2, 1]), classes: 3 }, pixelMax: 255 };
    const model = { name: "Net", input: [2, 2, 1] as [number, number, number], outputWidth: 10, lastOp: "dense" };
    const prepared = prepareData({ train: data, test: data, description: "tiny" }, model, { ...resolveSettings(undefined, {}), validationSplit: 0 }, "scale");
    expect(prepared.train.labels).toMatchObject({ kind: "index", classes: 10 });
    expect(prepared.test!.labels).toMatchObject({ kind: "index", classes: 10 });
    expect(prepared.notes).toEqual(["the data (tiny) has 3 of the 10 classes model `Net` outputs; the others are never a training target"]);
  });
});

describe("shuffling and augmentation", () => {
  it("gives each epoch its own order, the same on every run", () => {
    expect([...epochOrder(10, 42, 3)]).toEqual([...epochOrder(10, 42, 3)]);
    expect([...epochOrder(10, 42, 3)]).not.toEqual([...epochOrder(10, 42, 4)]);
    expect([...epochOrder(10, 42, 3)].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("splits validation data after a seeded shuffle, disjoint from training", () => {
    const data: Dataset = { x: Float32Array.from({ length: 20 }, (_, i) => i), shape: [1, 1, 1], count: 20, labels: { kind: "index", values: Int32Array.from({ length: 20 }, (_, i) => (i < 10 ? 0 : 1)), classes: 2 }, pixelMax: 255 };
    const { train, validation } = splitValidation(data, 0.25, 7);
    expect(validation!.count).toBe(5);
    expect(new Set([...train.x, ...validation!.x]).size).toBe(20);
  });

  it("flips, crops and translates with a seeded generator", () => {
    expect(parseAugmentation("flip,crop=1,translate=2")).toEqual({ flip: true, crop: 1, translate: 2 });
    expect(() => parseAugmentation("rotate")).toThrow("not `rotate`");
    const augmented = (seed: number): number[] => {
      const image = Float32Array.from({ length: 16 }, (_, i) => i);
      augmentImage(image, [4, 4, 1], { flip: true, crop: 1, translate: 1 }, seededRandom(seed));
      return [...image];
    };
    expect(augmented(1)).toEqual(augmented(1));
    const flipOnly = Float32Array.from([1, 2, 3, 4]);
    augmentImage(flipOnly, [1, 4, 1], { flip: true, crop: 0, translate: 0 }, () => 0);
    expect([...flipOnly]).toEqual([4, 3, 2, 1]);
  });
});

function settingsFor(train: string) {
  const result = compile(`model M {\n  input x: [4, 4, 1]\n  flatten\n  dense 2\n}\ntrain M {\n${train}\n}\n`);
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return result.trains[0]!;
}

describe("schedules and settings", () => {
  it("step, exponential and cosine with warm-up", () => {
    const step = makeSchedule(resolveSettings(settingsFor("scheduler: step(step_size: 2, gamma: 0.5)"), {}), 1);
    expect([0, 1, 2, 3, 4].map((e) => step.rateAt(e))).toEqual([1, 1, 0.5, 0.5, 0.25]);
    const exponential = makeSchedule(resolveSettings(settingsFor("scheduler: exponential(gamma: 0.5)"), {}), 1);
    expect(exponential.rateAt(3)).toBe(0.125);
    const cosine = makeSchedule(resolveSettings(settingsFor("scheduler: cosine(warmup: 2, min_lr: 0)\nepochs: 6"), {}), 1);
    expect([0, 1, 2, 4].map((e) => cosine.rateAt(e))).toEqual([0.5, 1, 1, 0.5]);
    expect(cosine.rateAt(6)).toBeCloseTo(0);
  });

  it("reduce_on_plateau waits for patience, reduces by factor, respects cooldown and min_lr", () => {
    const schedule = makeSchedule(resolveSettings(settingsFor("scheduler: reduce_on_plateau(monitor: loss, patience: 2, factor: 0.5, cooldown: 1, min_lr: 0.2)"), {}), 1);
    const losses = [1, 1, 1, 1, 1, 1, 1, 1];
    const rates = losses.map((loss) => {
      schedule.endEpoch({ loss });
      return schedule.rateAt(0);
    });
    // As in Keras: the epoch that ends a cooldown already counts towards the next patience.
    expect(rates).toEqual([1, 1, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2]);
    const copy = makeSchedule(resolveSettings(settingsFor("scheduler: reduce_on_plateau(monitor: loss)"), {}), 1);
    copy.restore(schedule.state());
    expect(copy.rateAt(0)).toBe(schedule.rateAt(0));
  });

  it("stops early after patience epochs without improvement", () => {
    const settings = resolveSettings(settingsFor("early_stopping: early_stopping(monitor: loss, patience: 2)"), {});
    const state = { best: null, wait: 0 };
    expect([3, 2, 2.5, 2.1, 1].map((loss) => shouldStop(settings, state, { loss }))).toEqual([false, false, false, true, false]);
  });

  it("lays flags over the declaration", () => {
    const declared = settingsFor("optimizer: sgd(lr: 0.1, momentum: 0.9)\nbatch: 8");
    const settings = resolveSettings(declared, { lr: 0.5, epochs: 3, optimizer: "adamw" });
    expect(settings.optimizer).toEqual({ name: "adamw", config: { lr: 0.5, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weight_decay: 0.01 } });
    expect(settings).toMatchObject({ batch: 8, epochs: 3 });
    expect(() => resolveSettings(settingsFor("early_stopping: early_stopping(monitor: val_loss)"), { validationSplit: 0 })).toThrow(SettingsError);
  });

  it("tell a resume what changed since its checkpoint: settings, the model's layers, the data; not the epochs or the seeds of initializers", () => {
    const { spec } = lowerText(TINY_MODEL, 1);
    const settings = resolveSettings(settingsFor("optimizer: sgd(lr: 0.1)\nbatch: 8"), {});
    const before = settingsFingerprint(settings, spec, 100);
    expect(settingsChanges(before, settingsFingerprint({ ...settings, epochs: 50 }, lowerText(TINY_MODEL, 7).spec, 100))).toEqual([]);
    const other = resolveSettings(settingsFor("optimizer: adam(lr: 0.1)\nbatch: 16"), {});
    expect(settingsChanges(before, settingsFingerprint(other, spec, 90))).toEqual([
      "optimizer sgd(lr: 0.1, momentum: 0, nesterov: false, weight_decay: 0) → adam(lr: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weight_decay: 0)",
      "batch 8 → 16",
      "training images 100 → 90",
    ]);
    const edited = lowerText(TINY_MODEL.replace("conv 4", "conv 6"), 1).spec;
    expect(() => checkResumable(before, settingsFingerprint(settings, edited, 100), "runs/tiny")).toThrow(
      "--resume: the checkpoint in runs/tiny was made with other settings or data: the model's layers were edited. Only --epochs may change on resume: start afresh without --resume or with another --out",
    );
  });
});

describe("reports", () => {
  const history = [
    { epoch: 1, loss: 1.2, accuracy: 0.5, val_loss: 1.1, val_accuracy: 0.55, lr: 0.001, seconds: 3.25 },
    { epoch: 2, loss: 0.8, accuracy: 0.7, val_loss: 0.9, val_accuracy: 0.66, lr: 0.001, seconds: 3.5 },
  ];
  it("prints the end-of-run table", () => {
    expect(historyTable(history)).toBe(
      "epoch    loss  accuracy  val_loss  val_accuracy       lr  seconds\n" +
        "-----  ------  --------  --------  ------------  -------  -------\n" +
        "    1  1.2000    0.5000    1.1000        0.5500  1.00e-3      3.3\n" +
        "    2  0.8000    0.7000    0.9000        0.6600  1.00e-3      3.5\n",
    );
  });

  it("shows the real image rate of slow steps, never 0 img/s", () => {
    expect([imageRate(0.04), imageRate(0.4), imageRate(3.14159), imageRate(12.34), imageRate(1234.5), imageRate(0)]).toEqual(["0.040", "0.40", "3.1", "12.3", "1235", "?"]);
    let written = "";
    const stream = { isTTY: false, write: (text: string) => ((written += text), true) } as unknown as NodeJS.WriteStream;
    let clock = 0;
    const sink = progressSink(stream, () => clock);
    clock = 20_000;
    sink.step({ epoch: 1, epochs: 1, step: 1, steps: 100, loss: 2.3, imagesPerSecond: 0.2, secondsLeft: 2000 });
    expect(written).toContain("0.20 img/s");
  });

  it("plots loss and accuracy, train and validation, as SVG", () => {
    const svg = plotHistory(history, "accuracy", "LeNet5");
    expect(svg.match(/<polyline/g)).toHaveLength(4);
    expect(svg).toContain(">accuracy</text>");
    expect(svg).toContain("<title>LeNet5</title>");
  });
});

// Keeps readIdxPair's label check exercised on a mismatched pair.
describe("IDX pairs", () => {
  it("rejects labels that do not match the images", () => {
    const dir = mkdtempSync(join(tmpdir(), "cnnc-idx-"));
    writeFileSync(join(dir, "train-images-idx3-ubyte"), idx(0x08, [2, 1, 1], [0, 1]));
    writeFileSync(join(dir, "train-labels-idx1-ubyte"), idx(0x08, [3], [0, 1, 2]));
    expect(() => readIdxPair(dir, "train")).toThrow("3 labels for 2 images");
  });
});
