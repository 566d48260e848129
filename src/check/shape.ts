// Tensor shapes, without the batch dimension, channels last: [height, width, channels]
// for feature maps and [features] for flat tensors.
//
// Every dimension computation goes through the functions in this module, so that a
// symbolic dimension type can later join `Dim` without touching the shape rules.

/** One dimension. Today a whole number; symbolic dimensions extend this type. */
export type Dim = number;

export type Shape = readonly Dim[];

export function formatShape(shape: Shape | undefined): string {
  return shape === undefined ? "[?]" : `[${shape.join(", ")}]`;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function channelsOf(shape: Shape): Dim {
  return shape[shape.length - 1]!;
}

export function elementCount(shape: Shape): Dim {
  return shape.reduce((a, b) => a * b, 1);
}

/** Output size of a convolution or pooling window along one axis (floor mode). */
export function windowOutput(input: Dim, kernel: number, stride: number, padBefore: number, padAfter: number, dilation: number): Dim {
  const effective = dilation * (kernel - 1) + 1;
  return Math.floor((input + padBefore + padAfter - effective) / stride) + 1;
}

/** PyTorch's ceil-mode pooling size: the last window must start inside the input or its left padding. */
export function windowOutputCeil(input: Dim, kernel: number, stride: number, padBefore: number, padAfter: number, dilation: number): Dim {
  const effective = dilation * (kernel - 1) + 1;
  let out = Math.ceil((input + padBefore + padAfter - effective) / stride) + 1;
  if ((out - 1) * stride >= input + padBefore) out -= 1;
  return out;
}

/** TensorFlow's `same` padding: the output is ceil(input / stride); returns the padding before and after. */
export function samePadding(input: Dim, kernel: number, stride: number, dilation: number): [number, number] {
  const effective = dilation * (kernel - 1) + 1;
  const out = Math.ceil(input / stride);
  const total = Math.max((out - 1) * stride + effective - input, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** Output size of a transposed convolution along one axis (PyTorch's formula). */
export function transposedOutput(input: Dim, kernel: number, stride: number, padBefore: number, padAfter: number, outputPadding: number, dilation: number): Dim {
  return (input - 1) * stride - padBefore - padAfter + dilation * (kernel - 1) + outputPadding + 1;
}
