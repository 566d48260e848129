// Emits model.py: a readable PyTorch `nn.Module` in NCHW that computes the same function
// as the tfjs model built from the same IR. Each IR attribute is lowered explicitly:
// asymmetric padding becomes `F.pad`, pooling windows that PyTorch's layers cannot express
// become small exact helpers, and `flatten` first moves channels last, because cnnc (like
// tfjs) flattens in height, width, channel order.

import { poolOverhang, type IrAttrsOf, type IrGraph, type IrNode, type IrOp, type Pads } from "../../ir/ir.js";
import { IdentifierPool, pyComment, pyFloat, pyLiteral, pyNumber, pyString, pyTuple } from "./python.js";

/** The Python identifier of every node: its layer attribute and its local variable in `forward`. */
export function torchIdentifiers(ir: IrGraph): Map<number, string> {
  const pool = new IdentifierPool();
  pool.take(ir.model);
  return new Map(ir.nodes.map((node) => [node.id, pool.take(node.name)]));
}

export function torchClassName(ir: IrGraph): string {
  return new IdentifierPool().take(ir.model);
}

const symmetric = (p: Pads): boolean => p[0] === p[1] && p[2] === p[3];
const isZero = (p: Pads): boolean => p.every((x) => x === 0);
/** F.pad's order: left, right, top, bottom. */
const torchPads = (p: Pads): string => pyTuple([p[2], p[3], p[0], p[1]]);

type Helper = "avg_pool_exact" | "max_pool_exact" | "resize_bilinear_tf" | "channel_shuffle" | "SeparableConv2d" | "ChannelLayerNorm" | "LayerScale" | "StochasticDepth";

const HELPERS: Record<Helper, string> = {
  max_pool_exact: `def max_pool_exact(x, kernel, stride, pads):
    """Max pooling with any padding: padded elements never win, as in cnnc (and tfjs)."""
    return F.max_pool2d(F.pad(x, pads, value=-math.inf), kernel, stride)
`,
  avg_pool_exact: `def avg_pool_exact(x, kernel, stride, pads, extra, count_padding):
    """Average pooling with any padding. \`pads\` (left, right, top, bottom) are the layer's
    padding and \`extra\` (right, bottom) the part of the last windows that runs past it in
    ceil mode; padded elements count as zeros in the divisor only with \`count_padding\`,
    elements past the padding never count."""
    left, right, top, bottom = pads
    extra_right, extra_bottom = extra
    full = (left, right + extra_right, top, bottom + extra_bottom)
    summed = F.avg_pool2d(F.pad(x, full), kernel, stride, divisor_override=1)
    mask = x.new_ones((1, 1) + tuple(x.shape[2:]))
    if count_padding:
        mask = F.pad(F.pad(mask, pads, value=1.0), (0, extra_right, 0, extra_bottom))
    else:
        mask = F.pad(mask, full)
    count = F.avg_pool2d(mask, kernel, stride, divisor_override=1)
    return summed / count
`,
  resize_bilinear_tf: `def resize_bilinear_tf(x, size):
    """Bilinear resizing as tfjs's UpSampling2D does it (align_corners and half_pixel_centers
    both off): output row i samples input row i * in / out. PyTorch's interpolate has no
    mode that does this, so it is written out."""
    def taps(n_in, n_out):
        position = torch.arange(n_out, dtype=torch.float64, device=x.device) * (n_in / n_out)
        low = position.floor().long().clamp(max=n_in - 1)
        high = (low + 1).clamp(max=n_in - 1)
        return low, high, (position - low).to(x.dtype)
    low, high, frac = taps(x.shape[3], size[1])
    x = x[:, :, :, low] + (x[:, :, :, high] - x[:, :, :, low]) * frac
    low, high, frac = taps(x.shape[2], size[0])
    frac = frac.view(-1, 1)
    return x[:, :, low, :] + (x[:, :, high, :] - x[:, :, low, :]) * frac
`,
  channel_shuffle: `def channel_shuffle(x, groups):
    """ShuffleNet's channel shuffle: channels as [groups, channels / groups], transposed."""
    n, c, h, w = x.shape
    return x.view(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)
`,
  LayerScale: `class LayerScale(nn.Module):
    """A learned scale per channel (ConvNeXt's layer scale)."""

    def __init__(self, channels, init):
        super().__init__()
        self.weight = nn.Parameter(torch.full((channels,), init))

    def forward(self, x):
        return x * self.weight.view((1, -1) + (1,) * (x.dim() - 2))
`,
  StochasticDepth: `class StochasticDepth(nn.Module):
    """While training, drops an example's whole input with probability p and scales the
    rest by 1 / (1 - p), as torchvision's StochasticDepth(p, "row"); the identity in eval."""

    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        keep = 1.0 - self.p
        mask = x.new_empty((x.shape[0],) + (1,) * (x.dim() - 1)).bernoulli_(keep)
        return x * mask / keep
`,
  SeparableConv2d: `class SeparableConv2d(nn.Module):
    """A depthwise convolution (one filter group per input channel, no bias) followed by a
    1x1 pointwise convolution, as tfjs's separableConv2d."""

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, multiplier, bias):
        super().__init__()
        self.depthwise = nn.Conv2d(in_channels, in_channels * multiplier, kernel_size, stride=stride, padding=padding, dilation=dilation, groups=in_channels, bias=False)
        self.pointwise = nn.Conv2d(in_channels * multiplier, out_channels, 1, bias=bias)

    def forward(self, x):
        return self.pointwise(self.depthwise(x))
`,
  ChannelLayerNorm: `class ChannelLayerNorm(nn.Module):
    """Layer normalisation over the channels of each pixel, as tfjs's layerNormalization
    with axis -1 does on channels-last tensors."""

    def __init__(self, channels, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x):
        x = F.layer_norm(x.permute(0, 2, 3, 1), self.weight.shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)
`,
};

export interface ModelPyInput {
  ir: IrGraph;
  sourceFile: string;
  doc?: string;
}

/** The NCHW shape of a node's output, with the batch dimension, for comments. */
function torchShape(shape: readonly number[]): string {
  return shape.length === 3 ? `[N, ${shape[2]}, ${shape[0]}, ${shape[1]}]` : `[N, ${shape.join(", ")}]`;
}

export function emitModelPy({ ir, sourceFile, doc }: ModelPyInput): string {
  const ids = torchIdentifiers(ir);
  const className = torchClassName(ir);
  const byId = new Map(ir.nodes.map((n) => [n.id, n]));
  const consumers = new Map<number, number[]>();
  for (const node of ir.nodes) for (const input of node.inputs) consumers.set(input, [...(consumers.get(input) ?? []), node.id]);
  const helpers = new Set<Helper>();
  const layers: string[] = [];
  const body: string[] = [];
  // A value read once, by the very next node, lives in `x`; a value read later or more than
  // once keeps its layer's name, so skips and branches read like the source.
  const variable = (id: number): string => {
    const node = byId.get(id)!;
    if (node.attrs.op === "input") return ids.get(id)!;
    const users = consumers.get(id) ?? [];
    const next = ir.nodes[ir.nodes.indexOf(node) + 1];
    const chained = users.length === 1 && next !== undefined && users[0] === next.id && next.inputs.filter((i) => i === id).length === 1;
    return chained || (users.length === 0 && id === ir.output.node) ? "x" : ids.get(id)!;
  };

  for (const node of ir.nodes) {
    if (node.attrs.op === "input") continue;
    const name = ids.get(node.id)!;
    const input = byId.get(node.inputs[0]!)!;
    const args = node.inputs.map(variable);
    const x = args[0]!;
    const lines = lowerNode(node, input, name, x, args, helpers, layers);
    const out = variable(node.id);
    const comment = `  # ${torchShape(node.shape)}, line ${node.source.line}`;
    lines.forEach((expr, i) => body.push(`        ${i === lines.length - 1 ? out : "x"} = ${expr}${i === lines.length - 1 ? comment : ""}`));
  }

  const inputNode = byId.get(ir.input.node)!;
  const [h, w, c] = ir.input.shape;
  const usesMath = helpers.has("max_pool_exact");
  const header = [
    `# Generated by cnnc from ${pyString(sourceFile).slice(1, -1)}, model ${pyString(ir.model).slice(1, -1)}. Change the .cnn file and rebuild`,
    "# rather than editing this file.",
    ...(doc ? ["#", ...pyComment(doc)] : []),
    "#",
    "# Layout: NCHW. The input is [N, C, H, W]; the output is the same function as the tfjs",
    "# model's, with feature maps as [N, C, H, W] where tfjs has [N, H, W, C]. `cnnc convert`",
    "# moves weights between the two.",
  ];
  const out: string[] = [...header, ...(usesMath ? ["import math", ""] : [""]), "import torch", "import torch.nn as nn", "import torch.nn.functional as F", ""];
  out.push(`MODEL_NAME = ${pyString(ir.model)}`);
  out.push(`INPUT_SHAPE = ${pyTuple(ir.input.shape.length === 3 ? [c!, h!, w!] : ir.input.shape)}  # C, H, W`);
  out.push(`OUTPUT_SHAPE = ${pyTuple(ir.output.shape.length === 3 ? [ir.output.shape[2]!, ir.output.shape[0]!, ir.output.shape[1]!] : ir.output.shape)}`);
  out.push(`PARAMETERS = ${pyNumber(ir.params.trainable)}  # trainable, as the cnnc summary counts them`);
  const frozen = ir.nodes.filter((n) => n.frozen).map((n) => ids.get(n.id)!);
  if (frozen.length > 0) {
    out.push(`FROZEN = ${pyNumber(ir.params.frozen)}  # parameters of the layers in \`frozen\` bodies`);
    out.push("# The layers in `frozen` bodies: no gradients, and batchnorm keeps its running statistics");
    out.push("# (eval mode) also while the model trains, as torchvision's fine-tuning recipes do.");
    out.push(`FROZEN_LAYERS = ${pyLiteral(frozen)}`);
  }
  out.push("");
  for (const helper of ["max_pool_exact", "avg_pool_exact", "resize_bilinear_tf", "channel_shuffle", "SeparableConv2d", "ChannelLayerNorm", "LayerScale", "StochasticDepth"] as const) {
    if (helpers.has(helper)) out.push("", HELPERS[helper]);
  }
  out.push("", `class ${className}(nn.Module):`);
  out.push(`    __doc__ = ${pyString(doc ?? `The ${ir.model} model.`)}`, "");
  out.push("    def __init__(self):", "        super().__init__()", ...layers);
  if (frozen.length > 0) {
    out.push("        for name in FROZEN_LAYERS:", "            getattr(self, name).requires_grad_(False)", "");
    out.push("    def train(self, mode=True):", "        super().train(mode)", "        for name in FROZEN_LAYERS:", "            getattr(self, name).eval()", "        return self");
  }
  out.push("");
  out.push(`    def forward(self, ${ids.get(inputNode.id)}):`, ...body, `        return ${variable(ir.output.node)}`, "", "");
  out.push("def build_model():", `    return ${className}()`, "");
  return out.join("\n");
}

/** What one node's PyTorch lowering sees and adds to. */
interface TorchContext {
  node: IrNode;
  /** The node's attribute name in the module. */
  name: string;
  /** The input expression, and every input's for merges. */
  x: string;
  args: string[];
  inShape: number[];
  channels: number;
  spatial: boolean;
  /** Adds `self.<name> = constructor` to `__init__`. */
  layer(constructor: string): void;
  helper(name: Helper): void;
}

/** One IR op's PyTorch lowering: statements as expressions, the last one the node's value. */
type TorchLowering<K extends IrOp> = { lower(a: IrAttrsOf<K>, c: TorchContext): string[] }["lower"];

function lowerNode(node: IrNode, inputNode: IrNode, name: string, x: string, args: string[], helpers: Set<Helper>, layers: string[]): string[] {
  const inShape = inputNode.shape;
  const context: TorchContext = {
    node,
    name,
    x,
    args,
    inShape,
    channels: inShape[inShape.length - 1]!,
    spatial: inShape.length === 3,
    layer: (constructor) => void layers.push(`        self.${name} = ${constructor}`),
    helper: (helper) => void helpers.add(helper),
  };
  const lowering: TorchLowering<IrOp> = TORCH_LOWERINGS[node.attrs.op];
  return lowering(node.attrs, context);
}

const pyBool = (value: boolean): string => (value ? "True" : "False");

function lowerConv(a: IrAttrsOf<"conv" | "depthwise_conv" | "separable_conv">, { name, x, channels, layer, helper }: TorchContext): string[] {
  const pre = symmetric(a.padding) ? [] : [`F.pad(${x}, ${torchPads(a.padding)})`];
  const padding = symmetric(a.padding) ? pyTuple([a.padding[0], a.padding[2]]) : "0";
  const common = `kernel_size=${pyTuple(a.kernel)}, stride=${pyTuple(a.stride)}, padding=${padding}, dilation=${pyTuple(a.dilation)}`;
  if (a.op === "conv") layer(`nn.Conv2d(${channels}, ${a.filters}, ${common}, groups=${a.groups}, bias=${pyBool(a.bias)})`);
  else if (a.op === "depthwise_conv") layer(`nn.Conv2d(${channels}, ${channels * a.multiplier}, ${common}, groups=${channels}, bias=${pyBool(a.bias)})`);
  else {
    helper("SeparableConv2d");
    layer(`SeparableConv2d(${channels}, ${a.filters}, ${pyTuple(a.kernel)}, stride=${pyTuple(a.stride)}, padding=${padding}, dilation=${pyTuple(a.dilation)}, multiplier=${a.multiplier}, bias=${pyBool(a.bias)})`);
  }
  return [...pre, `self.${name}(${pre.length ? "x" : x})`];
}

function lowerPool(a: IrAttrsOf<"maxpool" | "avgpool">, { node, name, x, inShape, layer, helper }: TorchContext): string[] {
  const [extraBottom, extraRight] = poolOverhang(a, inShape, node.shape);
  const fitsLayer = symmetric(a.padding) && a.padding[0] * 2 <= a.kernel[0] && a.padding[2] * 2 <= a.kernel[1];
  const common = `kernel_size=${pyTuple(a.kernel)}, stride=${pyTuple(a.stride)}`;
  if (fitsLayer) {
    const pad = isZero(a.padding) ? "" : `, padding=${pyTuple([a.padding[0], a.padding[2]])}`;
    const ceil = a.ceilMode && (extraBottom > 0 || extraRight > 0) ? ", ceil_mode=True" : "";
    if (a.op === "maxpool") layer(`nn.MaxPool2d(${common}${pad}${ceil})`);
    else layer(`nn.AvgPool2d(${common}${pad}${ceil}${a.excludePadding && !isZero(a.padding) ? ", count_include_pad=False" : ""})`);
    return [`self.${name}(${x})`];
  }
  if (a.op === "maxpool") {
    helper("max_pool_exact");
    return [`max_pool_exact(${x}, ${pyTuple(a.kernel)}, ${pyTuple(a.stride)}, ${torchPads([a.padding[0], a.padding[1] + extraBottom, a.padding[2], a.padding[3] + extraRight])})`];
  }
  helper("avg_pool_exact");
  return [`avg_pool_exact(${x}, ${pyTuple(a.kernel)}, ${pyTuple(a.stride)}, ${torchPads(a.padding)}, ${pyTuple([extraRight, extraBottom])}, count_padding=${a.excludePadding ? "False" : "True"})`];
}

/** A function applied to the input: `F.relu(x)`. */
const call =
  (fn: string, extra = ""): TorchLowering<IrOp> =>
  (_a, { x }) => [`${fn}(${x}${extra})`];

/** The PyTorch lowering of every IR op; the compiler refuses an op without one. */
const TORCH_LOWERINGS: { [K in IrOp]: TorchLowering<K> } = {
  input: (_a, { x }) => [x],
  conv: lowerConv,
  depthwise_conv: lowerConv,
  separable_conv: lowerConv,
  transposed_conv(a, { node, name, x, channels, layer }) {
    const [t, , l] = a.padding;
    if (symmetric(a.padding)) {
      layer(`nn.ConvTranspose2d(${channels}, ${a.filters}, kernel_size=${pyTuple(a.kernel)}, stride=${pyTuple(a.stride)}, padding=${pyTuple([t, l])}, output_padding=${pyTuple(a.outputPadding)}, bias=${pyBool(a.bias)})`);
      return [`self.${name}(${x})`];
    }
    // Uneven cropping: compute the full output (with output_padding) and crop it here.
    layer(`nn.ConvTranspose2d(${channels}, ${a.filters}, kernel_size=${pyTuple(a.kernel)}, stride=${pyTuple(a.stride)}, output_padding=${pyTuple(a.outputPadding)}, bias=${pyBool(a.bias)})`);
    const [h, w] = node.shape;
    return [`self.${name}(${x})`, `x[:, :, ${t}:${t + h!}, ${l}:${l + w!}]`];
  },
  maxpool: lowerPool,
  avgpool: lowerPool,
  global_avgpool: (a, { x }) => [a.keepdims ? `${x}.mean(dim=(2, 3), keepdim=True)` : `${x}.mean(dim=(2, 3))`],
  global_maxpool: (a, { x }) => [a.keepdims ? `${x}.amax(dim=(2, 3), keepdim=True)` : `${x}.amax(dim=(2, 3))`],
  batchnorm(a, { name, x, channels, spatial, layer }) {
    layer(`nn.BatchNorm${spatial ? "2" : "1"}d(${channels}, eps=${pyFloat(a.epsilon)}, momentum=${pyFloat(a.momentum)})`);
    return [`self.${name}(${x})`];
  },
  layernorm(a, { name, x, channels, spatial, layer, helper }) {
    if (spatial) {
      helper("ChannelLayerNorm");
      layer(`ChannelLayerNorm(${channels}, eps=${pyFloat(a.epsilon)})`);
    } else layer(`nn.LayerNorm(${channels}, eps=${pyFloat(a.epsilon)})`);
    return [`self.${name}(${x})`];
  },
  dropout(a, { name, x, layer }) {
    layer(`nn.Dropout(${pyFloat(a.rate)})`);
    return [`self.${name}(${x})`];
  },
  relu: call("F.relu"),
  relu6: call("F.relu6"),
  sigmoid: call("torch.sigmoid"),
  tanh: call("torch.tanh"),
  swish: call("F.silu"),
  silu: call("F.silu"),
  // tfjs's gelu is the exact one, x·Φ(x) with erf, which is also PyTorch's default.
  gelu: call("F.gelu"),
  hardswish: call("F.hardswish"),
  hardsigmoid: call("F.hardsigmoid"),
  layer_scale(a, { name, x, channels, layer, helper }) {
    helper("LayerScale");
    layer(`LayerScale(${channels}, ${pyFloat(a.init)})`);
    return [`self.${name}(${x})`];
  },
  stochastic_depth(a, { name, x, layer, helper }) {
    helper("StochasticDepth");
    layer(`StochasticDepth(${pyFloat(a.rate)})`);
    return [`self.${name}(${x})`];
  },
  channel_split: (a, { x }) => [`${x}[:, ${a.start}:${a.start + a.size}]`],
  channel_shuffle(a, { x, helper }) {
    helper("channel_shuffle");
    return [`channel_shuffle(${x}, ${a.groups})`];
  },
  softmax: call("F.softmax", ", dim=1"),
  leaky_relu: (a, { x }) => [`F.leaky_relu(${x}, negative_slope=${pyFloat(a.alpha)})`],
  elu: (a, { x }) => [`F.elu(${x}, alpha=${pyFloat(a.alpha)})`],
  dense(a, { name, x, channels, layer }) {
    layer(`nn.Linear(${channels}, ${a.units}, bias=${pyBool(a.bias)})`);
    return [`self.${name}(${x})`];
  },
  // cnnc flattens channels last (height, width, channel order), so move channels last first.
  flatten: (_a, { x, spatial }) => [spatial ? `torch.flatten(${x}.permute(0, 2, 3, 1), 1)` : x],
  upsample(a, { node, x, helper }) {
    const [h, w] = node.shape;
    if (a.mode === "nearest") return [`${x}.repeat_interleave(${a.scale[0]}, dim=2).repeat_interleave(${a.scale[1]}, dim=3)`];
    helper("resize_bilinear_tf");
    return [`resize_bilinear_tf(${x}, ${pyTuple([h!, w!])})`];
  },
  zero_pad: (a, { x }) => [`F.pad(${x}, ${torchPads(a.padding)})`],
  concat: (_a, { args }) => [`torch.cat([${args.join(", ")}], dim=1)`],
  add: (_a, { args }) => [args.join(" + ")],
  multiply: (_a, { args }) => [args.join(" * ")],
};
