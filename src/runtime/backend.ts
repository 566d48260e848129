// Chooses and loads the TensorFlow.js backend. `auto` prefers tfjs-node-gpu (when it is
// installed and a GPU is usable), then tfjs-node, then WebAssembly, then plain CPU, and
// says which one runs and why. The optional packages are loaded only when present.

import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import type { Tf } from "./tf.js";

export const BACKENDS = ["auto", "cpu", "wasm", "tensorflow", "gpu"] as const;
export type BackendRequest = (typeof BACKENDS)[number];
export type Backend = Exclude<BackendRequest, "auto">;

/** What the machine offers; injected so the selection logic is testable. */
export interface BackendProbe {
  installed(pkg: string): boolean;
  gpuUsable(): boolean;
}

export const PACKAGES: Record<Backend, string> = {
  gpu: "@tensorflow/tfjs-node-gpu",
  tensorflow: "@tensorflow/tfjs-node",
  wasm: "@tensorflow/tfjs-backend-wasm",
  cpu: "@tensorflow/tfjs",
};

/**
 * tfjs-node-gpu 4.x is the only GPU path inside Node, and an old one: libtensorflow 2.9.1,
 * built for CUDA 11.2 and cuDNN 8.1. The living GPU paths are named wherever it fails.
 */
const OTHER_GPU_PATHS =
  "other GPU paths: tfjs's webgl and webgpu backends in a browser (any GPU; bundle the model with cnnc/vite or cnnc/esbuild, or `cnnc build --target ts`), or `cnnc build --target pytorch`, whose train.py runs on CUDA under torchrun";

const HOW_TO_GET: Record<Backend, string> = {
  gpu: `install it with \`npm install @tensorflow/tfjs-node-gpu\`; its install script downloads libtensorflow 2.9.1 for GPU, and it needs Linux x64 with an NVIDIA GPU, CUDA 11.2 and cuDNN 8.1 (not newer); ${OTHER_GPU_PATHS}`,
  tensorflow: "install it with `npm install @tensorflow/tfjs-node`; its install script downloads libtensorflow 2.9.1, so the machine needs internet access during the install",
  wasm: "install it with `npm install @tensorflow/tfjs-backend-wasm`",
  cpu: "install it with `npm install @tensorflow/tfjs`",
};

export class BackendUnavailable extends Error {}

export interface BackendChoice {
  backend: Backend;
  reason: string;
}

export function chooseBackend(request: BackendRequest, probe: BackendProbe): BackendChoice {
  if (request !== "auto") {
    if (!probe.installed(PACKAGES[request])) {
      throw new BackendUnavailable(`backend \`${request}\` needs ${PACKAGES[request]}, which is not installed: ${HOW_TO_GET[request]}`);
    }
    if (request === "gpu" && !probe.gpuUsable()) {
      throw new BackendUnavailable(`backend \`gpu\` needs a usable NVIDIA GPU (no /dev/nvidia0 or nvidia-smi found), with CUDA 11.2 and cuDNN 8.1 for tfjs-node-gpu 4.x; ${OTHER_GPU_PATHS}`);
    }
    return { backend: request, reason: "requested with --backend" };
  }
  const skipped: string[] = [];
  if (probe.installed(PACKAGES.gpu)) {
    if (probe.gpuUsable()) return { backend: "gpu", reason: `${PACKAGES.gpu} is installed and a GPU is usable` };
    skipped.push(`${PACKAGES.gpu} is installed but no GPU is usable`);
  } else skipped.push(`${PACKAGES.gpu} is not installed`);
  if (probe.installed(PACKAGES.tensorflow)) return { backend: "tensorflow", reason: `${[...skipped, `${PACKAGES.tensorflow} is installed`].join("; ")}` };
  skipped.push(`${PACKAGES.tensorflow} is not installed`);
  if (probe.installed(PACKAGES.wasm)) return { backend: "wasm", reason: `${[...skipped, "using WebAssembly"].join("; ")}` };
  skipped.push(`${PACKAGES.wasm} is not installed`);
  return { backend: "cpu", reason: `${[...skipped, "using the plain JavaScript CPU backend"].join("; ")}` };
}

const require = createRequire(import.meta.url);

export const machineProbe: BackendProbe = {
  installed(pkg) {
    try {
      require.resolve(`${pkg}/package.json`);
      return true;
    } catch {
      return false;
    }
  },
  gpuUsable() {
    return existsSync("/dev/nvidia0") || existsSync("/dev/nvidiactl");
  },
};

export interface LoadedTfjs extends BackendChoice {
  tf: Tf;
}

/** Imports tfjs with the chosen backend, initialised and ready. */
export async function loadTfjs(request: BackendRequest, probe: BackendProbe = machineProbe): Promise<LoadedTfjs> {
  const choice = chooseBackend(request, probe);
  let tf: Tf;
  if (choice.backend === "gpu" || choice.backend === "tensorflow") {
    // The native packages re-export tfjs with their backend registered. Importing one loads
    // libtensorflow, which fails when its CUDA or cuDNN libraries are missing or too new.
    try {
      tf = (await import(PACKAGES[choice.backend])) as Tf;
    } catch (error) {
      const needs = choice.backend === "gpu" ? `CUDA 11.2 and cuDNN 8.1 on the library path; ${OTHER_GPU_PATHS}` : "the libtensorflow its install script downloads; reinstall it with internet access";
      throw new BackendUnavailable(`${PACKAGES[choice.backend]} is installed but does not load (${error instanceof Error ? error.message.split("\n")[0] : String(error)}): it needs ${needs}`);
    }
  } else {
    tf = await import("@tensorflow/tfjs");
    if (choice.backend === "wasm") await import("@tensorflow/tfjs-backend-wasm");
  }
  // cnnc reports the backend itself; tfjs's own "install tfjs-node" banner would only confuse.
  tf.env().set("PROD", true);
  const name = { gpu: "tensorflow", tensorflow: "tensorflow", wasm: "wasm", cpu: "cpu" }[choice.backend];
  if (!(await tf.setBackend(name))) throw new BackendUnavailable(`tfjs could not start its ${name} backend`);
  await tf.ready();
  return { ...choice, tf };
}
