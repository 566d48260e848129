// cnnc's training kernels, registered through tfjs's public kernel registry. Nothing here
// needs Node: a browser app registers them with `cnnc/kernels` to train convolutions on
// tfjs's cpu or wasm backend (webgl and webgpu have their own gradient kernels).

import type { GradConfig, KernelConfig } from "@tensorflow/tfjs";
import type { Tf } from "../runtime/tf.js";
import type { TrainingBackendName } from "./context.js";
import { useFusedBatchNormLayer } from "./batchnorm-layer.js";
import { trainingGradients } from "./gradients.js";
import { trainingKernels } from "./register.js";

/** Marks kernel configs that cnnc registered, so preparing twice changes nothing. */
const CNNC_KERNEL = Symbol.for("cnnc.kernel");

export const isTrainingBackend = (name: string): name is TrainingBackendName => name === "cpu" || name === "wasm";

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

/**
 * Registers cnnc's kernels for a backend (`cpu` or `wasm`; others need none and are left as
 * they are) and the dilation-aware conv gradients. Idempotent.
 */
export function registerTrainingKernels(tf: Tf, backendName: string = tf.getBackend()): void {
  if (!isTrainingBackend(backendName)) return;
  for (const config of trainingKernels(tf, backendName, (kernelName) => stockKernel(tf, kernelName, backendName))) {
    if (isCnncKernel(tf, config.kernelName, backendName)) continue;
    if (tf.getKernel(config.kernelName, backendName) !== undefined) tf.unregisterKernel(config.kernelName, backendName);
    tf.registerKernel({ ...config, [CNNC_KERNEL]: true } as KernelConfig);
  }
  registerGradients(tf);
  useFusedBatchNormLayer(tf, () => hasTrainingKernels(tf, tf.getBackend()));
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
