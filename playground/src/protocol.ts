// The messages between the page and the compiler's web worker. The worker runs the
// editor features of src/ide, the formatter and the emitters on the current text; the page
// only draws what it is sent. Offsets are UTF-16 offsets into the text, as in src/ide.

import type { SummaryJson } from "../../src/summary/summary.js";
import type { IrGraph } from "../../src/ir/ir.js";
import type { TfModelSpec } from "../../src/emit/tfjs-lowering.js";
import type { TrainSettings } from "../../src/train/config.js";

export interface PageDiagnostic {
  from: number;
  to: number;
  severity: "error" | "warning";
  code: string;
  message: string;
  help?: string;
  /** Other places the diagnostic mentions, with their own 1-based line for showing. */
  related: { from: number; to: number; line: number; message: string }[];
}

export interface PageInlayHint {
  offset: number;
  label: string;
  tooltip?: string;
}

export interface PageCompletion {
  label: string;
  kind: string;
  detail?: string;
  documentation?: string;
  insertText?: string;
  snippet: boolean;
  sortText?: string;
}

/** A semantic token of the language server, for colouring. */
export interface PageToken {
  from: number;
  to: number;
  type: string;
}

/** What the side panels show for the selected model, made once typing pauses. */
export interface ModelReport {
  models: string[];
  model: string;
  summary: SummaryJson;
  /** The summary table as `cnnc summary` prints it. */
  table: string;
  /** The graph as SVG (nodes carry their source line), when the graph renderer is available. */
  graphSvg?: string;
  /** Why the model cannot be trained here (symbolic sizes, no vector output), if it cannot. */
  untrainable?: string;
}

export type Request =
  /** `expand` opens block calls in the graph. */
  | { kind: "update"; version: number; text: string; model?: string; expand?: boolean }
  | { kind: "hover"; id: number; version: number; offset: number }
  | { kind: "complete"; id: number; version: number; offset: number }
  | { kind: "format"; id: number; version: number }
  | { kind: "artifacts"; id: number; version: number; model?: string; what: "train" | "typescript" | "pytorch" };

export type TrainArtifacts = { spec: TfModelSpec; ir: IrGraph; settings: TrainSettings; lastOp: string; outputWidth: number | undefined };

export type ArtifactResult =
  | { ok: true; what: "train"; train: TrainArtifacts }
  | { ok: true; what: "typescript" | "pytorch"; files: Record<string, string> }
  | { ok: false; error: string };

export type Reply =
  | { kind: "diagnostics"; version: number; diagnostics: PageDiagnostic[]; hints: PageInlayHint[]; millis: number }
  | { kind: "report"; version: number; report?: ModelReport; tokens: PageToken[]; error?: string }
  | { kind: "hover"; id: number; result?: { from: number; to: number; markdown: string } }
  | { kind: "complete"; id: number; result?: { from: number; to: number; items: PageCompletion[] } }
  | { kind: "format"; id: number; text?: string; error?: string }
  | { kind: "artifacts"; id: number; result: ArtifactResult }
  /** A request that failed inside the worker (a bug): the page shows the message. */
  | { kind: "failed"; id: number; error: string };
