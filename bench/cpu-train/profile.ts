// Where a training step's time goes on the wasm backend with cnnc's kernels: tf.profile
// around one warmed-up step (forward and backward, then the optimizer update, profiled
// apart), each tfjs kernel's time summed by name and grouped. Kernels that cnnc's kernels
// run inside themselves (the forward Conv2D a filter gradient is computed with) count in
// the outer kernel. "bookkeeping" is the step's wall time less every kernel's: tfjs's tape,
// tidy scopes, disposal and JavaScript glue.

import type { Scalar, Tensor, Variable } from "@tensorflow/tfjs";
import type { Tf } from "../../src/runtime/tf.js";

export const GROUPS = ["forward conv", "input gradient", "filter gradient", "batchnorm forward", "batchnorm backward", "dense (matmul)", "pooling", "activations, adds, loss", "reductions", "optimizer", "copies", "bookkeeping"] as const;
export type Group = (typeof GROUPS)[number];

const COPIES = new Set(["Reshape", "Transpose", "Cast", "Identity", "Slice", "StridedSlice", "Concat", "Pad", "PadV2", "MirrorPad", "Tile", "BroadcastTo", "Fill", "ZerosLike", "OnesLike", "Pack", "Unpack", "GatherV2", "OneHot", "CnncBroadcastScaled"]);
const REDUCTIONS = new Set(["Sum", "Mean", "Max", "Min", "Prod", "ArgMax", "ArgMin"]);

/** The group of a kernel run in the forward (`backward` false) or backward pass. */
export function kernelGroup(name: string, backward: boolean): Group {
  if (/^(Conv2D|FusedConv2D|DepthwiseConv2dNative|FusedDepthwiseConv2D)$/.test(name)) return "forward conv";
  if (/BackpropInput$/.test(name)) return "input gradient";
  if (/BackpropFilter$/.test(name)) return "filter gradient";
  if (/BatchNorm/i.test(name)) return backward || /Grad/i.test(name) ? "batchnorm backward" : "batchnorm forward";
  if (/MatMul$/.test(name)) return "dense (matmul)";
  if (/Pool/.test(name)) return "pooling";
  if (REDUCTIONS.has(name)) return "reductions";
  if (COPIES.has(name)) return "copies";
  return "activations, adds, loss";
}

export interface StepProfile {
  /** Wall time of the profiled step, ms. */
  stepMs: number;
  groups: Record<Group, number>;
  /** The costliest kernels, "name (forward|backward|optimizer)" → ms. */
  top: [string, number][];
}

/** Profiles one step of `loss` (after `warmup` unprofiled ones) with Adam, as `cnnc train` steps. */
export async function profileStep(tf: Tf, loss: () => Scalar, variables: Variable[], warmup: number): Promise<StepProfile> {
  const optimizer = tf.train.adam(1e-3);
  for (let i = 0; i < warmup; i++) {
    const value = optimizer.minimize(loss, true, variables)!;
    value.dataSync();
    value.dispose();
  }
  const engine = tf.engine() as unknown as { state: { activeProfile: { kernels: unknown[] } } };
  let forwardKernels = 0;
  let grads: { value: Scalar; grads: Record<string, Tensor> } | undefined;
  const started = performance.now();
  // tf.profile hands back the engine's one profile object, which the next call empties: keep each list.
  const { kernels: passKernels } = await tf.profile(() => {
    grads = tf.variableGrads(() => {
      const value = loss();
      forwardKernels = engine.state.activeProfile.kernels.length;
      return value;
    }, variables);
  });
  const { kernels: updateKernels } = await tf.profile(() => optimizer.applyGradients(grads!.grads as Record<string, Variable>));
  grads!.value.dataSync();
  const stepMs = performance.now() - started;
  tf.dispose([grads!.value, ...Object.values(grads!.grads)]);
  optimizer.dispose();

  const groups = Object.fromEntries(GROUPS.map((g) => [g, 0])) as Record<Group, number>;
  const byName = new Map<string, number>();
  const add = (name: string, phase: string, ms: number, group: Group): void => {
    groups[group] += ms;
    const key = `${name} (${phase})`;
    byName.set(key, (byName.get(key) ?? 0) + ms);
  };
  // The profile also lists op scopes (fusedConv2d__op around FusedConv2D): only kernels count.
  const isKernel = (name: string): boolean => tf.getKernel(name, tf.getBackend()) !== undefined;
  passKernels.forEach((k, i) => isKernel(k.name) && add(k.name, i >= forwardKernels ? "backward" : "forward", k.kernelTimeMs as number, kernelGroup(k.name, i >= forwardKernels)));
  for (const k of updateKernels) if (isKernel(k.name)) add(k.name, "optimizer", k.kernelTimeMs as number, "optimizer");
  const kernelMs = GROUPS.reduce((total, g) => total + groups[g], 0);
  groups.bookkeeping = Math.max(stepMs - kernelMs, 0);
  const top = [...byName].sort((a, b) => b[1] - a[1]).slice(0, 6);
  return { stepMs, groups, top };
}
