// The TensorFlow.js module type. Callers pass the module in, so they choose when to pay for
// importing it and which package provides it.

import type * as tfjs from "@tensorflow/tfjs";

export type Tf = typeof tfjs;
