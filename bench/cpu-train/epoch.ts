// The epoch comparison of bench/cpu-train: `cnnc train` as a user runs it (the CLI bundle,
// default backend) against the train.py that `cnnc build --target pytorch` writes for the
// same .cnn file, one epoch each on the same data, timed as whole processes (start-up,
// data loading, the epoch, validation, the test set where there is one, saving).
//
// - LeNet-5 (examples/lenet5.cnn) on the full Fashion-MNIST, validation split 0.1: cnnc
//   reads Debian's IDX files itself (`--data fashion-mnist`) and pads them to the model's
//   32×32; train.py takes images at the model's size only, so it gets the same padding,
//   done beforehand by cnnc's own src/data code and stored as uint8 NPY (not timed).
// - ResNet-20 (examples/resnet20.cnn) on 4,096 random 32×32×3 uint8 images with random
//   labels, batch 64 (the declaration says 128; the issue measures 64), both reading the
//   same NPY files.
// PyTorch runs with 1 and with 2 threads (OMP_NUM_THREADS; train.py sets none itself).

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeNpy } from "../../src/data/npy.js";
import { readIdxPair } from "../../src/data/idx.js";
import { fitImage, fitMode, type Dataset } from "../../src/data/dataset.js";
import { fashionMnistDir } from "../../src/data/load.js";
import { seededRandom } from "../../src/data/random.js";
import { ROOT } from "../common.js";

export type EpochModel = "lenet5" | "resnet20";
export const EPOCH_MODELS: EpochModel[] = ["lenet5", "resnet20"];

interface EpochSetup {
  label: string;
  file: string;
  /** Arguments of `cnnc train` after the file, given the prepared data folder. */
  cnnc: (data: string) => string[];
  /** Arguments of train.py, given the prepared data folder. */
  torch: (data: string) => string[];
  /** Writes the data into the folder. */
  prepare: (data: string) => void;
}

const RANDOM_IMAGES = 4096;

/** Fashion-MNIST's images padded to 32×32 exactly as cnnc pads them, as uint8 NPY (train and test). */
function prepareFashion(data: string): void {
  const dir = fashionMnistDir();
  for (const [prefix, name] of [["train", "train"], ["t10k", "test"]] as const) {
    const split = readIdxPair(dir, prefix);
    if (split === undefined) throw new Error(`the full Fashion-MNIST is not in ${dir} (apt-get install dataset-fashion-mnist)`);
    writeSplit(data, name, padded(split, [32, 32, 1]));
  }
}

function padded(data: Dataset, to: [number, number, number]): { shape: number[]; x: Uint8Array; y: Int32Array } {
  const size = data.shape[0] * data.shape[1] * data.shape[2];
  const target = to[0] * to[1] * to[2];
  const mode = fitMode(data.shape, to);
  const x = new Uint8Array(data.count * target);
  for (let i = 0; i < data.count; i++) {
    const image = fitImage(data.x.subarray(i * size, (i + 1) * size), data.shape, to, mode);
    for (let k = 0; k < target; k++) x[i * target + k] = Math.round(image[k]!);
  }
  if (data.labels.kind !== "index") throw new Error("Fashion-MNIST labels are class indices");
  return { shape: [data.count, ...to], x, y: Int32Array.from(data.labels.values) };
}

function writeSplit(dir: string, name: string, split: { shape: number[]; x: Uint8Array; y: Int32Array }): void {
  writeFileSync(join(dir, `x_${name}.npy`), encodeNpy(split.shape, split.x));
  writeFileSync(join(dir, `y_${name}.npy`), encodeNpy([split.y.length], split.y));
}

function prepareRandom(data: string): void {
  const next = seededRandom(11);
  const x = new Uint8Array(RANDOM_IMAGES * 32 * 32 * 3);
  for (let i = 0; i < x.length; i++) x[i] = Math.floor(next() * 256);
  const y = Int32Array.from({ length: RANDOM_IMAGES }, () => Math.floor(next() * 10));
  writeSplit(data, "train", { shape: [RANDOM_IMAGES, 32, 32, 3], x, y });
}

const SETUPS: Record<EpochModel, EpochSetup> = {
  lenet5: {
    label: "LeNet-5, full Fashion-MNIST padded to 32×32, batch 64, validation split 0.1",
    file: "examples/lenet5.cnn",
    cnnc: () => ["--data", "fashion-mnist", "--validation-split", "0.1"],
    torch: (data) => ["--train-images", join(data, "x_train.npy"), "--train-labels", join(data, "y_train.npy"), "--test-images", join(data, "x_test.npy"), "--test-labels", join(data, "y_test.npy")],
    prepare: prepareFashion,
  },
  resnet20: {
    label: `ResNet-20, ${RANDOM_IMAGES.toLocaleString("en-US")} random 32×32×3 images, batch 64`,
    file: "examples/resnet20.cnn",
    cnnc: (data) => ["--data", data, "--batch", "64"],
    torch: (data) => ["--train-images", join(data, "x_train.npy"), "--train-labels", join(data, "y_train.npy"), "--batch", "64"],
    prepare: prepareRandom,
  },
};

export interface EpochRun {
  /** Wall time of the whole process, s. */
  wall: number;
  /** The epoch's own seconds as the trainer logged them (training and validation). */
  epoch?: number;
  error?: string;
}

export interface EpochResult {
  model: EpochModel;
  cnnc: EpochRun;
  torch1: EpochRun;
  torch2: EpochRun;
}

function timed(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutSeconds: number): { wall: number; error?: string } {
  const start = performance.now();
  const child = spawnSync(command, args, { cwd: ROOT, env, encoding: "utf8", timeout: timeoutSeconds * 1000, maxBuffer: 1 << 26 });
  const wall = (performance.now() - start) / 1000;
  if (child.error !== undefined || child.status !== 0) {
    const why = child.signal === "SIGTERM" ? `stopped after ${timeoutSeconds} s` : (child.stderr || String(child.error)).trim().split("\n").slice(-1)[0]!;
    return { wall, error: why };
  }
  return { wall };
}

const CLI = (): string => join(ROOT, "dist", "bundle", "cnnc.js");

function runCnnc(setup: EpochSetup, data: string, out: string): EpochRun {
  const run = timed(process.execPath, [CLI(), "train", setup.file, ...setup.cnnc(data), "--epochs", "1", "--out", out], process.env, 1800);
  if (run.error !== undefined) return run;
  const history = JSON.parse(readFileSync(join(out, "history.json"), "utf8")) as { epochs: { seconds: number }[] };
  return { wall: run.wall, epoch: history.epochs[0]?.seconds };
}

function runTorch(scripts: string, setup: EpochSetup, data: string, out: string, threads: number): EpochRun {
  const env = { ...process.env, OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
  const run = timed("/usr/bin/python3", [join(scripts, "train.py"), ...setup.torch(data), "--epochs", "1", "--device", "cpu", "--out", out], env, 1800);
  if (run.error !== undefined) return run;
  const log = readFileSync(join(out, "log.jsonl"), "utf8").trim().split("\n");
  return { wall: run.wall, epoch: (JSON.parse(log[0]!) as { seconds: number }).seconds };
}

/** Builds train.py, prepares the data and runs one epoch of each trainer: PyTorch 1 thread, cnnc, PyTorch 2 threads. */
export function epochComparison(model: EpochModel, log: (line: string) => void): EpochResult {
  const setup = SETUPS[model];
  const work = mkdtempSync(join(tmpdir(), `cnnc-bench-epoch-${model}-`));
  try {
    const scripts = join(work, "pytorch");
    const built = spawnSync(process.execPath, [CLI(), "build", setup.file, "--target", "pytorch", "--out", scripts], { cwd: ROOT, encoding: "utf8" });
    if (built.status !== 0 || !existsSync(join(scripts, "train.py"))) throw new Error(`cnnc build --target pytorch ${setup.file} failed: ${built.stderr}`);
    const data = join(work, "data");
    mkdirSync(data);
    setup.prepare(data);
    const out = (name: string): string => join(work, name);
    const torch1 = runTorch(scripts, setup, data, out("torch1"), 1);
    log(`  PyTorch, 1 thread: ${describe(torch1)}`);
    const cnnc = runCnnc(setup, data, out("cnnc"));
    log(`  cnnc train: ${describe(cnnc)}`);
    const torch2 = runTorch(scripts, setup, data, out("torch2"), 2);
    log(`  PyTorch, 2 threads: ${describe(torch2)}`);
    return { model, cnnc, torch1, torch2 };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const describe = (r: EpochRun): string => (r.error !== undefined ? `fails: ${r.error}` : `${r.wall.toFixed(1)} s in all, epoch ${r.epoch?.toFixed(1) ?? "?"} s`);

const seconds = (r: EpochRun, key: "wall" | "epoch"): string => (r.error !== undefined ? `fails: ${r.error.replace(/\|/g, "\\|")}` : r[key] === undefined ? "—" : r[key]!.toFixed(1));

function ratio(cnnc: EpochRun, torch: EpochRun[], key: "wall" | "epoch"): string {
  const best = Math.min(...torch.filter((t) => t.error === undefined && t[key] !== undefined).map((t) => t[key]!));
  return cnnc.error !== undefined || cnnc[key] === undefined || !Number.isFinite(best) ? "—" : `${(cnnc[key]! / best).toFixed(1)}×`;
}

/** The epoch table: whole process and the epoch's own seconds, each side, and cnnc ÷ the faster PyTorch. */
export function epochTable(results: EpochResult[]): string {
  return [
    "| one epoch, s | cnnc train | PyTorch train.py, 1 thread | PyTorch, 2 threads | cnnc ÷ best PyTorch | epoch only: cnnc | PyTorch 1 / 2 threads | cnnc ÷ best PyTorch |",
    "|---|---:|---:|---:|---:|---:|---:|---:|",
    ...results.map((r) => {
      const torch = [r.torch1, r.torch2];
      return `| ${SETUPS[r.model].label} | ${seconds(r.cnnc, "wall")} | ${seconds(r.torch1, "wall")} | ${seconds(r.torch2, "wall")} | **${ratio(r.cnnc, torch, "wall")}** | ${seconds(r.cnnc, "epoch")} | ${seconds(r.torch1, "epoch")} / ${seconds(r.torch2, "epoch")} | ${ratio(r.cnnc, torch, "epoch")} |`;
    }),
  ].join("\n");
}

export const EPOCH_COMMANDS = [
  "`node dist/bundle/cnnc.js train examples/lenet5.cnn --data fashion-mnist --validation-split 0.1 --epochs 1` against `OMP_NUM_THREADS=N python3 train.py --train-images x_train.npy … --test-images x_test.npy … --epochs 1` from `cnnc build examples/lenet5.cnn --target pytorch`",
  "`node dist/bundle/cnnc.js train examples/resnet20.cnn --data DIR --batch 64 --epochs 1` against `train.py --train-images DIR/x_train.npy --train-labels DIR/y_train.npy --batch 64 --epochs 1`",
];
