// Normalisation layers, layer scale, dropout and stochastic depth.

import { channelsOf } from "../shape/shape.js";
import { checkStatedChannels } from "./common.js";
import { vector } from "./layout.js";
import { NO_PARAMS, type OpDef } from "./types.js";

export const batchnorm: OpDef<{ op: "batchnorm"; epsilon: number; momentum: number }> = {
  name: "batchnorm",
  category: "normalization",
  doc: "Batch normalisation over the channels (PyTorch BatchNorm2d/1d): learned scale and shift, plus running mean and variance.",
  args: [
    { name: "epsilon", type: { kind: "float", min: 0 }, default: 1e-5, doc: "Added to the variance for stability (PyTorch's default, 1e-5)." },
    { name: "momentum", type: { kind: "float", min: 0, max: 1 }, default: 0.1, doc: "Weight of the new batch in the running statistics (PyTorch convention; Keras uses 1 − this)." },
    { name: "in_channels", type: { kind: "int", min: 1 }, optional: true, doc: "The channels you expect (PyTorch's num_features); the checker verifies them." },
  ],
  inferShape(ctx) {
    checkStatedChannels(ctx, "in_channels", channelsOf(ctx.input));
    return ctx.input;
  },
  params(input) {
    const channels = channelsOf(input);
    return { trainable: 2 * channels, nonTrainable: 2 * channels };
  },
  macs: () => 0,
  toIr: (args) => ({ op: "batchnorm", epsilon: args["epsilon"] as number, momentum: args["momentum"] as number }),
  irDoc: "`epsilon`, `momentum` (PyTorch's convention: the weight of the new batch)",
  field: "pointwise",
  memory: { torch: "inputs", tfjs: 15 },
  weights: (_a, { layer, torch, inChannels }) => [
    vector(`${layer}/gamma`, `${torch}.weight`, inChannels),
    vector(`${layer}/beta`, `${torch}.bias`, inChannels),
    vector(`${layer}/moving_mean`, `${torch}.running_mean`, inChannels),
    vector(`${layer}/moving_variance`, `${torch}.running_var`, inChannels),
  ],
};

export const layernorm: OpDef<{ op: "layernorm"; epsilon: number }> = {
  name: "layernorm",
  category: "normalization",
  doc: "Layer normalisation over the channels of each position, with learned scale and shift.",
  args: [{ name: "epsilon", type: { kind: "float", min: 0 }, default: 1e-5, doc: "Added to the variance for stability." }],
  inferShape: (ctx) => ctx.input,
  params(input) {
    return { trainable: 2 * channelsOf(input), nonTrainable: 0 };
  },
  macs: () => 0,
  toIr: (args) => ({ op: "layernorm", epsilon: args["epsilon"] as number }),
  irDoc: "`epsilon`",
  field: "pointwise",
  memory: { torch: "inputs", tfjs: 27.5 },
  weights: (_a, { layer, torch, inChannels }) => [vector(`${layer}/gamma`, `${torch}.weight`, inChannels), vector(`${layer}/beta`, `${torch}.bias`, inChannels)],
};

export const dropout: OpDef<{ op: "dropout"; rate: number }> = {
  name: "dropout",
  category: "normalization",
  doc: "Zeroes a random fraction `rate` of the activations during training.",
  args: [{ name: "rate", type: { kind: "float", min: 0, max: 1, maxExclusive: true }, positional: true, default: 0.5, doc: "Fraction of activations to drop, in [0, 1)." }],
  inferShape: (ctx) => ctx.input,
  params: () => NO_PARAMS,
  macs: () => 0,
  toIr: (args) => ({ op: "dropout", rate: args["rate"] as number }),
  irDoc: "`rate`",
  field: "pointwise",
  memory: { torch: "none", torchExtraPerOutput: 1, tfjs: 6 },
  weights: "none",
};

export const layerScale: OpDef<{ op: "layer_scale"; init: number }> = {
  name: "layer_scale",
  category: "normalization",
  doc: "Multiplies each channel by a learned scale (ConvNeXt's layer scale), initially `init`.",
  args: [{ name: "init", type: { kind: "float" }, positional: true, default: 1e-6, doc: "The scales' initial value (ConvNeXt uses 1e-6)." }],
  inferShape: (ctx) => ctx.input,
  params: (input) => ({ trainable: channelsOf(input), nonTrainable: 0 }),
  macs: () => 0,
  toIr: (args) => ({ op: "layer_scale", init: args["init"] as number }),
  irDoc: "`init` (the scales' initial value)",
  field: "pointwise",
  memory: { torch: "inputs", tfjs: "unprobed" },
  weights: (_a, { layer, torch, inChannels }) => [vector(`${layer}/gamma`, `${torch}.weight`, inChannels)],
};

export const stochasticDepth: OpDef<{ op: "stochastic_depth"; rate: number }> = {
  name: "stochastic_depth",
  category: "normalization",
  doc: "While training, drops an example's whole input with probability `rate` and scales the rest by 1 / (1 − rate); the identity at inference. Put it at the end of a residual body.",
  args: [{ name: "rate", type: { kind: "float", min: 0, max: 1, maxExclusive: true }, positional: true, doc: "Probability of dropping the path, in [0, 1)." }],
  inferShape: (ctx) => ctx.input,
  params: () => NO_PARAMS,
  macs: () => 0,
  toIr: (args) => ({ op: "stochastic_depth", rate: args["rate"] as number }),
  irDoc: "`rate` (training only; the identity at inference)",
  field: "pointwise",
  memory: { torch: "none", tfjs: "unprobed" },
  weights: "none",
};
