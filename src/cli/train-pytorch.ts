// `cnnc train FILE --engine pytorch`: the PyTorch target's train.py trains the model on the
// data the tfjs engine would use. Node loads, fits (pads or resizes), splits and normalises
// the data with src/data exactly as for the tfjs engine and hands train.py float32 NPY
// arrays; train.py runs on CUDA when PyTorch sees a GPU, on N processes under torchrun
// with --nproc; the run ends with the tfjs engine's outputs (model.json + weights.bin
// converted back, history.json, history.svg) next to train.py's (checkpoint.pt, model.pt).

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { createInterface } from "node:readline";
import type { IrGraph } from "../ir/ir.js";
import type { TfModelSpec } from "../emit/tfjs-lowering.js";
import { emitPytorch } from "../emit/pytorch.js";
import { writeFilesAtomically } from "../emit/write-files.js";
import { encodeNpy } from "../data/npy.js";
import type { Dataset } from "../data/dataset.js";
import type { PreparedData, TrainingMetadata } from "../train/prepare.js";
import { metricKey, type TrainSettings } from "../train/config.js";
import type { EpochLogs } from "../train/checkpoint.js";
import { checkResumable, ResumeError, settingsFingerprint } from "../train/loop.js";
import type { Tensor } from "../convert/weights.js";
import { plotHistory } from "../train/plot.js";
import { historyTable, type ProgressSink } from "../train/progress.js";
import { CliUsageError } from "./options.js";

export interface DistributedOptions {
  /** Processes on this machine (torchrun's --nproc_per_node). */
  nproc?: number;
  /** Passed through to torchrun for a cluster: --nnodes, --node-rank, --rdzv-backend, --rdzv-endpoint, --rdzv-id. */
  nnodes?: string;
  nodeRank?: number;
  rdzvBackend?: string;
  rdzvEndpoint?: string;
  rdzvId?: string;
}

export interface PytorchTraining extends DistributedOptions {
  file: string;
  ir: IrGraph;
  spec: TfModelSpec;
  doc?: string;
  settings: TrainSettings;
  prepared: PreparedData;
  /** What evaluate and predict read from model.json. */
  training: Omit<TrainingMetadata, "fromLogits">;
  out: string;
  resume: boolean;
  /** --init: the weights matched from a PyTorch file, by tfjs name (the layers it leaves out start as `cnnc build --seed` makes them, as in the tfjs engine). */
  initialWeights?: ReadonlyMap<string, Tensor>;
  /** The Python that runs train.py (default: $CNNC_PYTHON, then the first of python3 and /usr/bin/python3 that imports torch). */
  python?: string;
  progress: ProgressSink;
}

/** The run's settings, model and data size as the tfjs engine fingerprints them: --resume compares against it. */
const SETTINGS_FILE = "settings.json";

/** The files train.py leaves in --out; a fresh run removes them first, so nothing from an older run is mistaken for this one's. */
const RUN_FILES = ["checkpoint.pt", "model.pt", "log.jsonl", "result.json", SETTINGS_FILE];

function importsTorch(python: string): boolean {
  // Finding the module is enough, and much faster than importing it.
  const probe = spawnSync(python, ["-c", "import importlib.util, sys; sys.exit(importlib.util.find_spec('torch') is None)"], { stdio: "ignore" });
  return probe.status === 0;
}

export function findPython(requested: string | undefined): string {
  const explicit = requested ?? process.env["CNNC_PYTHON"];
  if (explicit !== undefined) {
    if (!importsTorch(explicit)) throw new CliUsageError(`${explicit} cannot import torch; install PyTorch for it, or pass another interpreter with --python`);
    return explicit;
  }
  for (const candidate of ["python3", "/usr/bin/python3"]) if (importsTorch(candidate)) return candidate;
  throw new CliUsageError("--engine pytorch needs a Python with PyTorch, and neither python3 nor /usr/bin/python3 imports torch: install it (Debian: apt-get install python3-torch; elsewhere: pip install torch) or pass --python PATH");
}

function writeSplit(dir: string, name: string, data: Dataset): string[] {
  const [h, w, c] = data.shape;
  const images = join(dir, `x_${name}.npy`);
  const labels = join(dir, `y_${name}.npy`);
  writeFileSync(images, encodeNpy([data.count, h, w, c], data.x));
  if (data.labels.kind === "index") writeFileSync(labels, encodeNpy([data.count], data.labels.values));
  else writeFileSync(labels, encodeNpy([data.count, data.labels.width], data.labels.values));
  return [images, labels];
}

/** torchrun, as `python -m torch.distributed.run` (torch 1.13 installs no torchrun command in Debian). */
function torchrunArgs(options: DistributedOptions): string[] {
  const cluster = options.nnodes !== undefined || options.rdzvEndpoint !== undefined;
  return [
    "-m",
    "torch.distributed.run",
    "--nproc_per_node",
    String(options.nproc ?? 1),
    // Python 3.11 made IntFlag iteration skip zero, so torch 1.13's torchrun cannot parse its
    // own defaults `--redirects 0 --tee 0`; 2 (stderr) keeps tracebacks and passes progress through.
    "--redirects",
    "2",
    "--tee",
    "2",
    ...(cluster ? [] : ["--standalone"]),
    ...(options.nnodes !== undefined ? ["--nnodes", options.nnodes] : []),
    ...(options.nodeRank !== undefined ? ["--node_rank", String(options.nodeRank)] : []),
    ...(options.rdzvBackend !== undefined ? ["--rdzv_backend", options.rdzvBackend] : []),
    ...(options.rdzvEndpoint !== undefined ? ["--rdzv_endpoint", options.rdzvEndpoint] : []),
    ...(options.rdzvId !== undefined ? ["--rdzv_id", options.rdzvId] : []),
  ];
}

/** Runs train.py, turning its JSON lines into progress; resolves with its exit code. */
function runTrainPy(python: string, args: string[], env: NodeJS.ProcessEnv, run: PytorchTraining): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, args, { env, stdio: ["ignore", "pipe", "inherit"] });
    child.on("error", reject);
    const lines = createInterface({ input: child.stdout! });
    lines.on("line", (raw) => {
      // torchrun's --tee prefixes each worker's lines with its rank, such as `[default0]:`.
      const line = raw.replace(/^\[[^\]]*\]:/, "");
      let parsed: Record<string, unknown> | undefined;
      try {
        parsed = line.startsWith("{") ? (JSON.parse(line) as Record<string, unknown>) : undefined;
      } catch {
        parsed = undefined;
      }
      if (parsed !== undefined && typeof parsed["epoch"] === "number") run.progress.epochEnd(parsed["epoch"], run.settings.epochs, numeric(parsed));
      else if (parsed !== undefined && typeof parsed["device"] === "string") {
        const processes = parsed["processes"] as number;
        run.progress.message(`engine: pytorch ${String(parsed["torch"])} on ${parsed["device"]}${processes > 1 ? `, ${processes} processes` : ""}`);
      } else process.stderr.write(raw + "\n");
    });
    child.on("close", (code) => resolve(code));
  });
}

function numeric(logs: Record<string, unknown>): EpochLogs {
  return Object.fromEntries(Object.entries(logs).filter((entry): entry is [string, number] => typeof entry[1] === "number"));
}

/** train.py's log, one entry per epoch (a resumed run's repeated epochs replace the earlier ones). */
function readLog(path: string): EpochLogs[] {
  if (!existsSync(path)) return [];
  const byEpoch = new Map<number, EpochLogs>();
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    const logs = numeric(JSON.parse(line) as Record<string, unknown>);
    byEpoch.set(logs["epoch"]!, logs);
  }
  return [...byEpoch.values()].sort((a, b) => a["epoch"]! - b["epoch"]!);
}

/** --init's weights as a whole state_dict of model.py, written into DIR: the layers they leave out as the tfjs engine would start them. */
async function writeInitialState(run: PytorchTraining, dir: string): Promise<string> {
  const { loadTfjs } = await import("../runtime/backend.js");
  const { modelWithWeights } = await import("../convert/convert.js");
  const { tf } = await loadTfjs("cpu");
  const path = join(dir, "init.pt");
  writeFileSync(path, (await modelWithWeights(tf, run.ir, run.spec, run.initialWeights!)).torch());
  return path;
}

export async function trainWithPytorch(run: PytorchTraining): Promise<number> {
  const python = findPython(run.python);
  const { out, progress, prepared, settings } = run;
  if (run.resume && !existsSync(join(out, "checkpoint.pt"))) throw new ResumeError(`--resume: ${out} has no checkpoint.pt to resume from; run without --resume to start`);
  const fingerprint = settingsFingerprint(settings, run.spec, prepared.train.count);
  if (run.resume) {
    const settingsPath = join(out, SETTINGS_FILE);
    // A checkpoint from before settings.json was written cannot be checked, only trusted.
    if (existsSync(settingsPath)) checkResumable(readFileSync(settingsPath, "utf8"), fingerprint, out);
  }
  mkdirSync(out, { recursive: true });
  if (!run.resume) {
    for (const name of RUN_FILES) rmSync(join(out, name), { force: true });
    writeFileSync(join(out, SETTINGS_FILE), fingerprint);
  }
  const scripts = join(out, "pytorch");
  writeFilesAtomically(scripts, emitPytorch({ ir: { ...run.ir, train: undefined }, sourceFile: basename(run.file), doc: run.doc, train: settings }));

  // The prepared arrays are large (Fashion-MNIST padded to 32×32 is 250 MB as float32) and
  // are made again on every run, so they live in a temporary folder.
  const data = mkdtempSync(join(tmpdir(), "cnnc-pytorch-data-"));
  try {
    const [trainImages, trainLabels] = writeSplit(data, "train", prepared.train);
    const args = [join(scripts, "train.py"), "--train-images", trainImages!, "--train-labels", trainLabels!, "--out", out];
    if (prepared.validation) {
      const [images, labels] = writeSplit(data, "val", prepared.validation);
      args.push("--val-images", images!, "--val-labels", labels!);
    }
    if (prepared.test) {
      const [images, labels] = writeSplit(data, "test", prepared.test);
      args.push("--test-images", images!, "--test-labels", labels!);
    }
    if (run.resume) args.push("--resume");
    if (run.initialWeights !== undefined) args.push("--init", await writeInitialState(run, data));
    const distributed = (run.nproc ?? 1) > 1 || run.nnodes !== undefined || run.rdzvEndpoint !== undefined;
    const env = { ...process.env };
    // Gloo finds its network interface through the host name, which may not resolve on a
    // machine without DNS; on one machine the loopback interface always works.
    if (distributed && run.nnodes === undefined && env["GLOO_SOCKET_IFNAME"] === undefined) env["GLOO_SOCKET_IFNAME"] = "lo";
    // Ctrl-C reaches train.py too (same process group), which saves a checkpoint after its
    // current step (a second Ctrl-C quits it at once); this process waits for it to end.
    let interrupted = false;
    const onSigint = (): void => {
      if (!interrupted) progress.message("Ctrl-C: saving a checkpoint after this step (press again to quit without saving)");
      interrupted = true;
    };
    process.on("SIGINT", onSigint);
    let code: number | null;
    try {
      code = await runTrainPy(python, distributed ? [...torchrunArgs(run), ...args] : args, env, run);
    } finally {
      process.off("SIGINT", onSigint);
    }
    if (code !== 0) {
      const kept = existsSync(join(out, "checkpoint.pt")) ? `; the last checkpoint is in ${out}/checkpoint.pt: continue with --resume` : "";
      process.stderr.write(`${interrupted ? "interrupted" : `error: train.py ${code === null ? "was killed" : `exited with code ${code}`}`}${kept}\n`);
      return interrupted ? 130 : 1;
    }
  } finally {
    rmSync(data, { recursive: true, force: true });
  }

  const result = JSON.parse(readFileSync(join(out, "result.json"), "utf8")) as { status: string; test?: Record<string, number> };
  const history = readLog(join(out, "log.jsonl"));
  const { loadTfjs } = await import("../runtime/backend.js");
  const { makeObjective } = await import("../train/objective.js");
  const { matchTorchFile, modelWithWeights } = await import("../convert/convert.js");
  const { tf } = await loadTfjs("cpu");
  const objective = makeObjective(tf, settings, run.training.lastOp, run.training.classes);
  const training: TrainingMetadata = { ...run.training, fromLogits: objective.fromLogits };
  const metadata = { cnnc: { model: run.ir.model, source: basename(run.file), params: run.ir.params, macs: run.ir.macs, engine: "pytorch" }, training };
  // model.pt holds model.py's own keys, so every layer matches by name.
  const { weights } = matchTorchFile(run.ir, run.spec, new Uint8Array(readFileSync(join(out, "model.pt"))));
  const model = (await modelWithWeights(tf, run.ir, run.spec, weights, metadata)).tfjs;
  const summary = { model: run.ir.model, engine: "pytorch", status: result.status, settings, epochs: history, ...(result.test ? { test: result.test } : {}) };
  const written = writeFilesAtomically(out, {
    ...model,
    "history.json": JSON.stringify(summary, null, 2) + "\n",
    "history.svg": plotHistory(history, settings.metrics[0] ? metricKey(settings.metrics[0]) : undefined, `${run.ir.model}: ${history.length} epoch${history.length === 1 ? "" : "s"} (PyTorch)`),
  });
  process.stdout.write(historyTable(history));
  if (result.test) {
    const { loss, ...metrics } = result.test;
    process.stdout.write(`test (${prepared.test!.count} images): loss ${loss!.toFixed(4)}${Object.entries(metrics).map(([k, v]) => `, ${k} ${v.toFixed(4)}`).join("")}\n`);
  }
  if (result.status === "stopped early") progress.message(`early stopping: ${settings.earlyStopping!.config["monitor"]} did not improve for ${settings.earlyStopping!.config["patience"]} epochs`);
  process.stdout.write(`saved ${[...written, join(out, "model.pt"), join(out, "checkpoint.pt")].join(", ")}\n`);
  return 0;
}
