// Loading a PyTorch state_dict into a model for `cnnc convert` and `cnnc train --init`:
// match it (src/convert/match.ts), print the mapping with --explain, report the layers
// that start fresh, and refuse with diagnostics at the layers' lines under --strict or
// when nothing matches.

import { readFileSync } from "node:fs";
import type { IrGraph } from "../ir/ir.js";
import type { TfModelSpec } from "../emit/tfjs-lowering.js";
import type { Tensor } from "../convert/weights.js";
import { explainMatch, formatShapes, MatchError, parsePins, type MatchReport, type Pins } from "../convert/match.js";
import { diagnostic } from "../diagnostics/codes.js";
import type { Diagnostic, Span } from "../diagnostics/diagnostic.js";
import { renderDiagnostics, summarizeCounts } from "../diagnostics/render.js";
import { CliUsageError } from "./options.js";

export interface WeightOptions {
  /** Refuse unless every layer with weights gets them and every module of the file is used. */
  strict?: boolean;
  /** Print the mapping from layers to state_dict modules. */
  explain?: boolean;
  /** A JSON map file pinning layers to state_dict modules. */
  map?: string;
}

export interface LoadContext {
  file: string;
  source: string;
  sources?: Parameters<typeof renderDiagnostics>[3]["sources"];
  /** Where the model is declared: unused modules are reported there. */
  modelSpan: Span;
  color: boolean;
}

function readPins(path: string | undefined): Pins | undefined {
  if (path === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new CliUsageError(`cannot read the map file ${path}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message}`);
  }
  return parsePins(text);
}

const spanOf = (report: MatchReport["skipped"][number]): Span => ({ start: report.layer.node.source.start, end: report.layer.node.source.end });

/** The diagnostics of a match: skipped layers and unused modules (errors under --strict, else warnings), or no match at all. */
export function matchDiagnostics(report: MatchReport, modelSpan: Span, strict: boolean): Diagnostic[] {
  if (report.matches.length === 0) {
    const first = report.skipped[0];
    return [
      diagnostic("E0904", modelSpan, "no layer of this model matches a module of the state_dict", {
        help: first?.candidate
          ? `the first layer, ${first.layer.prefix}, needs ${formatShapes(first.layer.tensors)}; the file's ${first.candidate.prefix} has ${formatShapes(first.candidate.tensors)}: is it the weights of another network?`
          : "is the file the weights of another network?",
      }),
    ];
  }
  const severity = strict ? "error" : "warning";
  const out: Diagnostic[] = [];
  for (const skipped of report.skipped) {
    if (skipped.pinned) continue;
    const { layer, candidate } = skipped;
    const message = candidate
      ? `${layer.prefix} needs ${formatShapes(layer.tensors)}, but the state_dict's ${candidate.prefix} in its place has ${formatShapes(candidate.tensors)}`
      : `the state_dict has no module for ${layer.prefix} (${formatShapes(layer.tensors)})`;
    out.push({
      ...diagnostic("E0901", spanOf(skipped), message, {
        label: strict ? "no weights for this layer" : "starts fresh",
        help: strict ? "drop --strict to start this layer fresh (a new head), change the layer to the shapes of the weights, or pin it with --map" : "--strict refuses instead; --explain prints the whole mapping",
      }),
      severity,
    });
  }
  if (report.unused.length > 0) {
    const names = report.unused.slice(0, 4).map((m) => `${m.prefix || "(top level)"} (${formatShapes(m.tensors)})`);
    out.push({
      ...diagnostic("E0902", modelSpan, `${report.unused.length} module${report.unused.length === 1 ? "" : "s"} of the state_dict fit no layer: ${names.join(", ")}${report.unused.length > 4 ? ", …" : ""}`, {
        help: strict ? "drop --strict to ignore them, or pin layers to them with --map" : "they are not loaded; --explain prints the whole mapping",
      }),
      severity,
    });
  }
  return out;
}

/**
 * The weights of a PyTorch file for this model, under tfjs's names (the layers it does not
 * cover are absent); undefined after printing the errors that refuse it.
 */
export async function loadTorchWeights(path: string, bytes: Uint8Array, ir: IrGraph, spec: TfModelSpec, context: LoadContext, options: WeightOptions): Promise<Map<string, Tensor> | undefined> {
  const { matchTorchFile } = await import("../convert/convert.js");
  let matched;
  try {
    matched = matchTorchFile(ir, spec, bytes, readPins(options.map));
  } catch (error) {
    if (!(error instanceof MatchError)) throw error;
    const node = error.node;
    const problem = node ? diagnostic("E0903", { start: node.source.start, end: node.source.end }, error.message) : diagnostic("E0903", context.modelSpan, error.message, { help: `in the map file ${options.map}` });
    process.stderr.write(renderDiagnostics([problem], context.file, context.source, { color: context.color, sources: context.sources }) + "\n");
    return undefined;
  }
  const { report, weights } = matched;
  if (options.explain) process.stdout.write(`${path} → ${ir.model}:\n${explainMatch(report)}`);
  const diagnostics = matchDiagnostics(report, context.modelSpan, options.strict === true);
  if (diagnostics.length > 0) process.stderr.write(renderDiagnostics(diagnostics, context.file, context.source, { color: context.color, sources: context.sources }) + "\n");
  if (diagnostics.some((d) => d.severity === "error")) {
    process.stderr.write(`${context.file}: ${summarizeCounts(diagnostics)}; ${path} not loaded\n`);
    return undefined;
  }
  const layers = new Set(report.matches.map((m) => m.layer.node)).size;
  const fresh = new Set(report.skipped.map((s) => s.layer.node)).size;
  const byName = report.matches.every((m) => m.how === "name");
  process.stderr.write(`${path}: loaded ${layers} layer${layers === 1 ? "" : "s"}${byName ? " by name" : " by structure"}${fresh > 0 ? `; ${fresh} start${fresh === 1 ? "s" : ""} fresh` : ""}\n`);
  return weights;
}
