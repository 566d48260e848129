// Activations: element-wise functions with no parameters.

import { NO_PARAMS, type ArgSpec, type OpDef } from "./types.js";

function activation<N extends string>(name: N, doc: string): OpDef<{ op: N }> {
  return { name, category: "activation", doc, args: [], inferShape: (ctx) => ctx.input, params: () => NO_PARAMS, macs: () => 0, toIr: () => ({ op: name }), irDoc: "—", field: "pointwise", weights: "none" };
}

/** An activation with a slope or scale `alpha` for negative inputs. */
function withAlpha<N extends string>(name: N, doc: string, alpha: ArgSpec): OpDef<{ op: N; alpha: number }> {
  return { ...activation(name, doc), args: [alpha], toIr: (args) => ({ op: name, alpha: args["alpha"] as number }), irDoc: "`alpha`" };
}

export const activations = [
  activation("relu", "max(x, 0)."),
  activation("relu6", "min(max(x, 0), 6), as MobileNet uses."),
  withAlpha("leaky_relu", "x for x > 0, alpha·x otherwise.", { name: "alpha", type: { kind: "float", min: 0 }, positional: true, default: 0.01, doc: "Slope for negative inputs (PyTorch's default, 0.01)." }),
  withAlpha("elu", "x for x > 0, alpha·(exp(x) − 1) otherwise.", { name: "alpha", type: { kind: "float", min: 0 }, positional: true, default: 1, doc: "Scale of the negative part." }),
  activation("sigmoid", "1 / (1 + exp(−x))."),
  activation("tanh", "Hyperbolic tangent."),
  activation("swish", "x · sigmoid(x), also called SiLU (EfficientNet)."),
  activation("silu", "x · sigmoid(x); the same function as swish."),
  activation("gelu", "x · Φ(x), the Gaussian error linear unit."),
  activation("hardswish", "x · relu6(x + 3) / 6, PyTorch's Hardswish (MobileNetV3)."),
  activation("hardsigmoid", "relu6(x + 3) / 6, PyTorch's Hardsigmoid (not Keras's hard_sigmoid)."),
  activation("softmax", "exp(x) / Σ exp(x) over the channels: class probabilities."),
] as const;
