// The tfjs backend for training in Node, with cnnc's gradient kernels registered.

import type { Tf } from "../runtime/tf.js";
import { loadTfjs, machineProbe, chooseBackend, type BackendRequest } from "../runtime/backend.js";

type PrepareTraining = (tf: Tf, backend: string) => unknown;

/** The gradient kernels of src/kernels, loaded only when training (a literal specifier, so the CLI bundle carries them). */
async function trainingKernels(): Promise<PrepareTraining | undefined> {
  const module = (await import("../kernels/index.js")) as { prepareTraining?: PrepareTraining };
  return module.prepareTraining;
}

export interface TrainingBackend {
  tf: Tf;
  backend: string;
  reason: string;
}

/**
 * Loads tfjs for training. Stock wasm cannot train convolutions (it has no
 * Conv2DBackpropFilter), so without cnnc's kernels `auto` falls back from wasm to cpu.
 */
export async function loadTrainingBackend(request: BackendRequest): Promise<TrainingBackend> {
  const prepare = await trainingKernels();
  let effective = request;
  let note = "";
  if (request === "auto" && prepare === undefined && chooseBackend("auto", machineProbe).backend === "wasm") {
    effective = "cpu";
    note = "; wasm cannot train convolutions without cnnc's gradient kernels, so using cpu";
  }
  const loaded = await loadTfjs(effective);
  if (prepare) await prepare(loaded.tf, loaded.backend);
  // A fallback was not requested: its own note is the whole reason, not chooseBackend's "requested with --backend".
  const reason = effective === request ? loaded.reason + note : note.slice(2);
  return { tf: loaded.tf, backend: loaded.backend, reason: reason + (prepare ? "; cnnc's training kernels registered" : "") };
}
