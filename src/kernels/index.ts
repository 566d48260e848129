// Training on the cpu and wasm backends. Stock tfjs cannot train convolutions there: wasm
// has no Conv2DBackpropFilter (and no depthwise backward kernels), its MaxPoolGrad loses
// windows whose maximum is negative, and the cpu backward kernels read element by element
// (a LeNet-5 step takes seconds). `prepareTraining` registers cnnc's kernels through
// tfjs's public kernel registry; see conv.ts and loops.ts for how they compute.

import type { GradConfig, KernelConfig } from "@tensorflow/tfjs";
import type { Tf } from "../emit/tfjs-build.js";
import { PACKAGES, type Backend, type BackendChoice, type BackendProbe } from "../runtime/backend.js";
import type { TrainingBackendName } from "./context.js";
import { trainingGradients } from "./gradients.js";
import { trainingKernels } from "./register.js";
import { registerThreadedWasm, wasmThreadCount } from "./wasm-threads.js";

export { registerThreadedWasm, wasmThreadCount } from "./wasm-threads.js";

/** Marks kernel configs that cnnc registered, so preparing twice changes nothing. */
const CNNC_KERNEL = Symbol.for("cnnc.kernel");

const isTrainingBackend = (name: string): name is TrainingBackendName => name === "cpu" || name === "wasm";

function isCnncKernel(tf: Tf, kernelName: string, backendName: string): boolean {
  const config = tf.getKernel(kernelName, backendName) as (KernelConfig & { [CNNC_KERNEL]?: boolean }) | undefined;
  return config?.[CNNC_KERNEL] === true;
}

/** Whether cnnc's training kernels are registered for a tfjs backend. */
export function hasTrainingKernels(tf: Tf, backendName: string): boolean {
  return isTrainingBackend(backendName) && isCnncKernel(tf, "Conv2DBackpropFilter", backendName);
}

/** tfjs's own kernels, captured before cnnc first replaced them, by backend and name. */
const stockKernels = new Map<string, KernelConfig | undefined>();

function stockKernel(tf: Tf, kernelName: string, backendName: string): KernelConfig | undefined {
  const key = `${backendName}/${kernelName}`;
  if (!stockKernels.has(key) && !isCnncKernel(tf, kernelName, backendName)) stockKernels.set(key, tf.getKernel(kernelName, backendName));
  return stockKernels.get(key);
}

/** The kernel names cnnc registers for a backend (for reports and tests). */
export function trainingKernelNames(tf: Tf, backendName: TrainingBackendName): string[] {
  return trainingKernels(tf, backendName, (name) => stockKernel(tf, name, backendName)).map((k) => k.kernelName);
}

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
  for (const config of trainingKernels(tf, name, (kernelName) => stockKernel(tf, kernelName, name))) {
    if (isCnncKernel(tf, config.kernelName, name)) continue;
    if (tf.getKernel(config.kernelName, name) !== undefined) tf.unregisterKernel(config.kernelName, name);
    tf.registerKernel({ ...config, [CNNC_KERNEL]: true } as KernelConfig);
  }
  registerGradients(tf);
}

/** tfjs's own gradient configs, captured before cnnc first replaced them. */
const stockGradients = new Map<string, GradConfig>();

function registerGradients(tf: Tf): void {
  const hasKernels = (backendName: string): boolean => hasTrainingKernels(tf, backendName);
  const stock = (kernelName: string): GradConfig => {
    const config = stockGradients.get(kernelName);
    if (config === undefined) throw new Error(`cnnc kernel bug: tfjs's gradient of ${kernelName} was not captured`);
    return config;
  };
  const gradients = trainingGradients(tf, stock, hasKernels);
  for (const gradient of gradients) {
    const current = tf.getGradient(gradient.kernelName) as (GradConfig & { [CNNC_KERNEL]?: boolean }) | undefined;
    if (current?.[CNNC_KERNEL] === true) continue;
    if (current !== undefined) stockGradients.set(gradient.kernelName, current);
    tf.registerGradient({ ...gradient, [CNNC_KERNEL]: true } as GradConfig);
  }
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

/** A kernel that training needs is missing on the active backend. */
export class MissingKernelError extends Error {
  constructor(
    readonly kernelName: string,
    readonly backendName: string,
    options?: { cause?: unknown },
  ) {
    const hint = isTrainingBackend(backendName)
      ? `cnnc registers its own kernels for ${backendName} with prepareTraining(), but not ${kernelName}, so this model cannot train there; try another --backend`
      : `this backend has no ${kernelName}; try --backend wasm`;
    super(`training needs tfjs's ${kernelName} kernel, which backend \`${backendName}\` does not provide: ${hint}`, options);
  }
}

const MISSING_KERNEL = /Kernel '([^']+)' not registered for backend '([^']+)'/;

/** Turns tfjs's "Kernel 'X' not registered for backend 'Y'" into a MissingKernelError; other errors pass through. */
export function explainKernelError(error: unknown): unknown {
  const match = error instanceof Error ? MISSING_KERNEL.exec(error.message) : null;
  return match ? new MissingKernelError(match[1]!, match[2]!, { cause: error }) : error;
}

/** Runs `step`, reporting a missing kernel as a MissingKernelError. */
export function withTrainingKernels<T>(step: () => T): T {
  try {
    return step();
  } catch (error) {
    throw explainKernelError(error);
  }
}

/** The asynchronous form of `withTrainingKernels`, for `model.fit` and friends. */
export async function withTrainingKernelsAsync<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw explainKernelError(error);
  }
}
