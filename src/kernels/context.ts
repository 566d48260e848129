// What a cnnc kernel needs from the backend it runs on: float32 storage it can read and
// write as typed arrays, the backend's own kernels (to run the fast forward convolution on
// rearranged tensors), and disposal of intermediates. The cpu and wasm backends store
// tensors differently (JavaScript arrays against offsets into the wasm heap); this is the
// only place that knows.

import type { KernelBackend, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from "@tensorflow/tfjs";
import type { Tf } from "../runtime/tf.js";

export type TrainingBackendName = "cpu" | "wasm";

export interface KernelContext {
  readonly tf: Tf;
  readonly backendName: TrainingBackendName;
  readonly backend: KernelBackend;
  /** Runs a kernel registered for this backend and returns its output. */
  run(kernelName: string, inputs: NamedTensorInfoMap, attrs?: NamedAttrMap): TensorInfo;
  /** New float32 storage with unspecified contents. */
  alloc(shape: number[]): TensorInfo;
  /** New float32 storage filled with zeros. */
  zeros(shape: number[]): TensorInfo;
  /**
   * The float32 values of a tensor, without copying. On wasm the view is invalidated by
   * the next allocation (the heap may grow), so take views after allocating.
   */
  data(info: TensorInfo): Float32Array;
  /** Releases an intermediate created by `alloc`, `zeros` or `run`. */
  dispose(info: TensorInfo): void;
  /**
   * On wasm: a tensor over `shape`'s worth of another tensor's storage from element
   * `offset` on, without copying, for the backend's kernels to read. Give it back with
   * `release` (never `dispose`) before the storage it looks into is disposed.
   */
  view?(info: TensorInfo, offset: number, shape: number[]): TensorInfo;
  release?(view: TensorInfo): void;
}

/** The same storage under another shape of equal size (never disposed on its own). */
export function reshaped(info: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: info.dataId, shape, dtype: info.dtype };
}

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

interface CpuBackend extends KernelBackend {
  data: { get(dataId: object): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: "float32", values: Float32Array): TensorInfo;
}

/** The parts of tfjs-backend-wasm's BackendWasm that cnnc's kernels use. */
interface WasmBackend extends KernelBackend {
  dataIdMap: { get(dataId: object): { id: number; memoryOffset: number }; delete(dataId: object): boolean };
  wasm: { HEAPU8: Uint8Array; wasmMemory?: WebAssembly.Memory; tfjs: { disposeData(id: number): void } };
  makeOutput(shape: number[], dtype: "float32", memoryOffset?: number): TensorInfo;
}

export function kernelContext(tf: Tf, backendName: TrainingBackendName, backend: KernelBackend): KernelContext {
  const run = (kernelName: string, inputs: NamedTensorInfoMap, attrs: NamedAttrMap = {}): TensorInfo => {
    const kernel = tf.getKernel(kernelName, backendName);
    if (kernel === undefined) throw new Error(`cnnc's ${backendName} kernels need tfjs's ${kernelName} kernel, which is not registered`);
    const out = kernel.kernelFunc({ inputs, attrs, backend });
    return Array.isArray(out) ? out[0]! : out;
  };
  const dispose = (info: TensorInfo): void => void backend.disposeData(info.dataId);
  if (backendName === "cpu") {
    const cpu = backend as CpuBackend;
    return {
      tf,
      backendName,
      backend,
      run,
      alloc: (shape) => cpu.makeTensorInfo(shape, "float32", new Float32Array(size(shape))),
      zeros: (shape) => cpu.makeTensorInfo(shape, "float32", new Float32Array(size(shape))),
      data: (info) => cpu.data.get(info.dataId).values,
      dispose,
    };
  }
  const wasm = backend as WasmBackend;
  // The threaded build's heap is a growable SharedArrayBuffer: the memory object always
  // has the current buffer, while HEAPU8 is refreshed only when the main thread grows it.
  const heap = (): ArrayBufferLike => wasm.wasm.wasmMemory?.buffer ?? wasm.wasm.HEAPU8.buffer;
  const data = (info: TensorInfo): Float32Array => new Float32Array(heap(), wasm.dataIdMap.get(info.dataId).memoryOffset, size(info.shape));
  return {
    tf,
    backendName,
    backend,
    run,
    alloc: (shape) => wasm.makeOutput(shape, "float32"),
    zeros: (shape) => {
      const info = wasm.makeOutput(shape, "float32");
      data(info).fill(0);
      return info;
    },
    data,
    dispose,
    // makeOutput with an offset registers storage that the backend does not own; releasing
    // it unregisters the id without freeing the memory (disposeData would free it).
    view: (info, offset, shape) => wasm.makeOutput(shape, "float32", wasm.dataIdMap.get(info.dataId).memoryOffset + 4 * offset),
    release: (view) => {
      wasm.wasm.tfjs.disposeData(wasm.dataIdMap.get(view.dataId).id);
      wasm.dataIdMap.delete(view.dataId);
    },
  };
}
