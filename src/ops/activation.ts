// Activations: element-wise functions with no parameters.

import { NO_PARAMS, type ArgSpec, type MemoryRule, type OpDef } from "./types.js";

function activation<N extends string>(name: N, doc: string, memory: MemoryRule): OpDef<{ op: N }> {
  return { name, category: "activation", doc, args: [], inferShape: (ctx) => ctx.input, params: () => NO_PARAMS, macs: () => 0, toIr: () => ({ op: name }), irDoc: "—", field: "pointwise", weights: "none", memory };
}

/** An activation with a slope or scale `alpha` for negative inputs. */
function withAlpha<N extends string>(name: N, doc: string, alpha: ArgSpec, memory: MemoryRule): OpDef<{ op: N; alpha: number }> {
  return { ...activation(name, doc, memory), args: [alpha], toIr: (args) => ({ op: name, alpha: args["alpha"] as number }), irDoc: "`alpha`" };
}

// PyTorch's backward of relu, sigmoid, tanh and softmax needs only their output; the others recompute from their input.
export const activations = [
  activation("relu", "max(x, 0).", { torch: "output", tfjs: 2 }),
  activation("relu6", "min(max(x, 0), 6), as MobileNet uses.", { torch: "inputs", tfjs: 4 }),
  withAlpha("leaky_relu", "x for x > 0, alpha·x otherwise.", { name: "alpha", type: { kind: "float", min: 0 }, positional: true, default: 0.01, doc: "Slope for negative inputs (PyTorch's default, 0.01)." }, { torch: "inputs", tfjs: 3.5 }),
  withAlpha("elu", "x for x > 0, alpha·(exp(x) − 1) otherwise.", { name: "alpha", type: { kind: "float", min: 0 }, positional: true, default: 1, doc: "Scale of the negative part." }, { torch: "inputs", tfjs: 1 }),
  activation("sigmoid", "1 / (1 + exp(−x)).", { torch: "output", tfjs: 2 }),
  activation("tanh", "Hyperbolic tangent.", { torch: "output", tfjs: 2 }),
  activation("swish", "x · sigmoid(x), also called SiLU (EfficientNet).", { torch: "inputs", tfjs: 7 }),
  activation("silu", "x · sigmoid(x); the same function as swish.", { torch: "inputs", tfjs: 7 }),
  activation("gelu", "x · Φ(x), the Gaussian error linear unit.", { torch: "inputs", tfjs: 15 }),
  activation("hardswish", "x · relu6(x + 3) / 6, PyTorch's Hardswish (MobileNetV3).", { torch: "inputs", tfjs: "unprobed" }),
  activation("hardsigmoid", "relu6(x + 3) / 6, PyTorch's Hardsigmoid (not Keras's hard_sigmoid).", { torch: "inputs", tfjs: "unprobed" }),
  activation("softmax", "exp(x) / Σ exp(x) over the channels: class probabilities.", { torch: "output", tfjs: 2 }),
] as const;
