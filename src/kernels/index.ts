// Training on the cpu and wasm backends. Stock tfjs cannot train convolutions there: wasm
// has no Conv2DBackpropFilter (and no depthwise backward kernels), its MaxPoolGrad loses
// windows whose maximum is negative, and the cpu backward kernels read element by element
// (a LeNet-5 step takes seconds). `prepareTraining` registers cnnc's kernels through
// tfjs's public kernel registry; see conv.ts and loops.ts for how they compute.

import type { Tf } from "../runtime/tf.js";
import { PACKAGES, type Backend, type BackendChoice, type BackendProbe } from "../runtime/backend.js";
import { isTrainingBackend, registerTrainingKernels } from "./install.js";
import { registerThreadedWasm, wasmThreadCount } from "./wasm-threads.js";

export { registerThreadedWasm, wasmThreadCount } from "./wasm-threads.js";
export {
  explainKernelError,
  hasTrainingKernels,
  MissingKernelError,
  registerTrainingKernels,
  trainingKernelNames,
  withTrainingKernels,
  withTrainingKernelsAsync,
} from "./install.js";

export interface PrepareOptions {
  /**
   * Threads for the wasm backend's XNNPACK pool; 1 keeps tfjs's single-threaded build.
   * Defaults to the machine's logical cores (at most 8).
   */
  threads?: number;
}

/**
 * Registers cnnc's kernels for a backend (`cpu` or `wasm`; other backends need none) and
 * the dilation-aware conv gradients. On wasm it also switches to the multi-threaded
 * build when no tensor lives on the backend yet. Idempotent. Call it after `loadTfjs`
 * and before building the model.
 */
export async function prepareTraining(tf: Tf, backend: Backend | string, options: PrepareOptions = {}): Promise<void> {
  const name = backend === "gpu" || backend === "tensorflow" ? "tensorflow" : backend;
  if (!isTrainingBackend(name)) return;
  if (name === "wasm" && (options.threads ?? 2) > 1 && wasmThreadCount() < 2 && tf.getBackend() === "wasm" && tf.memory().numTensors === 0) {
    // Swapping backends would orphan live tensors, so only an empty backend is replaced.
    if (registerThreadedWasm(tf, options.threads)) {
      if (!(await tf.setBackend("wasm"))) throw new Error("tfjs could not start its threaded wasm backend");
      await tf.ready();
    }
  }
  registerTrainingKernels(tf, name);
}

/**
 * The fastest backend that trains correctly on this machine: tfjs-node-gpu with a usable
 * GPU, then tfjs-node (native TensorFlow), then WebAssembly with cnnc's kernels (XNNPACK,
 * all cores), then plain JavaScript with cnnc's kernels. Measured on a 2-core machine,
 * wasm trains LeNet-5 and ResNet-20 several times faster than cpu (bench/RESULTS.md).
 */
export function fastestTrainingBackend(probe: BackendProbe): BackendChoice {
  const skipped: string[] = [];
  if (probe.installed(PACKAGES.gpu)) {
    if (probe.gpuUsable()) return { backend: "gpu", reason: `${PACKAGES.gpu} is installed and a GPU is usable` };
    skipped.push(`${PACKAGES.gpu} is installed but no GPU is usable`);
  }
  if (probe.installed(PACKAGES.tensorflow)) return { backend: "tensorflow", reason: [...skipped, `${PACKAGES.tensorflow} (native TensorFlow) is installed`].join("; ") };
  if (probe.installed(PACKAGES.wasm)) return { backend: "wasm", reason: [...skipped, "training on WebAssembly (XNNPACK) with cnnc's gradient kernels, the fastest backend without native TensorFlow"].join("; ") };
  return { backend: "cpu", reason: [...skipped, `${PACKAGES.wasm} is not installed; training on plain JavaScript with cnnc's gradient kernels`].join("; ") };
}

