// Checkpoints: the model, the optimizer's state and the run's progress, saved at every
// epoch end (and on Ctrl-C, mid-epoch), such that a kill at any moment leaves the last
// complete one readable. Each checkpoint is a fresh folder written with
// writeFilesAtomically; only then does the small pointer file `latest.json` switch to it
// (one rename, atomic), and only after that is the previous folder removed.

import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeFilesAtomically } from "../emit/write-files.js";
import type { PlateauState, StoppingState } from "./schedule.js";

export type EpochLogs = Record<string, number>;

export interface RunState {
  /** Epochs finished. */
  epoch: number;
  /** Steps finished in the epoch after `epoch` (non-zero only for a checkpoint taken on Ctrl-C). */
  step: number;
  /** Sums of the unfinished epoch so far: loss×images, hits per metric, images seen. */
  partial?: { loss: number; hits: number[]; seen: number; seconds: number };
  history: EpochLogs[];
  learningRate: number;
  plateau?: PlateauState;
  stopping: StoppingState;
  /** The settings the run started with, so a resume can tell when flags changed them. */
  fingerprint: string;
}

export interface CheckpointFiles {
  "model.json": string;
  "weights.bin": Uint8Array;
  "optimizer.json": string;
  "optimizer.bin": Uint8Array;
  "state.json": string;
}

/** Where a run keeps its checkpoints and its results (`folderStore` below writes a folder; the playground keeps them in memory). */
export interface RunStore {
  /** Where the results go, in words: the output folder. */
  readonly where: string;
  /** Where the checkpoints are, in words, for messages. */
  readonly checkpointPlace: string;
  readCheckpoint(): LoadedCheckpoint | undefined;
  writeCheckpoint(files: Omit<CheckpointFiles, "state.json">, state: RunState): void;
  /** Keeps the run's final files, returning their names as the user should see them. */
  writeResults(files: Record<string, string | Uint8Array>): string[];
}

export const CHECKPOINT_DIR = "checkpoints";

function checkpointName(state: RunState): string {
  return `epoch-${String(state.epoch).padStart(4, "0")}${state.step > 0 ? `-step-${String(state.step).padStart(6, "0")}` : ""}`;
}

export function writeCheckpoint(outDir: string, files: Omit<CheckpointFiles, "state.json">, state: RunState): string {
  const root = join(outDir, CHECKPOINT_DIR);
  writeFilesAtomically(outDir, {});
  const name = checkpointName(state);
  writeFilesAtomically(root, {});
  // The state goes in last, under the same rename pass, so a folder with state.json is complete.
  writeFilesAtomically(join(root, name), { ...files, "state.json": JSON.stringify(state) });
  writeFilesAtomically(root, { "latest.json": JSON.stringify({ checkpoint: name, epoch: state.epoch, step: state.step }) + "\n" });
  for (const entry of readdirSync(root)) if (entry !== name && entry !== "latest.json") rmSync(join(root, entry), { recursive: true, force: true });
  return join(root, name);
}

export interface LoadedCheckpoint {
  dir: string;
  state: RunState;
  modelJson: string;
  weights: Uint8Array;
  optimizerSpecs: { name: string; shape: number[]; dtype: string }[];
  optimizerData: Uint8Array;
}

export function readCheckpoint(outDir: string): LoadedCheckpoint | undefined {
  const pointer = join(outDir, CHECKPOINT_DIR, "latest.json");
  if (!existsSync(pointer)) return undefined;
  const { checkpoint } = JSON.parse(readFileSync(pointer, "utf8")) as { checkpoint: string };
  const dir = join(outDir, CHECKPOINT_DIR, checkpoint);
  const read = (name: string): Buffer => readFileSync(join(dir, name));
  return {
    dir,
    state: JSON.parse(read("state.json").toString("utf8")) as RunState,
    modelJson: read("model.json").toString("utf8"),
    weights: new Uint8Array(read("weights.bin")),
    optimizerSpecs: JSON.parse(read("optimizer.json").toString("utf8")) as LoadedCheckpoint["optimizerSpecs"],
    optimizerData: new Uint8Array(read("optimizer.bin")),
  };
}

/** A run kept in a folder: the results in it, the checkpoints in its `checkpoints/`. */
export function folderStore(outDir: string): RunStore {
  return {
    where: outDir,
    checkpointPlace: join(outDir, CHECKPOINT_DIR),
    readCheckpoint: () => readCheckpoint(outDir),
    writeCheckpoint: (files, state) => void writeCheckpoint(outDir, files, state),
    writeResults: (files) => writeFilesAtomically(outDir, files),
  };
}
