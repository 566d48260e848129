// The compiler in a web worker: every keystroke's text is checked here with the language
// server's incremental checker, and the editor features, the formatter, the summary and
// the emitters are the same functions `cnnc lsp`, `cnnc fmt`, `cnnc summary` and
// `cnnc build` call, and the graph is `cnnc graph`'s. This file only translates between them and the page's messages.

import { analysisOf, type Analysis } from "../../src/ide/analysis.js";
import { completion } from "../../src/ide/completion.js";
import { hover } from "../../src/ide/hover.js";
import { IncrementalChecker } from "../../src/ide/incremental.js";
import { inlayHints } from "../../src/ide/inlay-hints.js";
import { semanticTokens } from "../../src/ide/semantic-tokens.js";
import { formatText } from "../../src/format/printer.js";
import { LineIndex } from "../../src/diagnostics/line-index.js";
import type { Diagnostic } from "../../src/diagnostics/diagnostic.js";
import { renderSummary, summarize } from "../../src/summary/summary.js";
import { graphView } from "../../src/graph/view.js";
import { layoutGraph } from "../../src/graph/layout.js";
import { renderSvg } from "../../src/graph/svg.js";
import ELK from "elkjs/lib/elk-api.js";
import elkWorkerUrl from "elkjs/lib/elk-worker.min.js?url";
import { buildIr } from "../../src/ir/build.js";
import { LoweringError, lowerToTfjs } from "../../src/emit/tfjs-lowering.js";
import { emitPytorch } from "../../src/emit/pytorch.js";
import { emitTypeScript } from "../../src/emit/typescript.js";
import { resolveSettings, SettingsError } from "../../src/train/config.js";
import type { ModelGraph } from "../../src/check/graph.js";
import type { ArtifactResult, ModelReport, PageDiagnostic, Reply, Request } from "./protocol.js";

/** The file name the playground's text has in generated files' headers. */
const SOURCE_NAME = "playground.cnn";

const checker = new IncrementalChecker();
let current: { version: number; text: string; model?: string; expand?: boolean; analysis?: Analysis } = { version: -1, text: "" };

function post(reply: Reply): void {
  (self as unknown as Worker).postMessage(reply);
}

/** The analysis of the latest text, checked on first use. */
function analysis(): Analysis {
  current.analysis ??= analysisOf(checker.check(current.text));
  return current.analysis;
}

/** A diagnostic as the page shows it; one inside an imported file is shown at the import that brings the file in. */
function pageDiagnostic(a: Analysis, d: Diagnostic): PageDiagnostic {
  const lines = a.lines;
  const related = d.related
    .filter((r) => r.span.end <= a.text.length)
    .map((r) => ({ from: r.span.start, to: r.span.end, line: lines.position(r.span.start).line + 1, message: r.message }));
  const base = { severity: d.severity, code: d.code, ...(d.help !== undefined ? { help: d.help } : {}), related };
  if (d.span.start <= a.text.length) return { ...base, from: d.span.start, to: Math.min(d.span.end, a.text.length), message: d.message };
  const { file, span } = a.compilation.locate(d.span);
  const main = a.compilation.modules[0];
  const statement = main?.program.imports.find((i) => main.importPaths.get(i) === file.path) ?? main?.program.imports[0];
  const at = new LineIndex(file.text).position(span.start);
  const where = statement?.pathSpan ?? { start: 0, end: 0 };
  return { ...base, from: where.start, to: where.end, message: `${file.name}:${at.line + 1}:${at.character + 1}: ${d.message}` };
}

function pickModel(models: readonly ModelGraph[], name: string | undefined): ModelGraph | undefined {
  return models.find((m) => m.name === name) ?? models[models.length - 1];
}

/**
 * ELK lays the graph out in a worker of its own. Its single-file build, run in this worker,
 * would take over this worker's messages (it installs itself as the page's layout worker).
 */
let elk: InstanceType<typeof ELK> | undefined;

async function report(a: Analysis): Promise<ModelReport | undefined> {
  const models = a.compilation.models;
  const model = pickModel(models, current.model);
  if (model === undefined) return undefined;
  const train = a.compilation.trains.find((t) => t.model === model.name);
  const summary = summarize(model, a.text, { memory: { ...(train !== undefined ? { train } : {}) } });
  // The graph of a model that checked only in part would mislead; it waits for a clean text.
  const clean = !a.compilation.diagnostics.some((d) => d.severity === "error");
  const graphSvg = clean ? renderSvg(await layoutGraph(graphView(model, a.text, { expand: current.expand === true }), (elk ??= new ELK({ workerFactory: () => new Worker(elkWorkerUrl) })))) : undefined;
  const output = model.nodes[model.outputId!];
  const untrainable =
    model.sizes !== undefined
      ? "its input sizes are symbolic: give them numbers to train it here"
      : output === undefined || output.shape.length !== 1
        ? "it does not end in one vector per image (flatten or global pooling, then dense)"
        : undefined;
  return { models: models.map((m) => m.name), model: model.name, summary, table: renderSummary(summary), ...(graphSvg !== undefined ? { graphSvg } : {}), ...(untrainable !== undefined ? { untrainable } : {}) };
}

/** The model's IR and tfjs layer specs, or the reason there are none. */
function lowered(a: Analysis, name: string | undefined): { ok: true; model: ModelGraph; ir: ReturnType<typeof buildIr>; spec: ReturnType<typeof lowerToTfjs> } | { ok: false; error: string } {
  const errors = a.compilation.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) return { ok: false, error: `the text has ${errors.length} error${errors.length === 1 ? "" : "s"}: fix ${errors.length === 1 ? "it" : "them"} first` };
  const model = pickModel(a.compilation.models, name);
  if (model === undefined) return { ok: false, error: "the text declares no model" };
  if (model.sizes !== undefined) return { ok: false, error: `model \`${model.name}\` has symbolic input sizes` };
  const ir = buildIr(model, a.text, a.compilation.trains.find((t) => t.model === model.name));
  try {
    return { ok: true, model, ir, spec: lowerToTfjs(ir, { seed: ir.train?.seed ?? 42 }) };
  } catch (error) {
    if (error instanceof LoweringError) return { ok: false, error: `line ${error.node.source.line}: ${error.message}` };
    throw error;
  }
}

async function artifacts(request: Extract<Request, { kind: "artifacts" }>): Promise<ArtifactResult> {
  const result = lowered(analysis(), request.model);
  if (!result.ok) return result;
  const { model, ir, spec } = result;
  if (request.what === "pytorch") return { ok: true, what: "pytorch", files: emitPytorch({ ir, sourceFile: SOURCE_NAME, doc: model.decl.doc }) };
  if (request.what === "typescript") {
    const code = await emitTypeScript({ spec, ir, sourceFile: SOURCE_NAME, doc: model.decl.doc, train: ir.train });
    return { ok: true, what: "typescript", files: { [`${model.name}.ts`]: code } };
  }
  try {
    const settings = resolveSettings(ir.train, {});
    const output = model.nodes[model.outputId!]!;
    return { ok: true, what: "train", train: { spec, ir, settings, lastOp: output.op, outputWidth: output.shape.length === 1 ? (output.shape[0] as number) : undefined } };
  } catch (error) {
    if (error instanceof SettingsError) return { ok: false, error: error.message };
    throw error;
  }
}

/** How long typing must pause before the summary, the graph and the colours are made. */
const REPORT_DELAY_MS = 150;
let reportTimer: ReturnType<typeof setTimeout> | undefined;

/** Summary, graph and colours wait until typing pauses, so a keystroke's check never waits behind them. */
function scheduleReport(version: number): void {
  clearTimeout(reportTimer);
  reportTimer = setTimeout(() => {
    if (version !== current.version) return;
    const a = analysis();
    const tokens = semanticTokens(a).map((t) => ({ from: t.start, to: t.start + t.length, type: t.type }));
    report(a).then(
      (result) => {
        if (version === current.version) post({ kind: "report", version, report: result, tokens });
      },
      (error: Error) => post({ kind: "report", version, tokens, error: `internal error: ${error.message}` }),
    );
  }, REPORT_DELAY_MS);
}

function handle(request: Request): void {
  switch (request.kind) {
    case "update": {
      const started = performance.now();
      current = { version: request.version, text: request.text, ...(request.model !== undefined ? { model: request.model } : {}), ...(request.expand !== undefined ? { expand: request.expand } : {}) };
      const a = analysis();
      const diagnostics = a.compilation.diagnostics.map((d) => pageDiagnostic(a, d));
      const hints = inlayHints(a);
      post({ kind: "diagnostics", version: request.version, diagnostics, hints, millis: performance.now() - started });
      scheduleReport(request.version);
      return;
    }
    case "hover": {
      const result = request.version === current.version ? hover(analysis(), request.offset) : undefined;
      post({ kind: "hover", id: request.id, ...(result !== undefined ? { result: { from: result.span.start, to: result.span.end, markdown: result.contents } } : {}) });
      return;
    }
    case "complete": {
      if (request.version !== current.version) return post({ kind: "complete", id: request.id });
      const result = completion(analysis(), request.offset);
      const items = result.items.map((item) => ({ ...item, snippet: item.snippet === true }));
      post({ kind: "complete", id: request.id, result: { from: result.replace.start, to: result.replace.end, items } });
      return;
    }
    case "format": {
      const result = formatText(current.text, { indentWidth: 2 });
      post(result.ok ? { kind: "format", id: request.id, text: result.text } : { kind: "format", id: request.id, error: result.diagnostics[0]?.message ?? "the text does not parse" });
      return;
    }
    case "artifacts":
      void artifacts(request).then(
        (result) => post({ kind: "artifacts", id: request.id, result }),
        (error: Error) => post({ kind: "artifacts", id: request.id, result: { ok: false, error: `internal error: ${error.message}` } }),
      );
      return;
  }
}

self.onmessage = (event: MessageEvent<Request>) => {
  try {
    handle(event.data);
  } catch (error) {
    // A bug in a feature must not take the editor down: report it and keep serving.
    console.error("cnnc worker:", error);
    if ("id" in event.data) post({ kind: "failed", id: event.data.id, error: `internal error: ${(error as Error).message}` });
  }
};
