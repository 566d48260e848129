// Data-movement kernels that training runs hundreds of times a step.
// - Identity and same-type Cast: the tape clones every tensor it saves for the backward
//   pass; tfjs's wasm backend copies the data each time (≈ 600 full-size copies per
//   ResNet-20 step), while its cpu backend shares it. Sharing is safe because no kernel
//   writes into its inputs; Reshape already shares storage on both backends.
// - Slice: tfjs's wasm Slice first copies the whole input out of the heap, and its cpu
//   Slice reads non-contiguous slices element by element; a 4-D slice is a set of row
//   copies.
// - Same padding on wasm: XNNPACK's own "same" padding is wrong when a window never
//   reaches the last row (stride above the kernel, e.g. 9 rows, kernel 2, stride 3): the
//   forward convolution then returns garbage. cnnc passes tfjs's explicit padding instead.
// - Broadcast: the gradients of Mean and Sum spread dy back over the reduced axes;
//   tfjs builds a full-size tensor of ones in JavaScript and multiplies by it.

import type { DataType, KernelBackend, KernelConfig, NamedAttrMap, TensorInfo } from "@tensorflow/tfjs";
import type { Tf } from "../runtime/tf.js";
import { kernelContext, type TrainingBackendName } from "./context.js";
import { pair } from "./geometry.js";
import { copyWindow } from "./loops.js";

export const BROADCAST = "CnncBroadcastScaled";

interface SharingBackend extends KernelBackend {
  incRef(dataId: object): void;
}

function share(backend: KernelBackend, x: TensorInfo, dtype: DataType = x.dtype): TensorInfo {
  (backend as SharingBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype };
}

/** Identity and Cast for wasm; `stockCast` converts between types. */
export function sharingKernels(stockCast: KernelConfig | undefined): KernelConfig[] {
  const configs: KernelConfig[] = [
    {
      kernelName: "Identity",
      backendName: "wasm",
      kernelFunc: ({ inputs, backend }) => share(backend as KernelBackend, inputs.x!),
    },
  ];
  if (stockCast !== undefined) {
    configs.push({
      kernelName: "Cast",
      backendName: "wasm",
      kernelFunc: (args) => {
        const x = args.inputs.x!;
        return (args.attrs as { dtype: DataType }).dtype === x.dtype ? share(args.backend as KernelBackend, x) : stockCast.kernelFunc(args);
      },
    });
  }
  return configs;
}

/** Forward convolutions on wasm with "same" turned into tfjs's explicit padding. */
export function explicitPaddingKernels(tf: Tf, stock: (kernelName: string) => KernelConfig | undefined): KernelConfig[] {
  const configs: KernelConfig[] = [];
  for (const [kernelName, depthwise] of [
    ["Conv2D", false],
    ["FusedConv2D", false],
    ["DepthwiseConv2dNative", true],
    ["FusedDepthwiseConv2D", true],
  ] as const) {
    const original = stock(kernelName);
    if (original === undefined) continue;
    configs.push({
      kernelName,
      backendName: "wasm",
      kernelFunc: (args) => {
        const attrs = args.attrs as { pad?: unknown; strides: number | number[]; dilations?: number | number[]; dimRoundingMode?: "floor" | "round" | "ceil" };
        if (attrs.pad !== "same") return original.kernelFunc(args);
        const { x, filter } = args.inputs;
        const shape4 = (shape: number[]): [number, number, number, number] => [shape[0]!, shape[1]!, shape[2]!, shape[3]!];
        const info = tf.backend_util.computeConv2DInfo(shape4(x!.shape), shape4(filter!.shape), pair(attrs.strides), pair(attrs.dilations ?? 1), "same", attrs.dimRoundingMode, depthwise);
        const { top, bottom, left, right } = info.padInfo;
        return original.kernelFunc({ ...args, attrs: { ...args.attrs, pad: [[0, 0], [top, bottom], [left, right], [0, 0]] } as NamedAttrMap });
      },
    });
  }
  return configs;
}

/** Slice of a float32 tensor of rank ≤ 4 as row copies; anything else goes to tfjs's kernel. */
export function sliceKernel(tf: Tf, backendName: TrainingBackendName, stock: KernelConfig): KernelConfig {
  return {
    kernelName: "Slice",
    backendName,
    kernelFunc: (args) => {
      const x = args.inputs.x!;
      const { begin, size } = args.attrs as { begin: number | number[]; size: number | number[] };
      if (x.dtype !== "float32" || x.shape.length > 4 || x.shape.length === 0) return stock.kernelFunc(args);
      const [starts, sizes] = tf.slice_util.parseSliceParams(x, begin, size);
      const pad = 4 - x.shape.length;
      const inShape = [...Array(pad).fill(1), ...x.shape];
      const from = [...Array(pad).fill(0), ...starts];
      const outShape = [...Array(pad).fill(1), ...sizes];
      const ctx = kernelContext(tf, backendName, args.backend as KernelBackend);
      const out = ctx.alloc(sizes);
      const source = ctx.data(x);
      const target = ctx.data(out);
      const [, h, w, c] = inShape as [number, number, number, number];
      const [on, oh, ow, oc] = outShape as [number, number, number, number];
      if (oc === c) {
        copyWindow(source.subarray(from[0]! * h * w * c, (from[0]! + on) * h * w * c), [on, h, w, c], target, outShape, from[1]!, from[2]!);
        return out;
      }
      let o = 0;
      for (let b = 0; b < on; b++) {
        for (let y = 0; y < oh; y++) {
          for (let xx = 0; xx < ow; xx++) {
            const i = (((from[0]! + b) * h + from[1]! + y) * w + from[2]! + xx) * c + from[3]!;
            target.set(source.subarray(i, i + oc), o);
            o += oc;
          }
        }
      }
      return out;
    },
  };
}

/** out = broadcast(x, shape) · scale, where x has the rank of `shape` with ones on the broadcast axes. */
export function broadcastKernel(tf: Tf, backendName: TrainingBackendName): KernelConfig {
  return {
    kernelName: BROADCAST,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { shape, scale } = attrs as NamedAttrMap as { shape: number[]; scale: number };
      const ctx = kernelContext(tf, backendName, backend as KernelBackend);
      const out = ctx.alloc(shape);
      broadcastInto(ctx.data(inputs.x!), inputs.x!.shape, ctx.data(out), shape, scale);
      return out;
    },
  };
}

export function broadcastInto(x: Float32Array, xShape: number[], out: Float32Array, shape: number[], scale: number): void {
  const rank = shape.length;
  const product = (dims: number[]): number => dims.reduce((a, b) => a * b, 1);
  // x = [1, …, 1, S_k, …, S_r]: repeat one scaled block (Mean over the leading axes, as in batch norm).
  let tail = rank;
  while (tail > 0 && xShape[tail - 1] === shape[tail - 1]) tail--;
  if (xShape.slice(0, tail).every((d) => d === 1)) {
    const block = product(shape.slice(tail));
    for (let i = 0; i < block; i++) out[i] = x[i]! * scale;
    // Doubling copies: log₂(repeats) memmoves instead of one call per block.
    for (let filled = block; filled < out.length; filled *= 2) out.copyWithin(filled, 0, Math.min(filled, out.length - filled));
    return;
  }
  // x = [S_1, …, S_k, 1, …, 1]: fill a run per element.
  let head = 0;
  while (head < rank && xShape[head] === shape[head]) head++;
  if (xShape.slice(head).every((d) => d === 1)) {
    const run = product(shape.slice(head));
    for (let j = 0; j < x.length; j++) out.fill(x[j]! * scale, j * run, (j + 1) * run);
    return;
  }
  const strides = xShape.map((d, i) => (d === 1 ? 0 : product(xShape.slice(i + 1))));
  const index = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let source = 0;
    for (let a = 0; a < rank; a++) source += index[a]! * strides[a]!;
    out[o] = x[source]! * scale;
    for (let a = rank - 1; a >= 0; a--) {
      if (++index[a]! < shape[a]!) break;
      index[a] = 0;
    }
  }
}
