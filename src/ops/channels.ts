// Channel rearrangements: ShuffleNet's channel split and channel shuffle.

import { channelsOf } from "../shape/shape.js";
import { formatDim } from "../shape/symbolic.js";
import { requireSpatial } from "./common.js";
import { NO_PARAMS, type OpDef, type ShapeContext } from "./types.js";

/** The incoming channels when `groups` divides them; reports E0312 otherwise. */
function divisibleChannels(ctx: ShapeContext, groups: number, arg: string): number | undefined {
  const channels = channelsOf(ctx.input);
  if (typeof channels === "number" && channels % groups === 0) return channels;
  ctx.report("E0312", `into ${groups} groups needs channels divisible by ${groups}, but the input has ${formatDim(channels)}`, {
    arg,
    help: typeof channels === "number" ? `use a number of groups that divides ${channels}` : "give the channels a fixed number",
  });
  return undefined;
}

export const channelSplit: OpDef<{ op: "channel_split"; start: number; size: number }> = {
  name: "channel_split",
  category: "reshape",
  doc: "One of `parts` equal slices of the channels (PyTorch's x.chunk(parts, dim=1)[part]), as ShuffleNetV2 splits its input.",
  args: [
    { name: "parts", type: { kind: "int", min: 1 }, positional: true, doc: "Number of equal slices." },
    { name: "part", type: { kind: "int", min: 0 }, doc: "Which slice, counting from 0." },
  ],
  inferShape(ctx) {
    if (!requireSpatial(ctx, "channel_split")) return undefined;
    const parts = ctx.args["parts"] as number;
    const part = ctx.args["part"] as number;
    if (part >= parts) {
      ctx.report("E0206", `part ${part} does not exist: the parts are 0 to ${parts - 1}`, { arg: "part", help: `use a part below ${parts}` });
      return undefined;
    }
    const channels = divisibleChannels(ctx, parts, "parts");
    return channels === undefined ? undefined : [ctx.input[0]!, ctx.input[1]!, channels / parts];
  },
  params: () => NO_PARAMS,
  macs: () => 0,
  toIr: (args, input) => {
    const size = input[2]! / (args["parts"] as number);
    return { op: "channel_split", start: (args["part"] as number) * size, size };
  },
  irDoc: "`start`, `size`: the channels start to start + size − 1",
  field: "pointwise",
  memory: { torch: "none", tfjs: "unprobed" },
  weights: "none",
};

export const channelShuffle: OpDef<{ op: "channel_shuffle"; groups: number }> = {
  name: "channel_shuffle",
  category: "reshape",
  doc: "Interleaves `groups` groups of channels (ShuffleNet): channel i·(C/groups) + j moves to j·groups + i.",
  args: [{ name: "groups", type: { kind: "int", min: 1 }, positional: true, doc: "Number of channel groups to interleave." }],
  inferShape(ctx) {
    if (!requireSpatial(ctx, "channel_shuffle")) return undefined;
    return divisibleChannels(ctx, ctx.args["groups"] as number, "groups") === undefined ? undefined : ctx.input;
  },
  params: () => NO_PARAMS,
  macs: () => 0,
  toIr: (args) => ({ op: "channel_shuffle", groups: args["groups"] as number }),
  irDoc: "`groups`",
  field: "pointwise",
  memory: { torch: "none", tfjs: "unprobed" },
  weights: "none",
};
