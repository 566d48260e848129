// Types for `.cnn` imports through cnnc/vite or cnnc/esbuild. Add `"types": ["cnnc/client"]`
// to tsconfig.json's compilerOptions, or `/// <reference types="cnnc/client" />` to a .d.ts
// file. Shapes are typed as number arrays here; `cnnc build --target ts` writes a module
// whose shapes are exact literal types.

declare module "*.cnn" {
  import type { LayersModel } from "@tensorflow/tfjs";

  /** The input shape, [height, width, channels] or [features], without the batch dimension. */
  export const inputShape: readonly number[];
  /** The output shape, without the batch dimension. */
  export const outputShape: readonly number[];
  /** Parameter counts: trainable (PyTorch's parameters()), non-trainable (batchnorm running statistics), and their total (tfjs countParams()). */
  export const parameterCounts: { readonly trainable: number; readonly nonTrainable: number; readonly total: number };
  /** Builds the model with the tfjs layers API. */
  export function buildModel(): LayersModel;
}
