// Matches a PyTorch state_dict to a cnnc model by structure, whatever its key names:
// torchvision's `layer1.0.conv1.weight`, timm's, or a user's own module's.
//
// Both sides are cut into modules: the state_dict's entries grouped by the key up to its
// last dot, in file order (PyTorch writes them in the order the modules were registered,
// which for the networks cnnc describes is the order they run); and the model's layers
// with weights in graph order, each with the tensors model.py's module holds. A module
// matches a layer when its tensors have the same shapes in the same order (for batchnorm:
// weight, bias, running mean and variance), trailing 1s aside (a 1x1 conv takes a linear
// layer's weight). The matching is the longest alignment that
// keeps both orders; a layer that the alignment leaves out takes the first unused module
// that fits, out of order (a shortcut projection registered before its body takes it back
// from the body layer that took it); a map file pins pairs where structure alone is ambiguous.
//
// Foreign state_dicts come from modules that flatten NCHW tensors channels first, where
// cnnc flattens channels last: the first dense layer after a flatten gets its columns
// reordered (model.py's own state_dict, recognised by its key names, is taken as it is).

import type { IrGraph, IrNode } from "../ir/ir.js";
import { permute, type Tensor, type WeightMap } from "./weights.js";

/** One module of the state_dict: its key prefix and its tensors in file order. */
export interface TorchModule {
  prefix: string;
  /** Position among the state_dict's modules. */
  index: number;
  tensors: { key: string; suffix: string; shape: number[] }[];
}

/** One layer's module in model.py: the node it belongs to, its key prefix there, and the tensors it needs. */
export interface LayerModule {
  node: IrNode;
  prefix: string;
  tensors: { suffix: string; shape: number[] }[];
}

export interface ModuleMatch {
  layer: LayerModule;
  module: TorchModule;
  how: "name" | "order" | "out of order" | "map";
}

/** A layer the weights do not provide: none fits, or the module in its place has other shapes. */
export interface SkippedLayer {
  layer: LayerModule;
  /** The unused module of the same kind nearest its place, when there is one: what it would have been. */
  candidate?: TorchModule;
  /** Left fresh on purpose by the map file (`"dense_1": null`). */
  pinned?: boolean;
}

export interface MatchReport {
  matches: ModuleMatch[];
  skipped: SkippedLayer[];
  /** State_dict modules no layer took. */
  unused: TorchModule[];
  /** The matched tensors under model.py's keys, in model.py's layout. */
  state: Map<string, Tensor>;
}

/** A map file's content: cnnc layer name → state_dict module prefix, or null to start the layer fresh. */
export type Pins = ReadonlyMap<string, string | null>;

export class MatchError extends Error {
  constructor(
    message: string,
    /** The layer the problem is about, for a diagnostic at its line. */
    readonly node?: IrNode,
  ) {
    super(message);
  }
}

const prefixOf = (key: string): string => (key.includes(".") ? key.slice(0, key.lastIndexOf(".")) : "");
const suffixOf = (key: string): string => key.slice(key.lastIndexOf(".") + 1);
const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

export const formatShapes = (tensors: readonly { suffix: string; shape: readonly number[] }[]): string => tensors.map((t) => `${t.suffix} [${t.shape.join(", ")}]`).join(", ");

/** The state_dict's float tensors grouped into modules, in file order (a container's own parameters after its submodules'). */
export function torchModules(state: ReadonlyMap<string, Tensor>): TorchModule[] {
  const byPrefix = new Map<string, TorchModule>();
  for (const [key, tensor] of state) {
    if (tensor.dtype !== "float32") continue;
    const prefix = prefixOf(key);
    let module = byPrefix.get(prefix);
    if (module === undefined) byPrefix.set(prefix, (module = { prefix, index: byPrefix.size, tensors: [] }));
    module.tensors.push({ key, suffix: suffixOf(key), shape: tensor.shape });
  }
  // PyTorch writes a module's own parameters before its submodules', but a container's own
  // parameter (ConvNeXt's layer scale) applies after them: it goes after its last descendant.
  const modules = [...byPrefix.values()];
  const anchor = (m: TorchModule): number => Math.max(m.index, ...modules.filter((d) => m.prefix === "" || d.prefix.startsWith(`${m.prefix}.`)).map((d) => d.index));
  const keyed = modules.map((m) => ({ m, anchor: anchor(m), parent: anchor(m) > m.index }));
  keyed.sort((a, b) => a.anchor - b.anchor || Number(a.parent) - Number(b.parent) || a.m.index - b.m.index);
  return keyed.map(({ m }, index) => ({ ...m, index }));
}

/** The model's modules with weights, in graph order, from the weight map's torch side. */
export function layerModules(ir: IrGraph, map: WeightMap): LayerModule[] {
  const byPrefix = new Map<string, LayerModule>();
  for (const pair of map.pairs) {
    const prefix = prefixOf(pair.torch);
    let module = byPrefix.get(prefix);
    if (module === undefined) byPrefix.set(prefix, (module = { node: ir.nodes[pair.node]!, prefix, tensors: [] }));
    module.tensors.push({ suffix: suffixOf(pair.torch), shape: pair.torchShape });
  }
  return [...byPrefix.values()];
}

/**
 * A shape without its trailing 1s: a 1x1 conv's [out, in, 1, 1] holds its numbers as a
 * linear layer's [out, in] does, and ConvNeXt's layer scale [C, 1, 1] as cnnc's [C].
 */
const core = (shape: readonly number[]): readonly number[] => {
  let end = shape.length;
  while (end > 1 && shape[end - 1] === 1) end--;
  return shape.slice(0, end);
};

const fits = (layer: LayerModule, module: TorchModule): boolean =>
  layer.tensors.length === module.tensors.length && layer.tensors.every((t, i) => sameShape(core(t.shape), core(module.tensors[i]!.shape)));

/** The same kind of module: as many tensors, of the same ranks (a conv for a conv, a batchnorm for a batchnorm). */
const sameKind = (layer: LayerModule, module: TorchModule): boolean =>
  layer.tensors.length === module.tensors.length && layer.tensors.every((t, i) => core(t.shape).length === core(module.tensors[i]!.shape).length);

/** The longest alignment of layers to modules that keeps both orders (dynamic programming over both sequences). */
function align(layers: readonly LayerModule[], modules: readonly TorchModule[]): [number, number][] {
  const n = layers.length;
  const m = modules.length;
  const table = new Uint32Array((n + 1) * (m + 1));
  const at = (i: number, j: number): number => i * (m + 1) + j;
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[at(i, j)] = fits(layers[i]!, modules[j]!) ? table[at(i + 1, j + 1)]! + 1 : Math.max(table[at(i + 1, j)]!, table[at(i, j + 1)]!);
    }
  }
  const pairs: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (fits(layers[i]!, modules[j]!) && table[at(i, j)] === table[at(i + 1, j + 1)]! + 1) pairs.push([i++, j++]);
    else if (table[at(i + 1, j)]! >= table[at(i, j + 1)]!) i++;
    else j++;
  }
  return pairs;
}

/**
 * The first dense layer after a flatten of a [H, W, C] map (through dropout and activations),
 * with that map's shape: its columns come in C, H, W order from a PyTorch module.
 */
function flattenedInput(ir: IrGraph, node: IrNode): number[] | undefined {
  if (node.attrs.op !== "dense") return undefined;
  let current = ir.nodes[node.inputs[0]!]!;
  while (current.attrs.op !== "flatten") {
    if (current.inputs.length !== 1) return undefined;
    const input = ir.nodes[current.inputs[0]!]!;
    if (!sameShape(input.shape, current.shape)) return undefined;
    current = input;
  }
  const map = ir.nodes[current.inputs[0]!]!.shape;
  return map.length === 3 && map[0]! * map[1]! > 1 ? map : undefined;
}

/**
 * Matches a state_dict to the model. Keys equal to model.py's, with the right shapes, are
 * taken by name; otherwise by structure (see the top of the file). Throws MatchError on a
 * map file that names an unknown layer or module, or pins a module that does not fit.
 */
export function matchStateDict(ir: IrGraph, map: WeightMap, state: ReadonlyMap<string, Tensor>, pins: Pins = new Map()): MatchReport {
  const layers = layerModules(ir, map);
  const modules = torchModules(state);
  const byPrefix = new Map(modules.map((m) => [m.prefix, m]));
  const matches: ModuleMatch[] = [];
  const skipped: SkippedLayer[] = [];
  const taken = new Set<TorchModule>();
  const open: LayerModule[] = [];

  const layerNames = new Set(layers.map((l) => l.node.name));
  for (const [name, prefix] of pins) {
    if (!layerNames.has(name)) throw new MatchError(`the map file names \`${name}\`, which is no layer with weights in ${ir.model}; \`cnnc summary\` lists the layers`);
    if (prefix !== null && !byPrefix.has(prefix)) throw new MatchError(`the map file maps \`${name}\` to \`${prefix}\`, but the state_dict has no module of that name`);
  }
  // model.py's own state_dict: every key present under its name, with its shape.
  const byName = layers.every((l) => l.tensors.every((t) => sameShape(state.get(`${l.prefix}.${t.suffix}`)?.shape ?? [], t.shape)));
  for (const layer of layers) {
    // A separable conv is two modules of one layer: a pin names the layer, so it pins the first.
    const pin = pins.get(layer.node.name);
    const pinnedHere = pin !== undefined && !layers.some((other) => other !== layer && other.node === layer.node && layers.indexOf(other) < layers.indexOf(layer));
    if (pinnedHere && pin === null) {
      skipped.push({ layer, pinned: true });
    } else if (pinnedHere) {
      const module = byPrefix.get(pin!)!;
      if (!fits(layer, module) || taken.has(module)) throw new MatchError(`the map file maps \`${layer.node.name}\` (line ${layer.node.source.line}: ${formatShapes(layer.tensors)}) to \`${pin}\`, which has ${formatShapes(module.tensors)}`, layer.node);
      matches.push({ layer, module, how: "map" });
      taken.add(module);
    } else if (byName) {
      matches.push({ layer, module: byPrefix.get(layer.prefix)!, how: "name" });
    } else open.push(layer);
  }
  if (!byName) {
    const free = modules.filter((m) => !taken.has(m));
    const aligned = align(open, free);
    const alignedLayers = new Set<LayerModule>();
    for (const [i, j] of aligned) {
      matches.push({ layer: open[i]!, module: free[j]!, how: "order" });
      taken.add(free[j]!);
      alignedLayers.add(open[i]!);
    }
    for (const layer of open) {
      if (alignedLayers.has(layer)) continue;
      const module = free.find((m) => !taken.has(m) && fits(layer, m));
      if (module !== undefined) {
        matches.push({ layer, module, how: "out of order" });
        taken.add(module);
      }
    }
    // A shortcut's projection follows its body in the graph; some libraries register it before
    // (torchvision's RegNet: `proj`, then `f.a`), where the alignment gives the shortcut's module
    // to an equal-shaped body layer and leaves the shortcut the body's. Swap such pairs back.
    for (const late of matches.filter((m) => m.how === "out of order" && m.layer.node.role === "shortcut")) {
      const displaced = matches
        .filter((m) => m.how === "order" && m.layer.node.role !== "shortcut" && m.module.index < late.module.index && fits(late.layer, m.module) && fits(m.layer, late.module))
        .reduce<ModuleMatch | undefined>((best, m) => (best === undefined || m.module.index > best.module.index ? m : best), undefined);
      if (displaced === undefined) continue;
      [late.module, displaced.module] = [displaced.module, late.module];
    }
    const matched = new Set(matches.map((m) => m.layer));
    for (const layer of open) {
      if (matched.has(layer)) continue;
      // What sits in this layer's place: the unused module of its kind after the module matched to the layer before it.
      const position = layers.indexOf(layer);
      const before = matches.filter((m) => layers.indexOf(m.layer) < position).reduce((last, m) => Math.max(last, m.module.index), -1);
      const candidates = modules.filter((m) => !taken.has(m) && sameKind(layer, m));
      skipped.push({ layer, candidate: candidates.find((m) => m.index > before) ?? candidates[0] });
    }
  }
  matches.sort((a, b) => layers.indexOf(a.layer) - layers.indexOf(b.layer));
  skipped.sort((a, b) => layers.indexOf(a.layer) - layers.indexOf(b.layer));
  const used = new Set(matches.map((m) => m.module));
  // Under model.py's names, the module of a layer the map file starts fresh is dropped on purpose.
  const dropped = new Set(byName ? skipped.filter((s) => s.pinned).map((s) => s.layer.prefix) : []);
  const unused = modules.filter((m) => !used.has(m) && !dropped.has(m.prefix));

  const result = new Map<string, Tensor>();
  for (const { layer, module, how } of matches) {
    const flattened = how === "name" ? undefined : flattenedInput(ir, layer.node);
    layer.tensors.forEach((t, i) => {
      const source = state.get(module.tensors[i]!.key)!;
      let data = source.data as Float32Array;
      if (flattened !== undefined && t.suffix === "weight") {
        // [out, C·H·W] in C, H, W order → [out, H·W·C] in H, W, C order.
        const [h, w, c] = flattened as [number, number, number];
        data = permute(data, [t.shape[0]!, c, h, w], [0, 2, 3, 1]);
      }
      result.set(`${layer.prefix}.${t.suffix}`, { shape: t.shape, dtype: "float32", data });
    });
  }
  return { matches, skipped, unused, state: result };
}

/** Reads a map file: `{ "dense_1": "fc", "conv_1": "backbone.stem.conv" }`, null to start a layer fresh. */
export function parsePins(text: string): Pins {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new MatchError(`the map file is not JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new MatchError('the map file must be a JSON object such as { "dense_1": "fc" }');
  const pins = new Map<string, string | null>();
  for (const [name, prefix] of Object.entries(parsed as Record<string, unknown>)) {
    if (prefix !== null && typeof prefix !== "string") throw new MatchError(`the map file gives \`${name}\` ${JSON.stringify(prefix)}: give a state_dict module name such as "fc", or null to start the layer fresh`);
    pins.set(name, prefix);
  }
  return pins;
}

/** The mapping as text: one line per layer module in graph order, then the modules nothing took. */
export function explainMatch(report: MatchReport): string {
  const rows: { layer: LayerModule; cells: [string, string, string] }[] = [
    ...report.matches.map((m) => ({ layer: m.layer, cells: [`${m.layer.prefix} (line ${m.layer.node.source.line})`, `← ${m.module.prefix || "(top level)"}`, `${formatShapes(m.layer.tensors)}${m.how === "order" || m.how === "name" ? "" : `  [${m.how}]`}`] as [string, string, string] })),
    ...report.skipped.map((s) => ({
      layer: s.layer,
      cells: [`${s.layer.prefix} (line ${s.layer.node.source.line})`, "  fresh", s.pinned ? "(the map file starts it fresh)" : `needs ${formatShapes(s.layer.tensors)}; ${s.candidate ? `${s.candidate.prefix} has ${formatShapes(s.candidate.tensors)}` : "nothing fits"}`] as [string, string, string],
    })),
  ];
  // Node ids follow graph order; a layer's modules (a separable conv's two) keep their prefix order.
  rows.sort((a, b) => a.layer.node.id - b.layer.node.id || a.layer.prefix.localeCompare(b.layer.prefix));
  const widths = [0, 1].map((k) => Math.max(0, ...rows.map((r) => r.cells[k]!.length)));
  const lines = rows.map(({ cells }) => `${cells[0].padEnd(widths[0]!)}  ${cells[1].padEnd(widths[1]!)}  ${cells[2]}`);
  for (const module of report.unused) lines.push(`unused: ${module.prefix || "(top level)"} ${formatShapes(module.tensors)}`);
  return lines.join("\n") + "\n";
}
