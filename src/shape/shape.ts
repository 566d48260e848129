// Tensor shapes, without the batch dimension, channels last: [height, width, channels]
// for feature maps and [features] for flat tensors.
//
// Every dimension computation goes through the functions in this module, so that shape rules
// work unchanged on whole numbers and on symbolic sizes (see symbolic.ts).

import { add, ceilDiv, evaluateDim, floorDiv, formatDim, isSymbolic, mul, periodOf, sizeNames, sub, type Dim, type FormatOptions } from "./symbolic.js";

export type { Dim };

export type Shape = readonly Dim[];

export function formatShape(shape: Shape | undefined, options?: FormatOptions): string {
  return shape === undefined ? "[?]" : `[${shape.map((d) => formatDim(d, options)).join(", ")}]`;
}

export function isConcreteShape(shape: Shape): shape is readonly number[] {
  return shape.every((d) => !isSymbolic(d));
}

/** The shape with symbolic dimensions as NaN, for counts that must not depend on them. */
export function numericShape(shape: Shape): number[] {
  return shape.map((d) => (isSymbolic(d) ? Number.NaN : d));
}

export function channelsOf<D extends Dim>(shape: readonly D[]): D {
  return shape[shape.length - 1]!;
}

export function elementCount(shape: Shape): Dim {
  return shape.reduce<Dim>((a, b) => mul(a, b), 1);
}

/** Output size of a convolution or pooling window along one axis (floor mode). */
export function windowOutput(input: Dim, kernel: number, stride: number, padBefore: Dim, padAfter: Dim, dilation: number): Dim {
  const effective = dilation * (kernel - 1) + 1;
  return add(floorDiv(sub(add(add(input, padBefore), padAfter), effective), stride), 1);
}

/** PyTorch's ceil-mode pooling size: the last window must start inside the input or its left padding. */
export function windowOutputCeil(input: Dim, kernel: number, stride: number, padBefore: Dim, padAfter: Dim, dilation: number): Dim {
  const effective = dilation * (kernel - 1) + 1;
  if (isSymbolic(input) || isSymbolic(padBefore) || isSymbolic(padAfter)) {
    // The correction keeps out ≤ ceil((input + padBefore) / stride): out = min(ceil size, that bound).
    const ceilSize = add(ceilDiv(sub(add(add(input, padBefore), padAfter), effective), stride), 1);
    const bound = ceilDiv(add(input, padBefore), stride);
    return smallerEverywhere(ceilSize, bound);
  }
  let out = Math.ceil((input + padBefore + padAfter - effective) / stride) + 1;
  if ((out - 1) * stride >= input + padBefore) out -= 1;
  return out;
}

/** min(a, b) for expressions in one size where the same one is the smaller for every size (checked over a period). */
function smallerEverywhere(a: Dim, b: Dim): Dim {
  const difference = sub(a, b);
  if (typeof difference === "number") return difference <= 0 ? a : b;
  const names = [...sizeNames(difference)];
  const period = periodOf(difference);
  let aSmaller = true;
  for (let x = 1; x <= 2 * period + 1; x++) if (evaluateDim(difference, new Map(names.map((n) => [n, x]))) > 0) aSmaller = false;
  return aSmaller ? a : b;
}

/** TensorFlow's `same` padding: the output is ceil(input / stride); returns the padding before and after. */
export function samePadding(input: Dim, kernel: number, stride: number, dilation: number): [Dim, Dim] {
  const effective = dilation * (kernel - 1) + 1;
  if (isSymbolic(input)) {
    // total = max((ceil(input / stride) − 1)·stride + effective − input, 0). Without the max it is
    // effective − 1 − ((input − 1) mod stride), which is never negative when effective ≥ stride.
    const total = sub(add(mul(sub(ceilDiv(input, stride), 1), stride), effective), input);
    const before = floorDiv(total, 2);
    return [before, sub(total, before)];
  }
  const out = Math.ceil(input / stride);
  const total = Math.max((out - 1) * stride + effective - input, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** Output size of a transposed convolution along one axis (PyTorch's formula). */
export function transposedOutput(input: Dim, kernel: number, stride: number, padBefore: number, padAfter: number, outputPadding: number, dilation: number): Dim {
  return add(mul(sub(input, 1), stride), -padBefore - padAfter + dilation * (kernel - 1) + outputPadding + 1);
}
