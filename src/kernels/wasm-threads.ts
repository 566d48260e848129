// Registers tfjs's multi-threaded WebAssembly build as the `wasm` backend, so that
// XNNPACK's convolutions and matrix products use every core.
//
// tfjs-backend-wasm ships the threaded build but cannot start it in Node: it hands
// Emscripten the pthread worker as a `blob:` URL, which Node's Worker rejects. Here the
// worker script (shipped as a string) is written to a file once, and the threaded module
// is created with a locateFile that points at it. Two more quirks are handled:
// - the wasm module caps its thread pool at half the logical cores (it assumes two
//   hyper-threads per core), reading os.cpus() while it initialises; os.cpus is widened
//   for exactly that moment;
// - the pool's workers keep Node alive; they are unref'd so the process exits when its
//   own work is done.

import { createHash } from "node:crypto";
import { existsSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import { dirname, join } from "node:path";
import type { KernelBackend } from "@tensorflow/tfjs";
import type { Tf } from "../runtime/tf.js";

const require = createRequire(import.meta.url);

interface EmscriptenWorker {
  unref(): void;
}

interface ThreadedModule {
  cwrap(name: string, returnType: string | null, argTypes: string[]): (...args: number[]) => number;
  PThread?: { unusedWorkers: EmscriptenWorker[]; runningWorkers: EmscriptenWorker[] };
  tfjs?: Record<string, unknown>;
}

interface WasmPackage {
  BackendWasm: new (module: ThreadedModule) => KernelBackend;
  setThreadsCount(threads: number): void;
  getThreadsCount(): number;
}

/** Writes the pthread worker script where Node's Worker can load it, once per content. */
function workerScriptPath(): string {
  const { wasmWorkerContents } = require("@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js") as { wasmWorkerContents: string };
  // The string was built from a template literal, which turned the script's "\n" escapes
  // into real newlines inside string literals; tfjs escapes them back the same way.
  const script = wasmWorkerContents.replace(/\n/g, "\\n");
  const digest = createHash("sha256").update(script).digest("hex").slice(0, 16);
  const path = join(os.tmpdir(), `cnnc-tfjs-wasm-worker-${digest}.cjs`);
  if (!existsSync(path)) {
    const partial = `${path}.${process.pid}.tmp`;
    writeFileSync(partial, script);
    renameSync(partial, path);
  }
  return path;
}

async function createThreadedModule(): Promise<ThreadedModule> {
  const factory = require("@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js") as (config: object) => Promise<ThreadedModule>;
  const binary = join(dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist", "tfjs-backend-wasm-threaded-simd.wasm");
  const worker = workerScriptPath();
  const cpus = os.cpus;
  const before = new Set<unknown>([...process.listeners("uncaughtException"), ...process.listeners("unhandledRejection")]);
  os.cpus = () => {
    const real = cpus();
    return [...real, ...real];
  };
  try {
    const module = await factory({
      locateFile: (path: string, prefix: string) => (path.endsWith(".worker.js") ? worker : path.endsWith(".wasm") ? binary : prefix + path),
    });
    // The same bridge tfjs-backend-wasm's own init() installs.
    module.tfjs = {
      init: module.cwrap("init", null, []),
      initWithThreadsCount: module.cwrap("init_with_threads_count", null, ["number"]),
      getThreadsCount: module.cwrap("get_threads_count", "number", []),
      registerTensor: module.cwrap("register_tensor", null, ["number", "number", "number"]),
      disposeData: module.cwrap("dispose_data", null, ["number"]),
      dispose: module.cwrap("dispose", null, []),
    };
    return module;
  } finally {
    os.cpus = cpus;
    // Emscripten installs handlers that rethrow any uncaught error from inside its
    // minified source, which then prints as the error's context; Node's own reporting is clearer.
    for (const listener of process.listeners("uncaughtException")) if (!before.has(listener)) process.removeListener("uncaughtException", listener);
    for (const listener of process.listeners("unhandledRejection")) if (!before.has(listener)) process.removeListener("unhandledRejection", listener);
  }
}

/** How many threads the active wasm backend's XNNPACK pool runs (1 for the stock build). */
export function wasmThreadCount(): number {
  try {
    return (require("@tensorflow/tfjs-backend-wasm") as WasmPackage).getThreadsCount();
  } catch {
    return 1;
  }
}

/**
 * Replaces the registered `wasm` backend factory with the threaded build. Call before
 * the wasm backend is first used; a backend already initialised keeps running until it
 * is removed. Returns false where the machine has a single core or the build is missing.
 */
export function registerThreadedWasm(tf: Tf, threads = Math.min(os.cpus().length, 8)): boolean {
  if (threads < 2 || typeof SharedArrayBuffer === "undefined") return false;
  let wasm: WasmPackage;
  try {
    wasm = require("@tensorflow/tfjs-backend-wasm") as WasmPackage;
    require.resolve("@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js");
  } catch {
    return false;
  }
  tf.removeBackend("wasm");
  tf.registerBackend(
    "wasm",
    async () => {
      const module = await createThreadedModule();
      wasm.setThreadsCount(threads);
      const backend = new wasm.BackendWasm(module);
      for (const worker of [...(module.PThread?.unusedWorkers ?? []), ...(module.PThread?.runningWorkers ?? [])]) worker.unref();
      return backend;
    },
    2,
  );
  return true;
}
