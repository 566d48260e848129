// The playground page: the editor, the examples menu, the summary, graph and training
// panels, and the downloads. The compiler runs in the worker (./worker.ts); tfjs is loaded
// only when a model is trained or downloaded, so the page is usable before it arrives.

import { formatBytes } from "../../src/summary/memory.js";
import type { SummaryJson } from "../../src/summary/summary.js";
import { drawChart, type ChartPoint } from "./chart.js";
import { CompilerClient } from "./client.js";
import { createEditor } from "./editor.js";
import type { ModelReport, PageDiagnostic, TrainArtifacts } from "./protocol.js";
import { trainInPage, untrainedModelFiles } from "./train.js";

const EXAMPLES: Record<string, string> = Object.fromEntries(
  Object.entries(import.meta.glob<string>("../../examples/*.cnn", { query: "?raw", import: "default", eager: true })).map(([path, text]) => [path.replace(/^.*\/(.*)\.cnn$/, "$1"), text]),
);
const FIRST_EXAMPLE = "lenet5";

/** What the browser test and the benchmark read: keystroke → diagnostics shown, when the page became usable, the text. */
interface PageTimings {
  /** Milliseconds from a change of the text to its diagnostics being in the editor, one per checked version. */
  keystrokeToDiagnostics: number[];
  /** Of each: milliseconds the worker spent checking. */
  checkMillis: number[];
  /** Milliseconds from navigation start to the first diagnostics of the first example in the editor. */
  usableAt?: number;
  /** The version of the text in the editor. */
  textVersion: number;
  /** The version of the text whose diagnostics are shown. */
  shownVersion: number;
  /** The version whose summary is shown. */
  reportVersion: number;
  text(): string;
}
const timings: PageTimings = { keystrokeToDiagnostics: [], checkMillis: [], textVersion: 0, shownVersion: 0, reportVersion: 0, text: () => editor.view.state.doc.toString() };
(window as unknown as { cnncPlayground: PageTimings }).cnncPlayground = timings;

const byId = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const status = byId<HTMLElement>("status");
const summaryPanel = byId<HTMLElement>("summary");
const graphPanel = byId<HTMLElement>("graph");
const trainLog = byId<HTMLPreElement>("train-log");
const chart = document.getElementById("chart") as unknown as SVGSVGElement;

const client = new CompilerClient();
const changedAt = new Map<number, number>();
let selectedModel: string | undefined;
let lastReport: ModelReport | undefined;
let trained: { model: string; results: Record<string, string | Uint8Array> } | undefined;
/** Errors in the text whose diagnostics are shown. */
let errorCount = 0;

const expandBlocks = byId<HTMLInputElement>("expand");
const sendText = (text: string): void => {
  const version = (timings.textVersion = client.update(text, selectedModel, expandBlocks.checked));
  changedAt.set(version, performance.now());
};
const editor = createEditor(byId("editor"), client, sendText);

client.onDiagnostics = (version, diagnostics, hints, millis) => {
  if (version !== client.version) return; // a newer text is on its way
  editor.showDiagnostics(diagnostics, hints);
  timings.shownVersion = version;
  const started = changedAt.get(version);
  changedAt.clear();
  if (started !== undefined) {
    timings.keystrokeToDiagnostics.push(performance.now() - started);
    timings.checkMillis.push(millis);
  }
  timings.usableAt ??= performance.now();
  showStatus(diagnostics, millis);
};

client.onReport = (version, report, tokens, error) => {
  if (version !== client.version) return;
  editor.showTokens(tokens);
  timings.reportVersion = version;
  if (error !== undefined) summaryPanel.textContent = error;
  if (report === undefined) return;
  lastReport = report;
  showModels(report);
  summaryPanel.replaceChildren(summaryView(report.summary));
  if (errorCount > 0) {
    const note = Object.assign(document.createElement("p"), { className: "partial", textContent: `The text has ${errorCount} error${errorCount === 1 ? "" : "s"}: these figures cover only the layers that checked.` });
    summaryPanel.prepend(note);
  }
  if (report.graphSvg !== undefined) showGraph(report.graphSvg);
  else graphPanel.textContent = errorCount > 0 ? "The graph is drawn when the text has no errors." : "No graph for this model.";
};

function showStatus(diagnostics: PageDiagnostic[], millis: number): void {
  const errors = (errorCount = diagnostics.filter((d) => d.severity === "error").length);
  const warnings = diagnostics.length - errors;
  const counts = errors + warnings === 0 ? "no problems" : [errors && `${errors} error${errors === 1 ? "" : "s"}`, warnings && `${warnings} warning${warnings === 1 ? "" : "s"}`].filter(Boolean).join(", ");
  const first = diagnostics[0];
  const line = first === undefined ? "" : ` — line ${editor.view.state.doc.lineAt(Math.min(first.from, editor.view.state.doc.length)).number}: ${first.message}`;
  status.textContent = `${counts}${line}  (checked in ${millis.toFixed(1)} ms)`;
  status.className = errors > 0 ? "error" : warnings > 0 ? "warning" : "";
}

function showModels(report: ModelReport): void {
  const select = byId<HTMLSelectElement>("models");
  byId("model-choice").hidden = report.models.length < 2;
  if ([...select.options].map((o) => o.value).join() !== report.models.join()) select.replaceChildren(...report.models.map((m) => new Option(m, m)));
  select.value = report.model;
}

const number = (n: number | null): string => (n === null ? "—" : n.toLocaleString("en-US"));

function summaryView(summary: SummaryJson): HTMLElement {
  const root = document.createElement("div");
  const facts = document.createElement("dl");
  const fact = (name: string, value: string): void => {
    const dt = document.createElement("dt");
    dt.textContent = name;
    const dd = document.createElement("dd");
    dd.textContent = value;
    facts.append(dt, dd);
  };
  fact("Model", summary.model);
  fact("Input → output", `[${summary.input.join(", ")}] → ${summary.output.length > 0 ? `[${summary.output.join(", ")}]` : "—"}`);
  fact("Parameters", `${number(summary.params.total)} (${number(summary.params.trainable)} trainable, ${number(summary.params.nonTrainable)} non-trainable)`);
  fact("MACs", summary.macs === null ? `depend on the input size${summary.macsAt ? `: ${number(summary.macsAt.macs)} at ${Object.entries(summary.macsAt.sizes).map(([k, v]) => `${k}=${v}`).join(", ")}` : ""}` : number(summary.macs));
  for (const condition of summary.conditions ?? []) fact("Accepted sizes", condition);
  const memory = summary.memory;
  if (memory !== undefined) {
    fact(`Training memory (batch ${memory.batch}, ${memory.optimizer})`, `${formatBytes(memory.training.tfjs)} in tfjs, ${formatBytes(memory.training.pytorch)} in PyTorch`);
    fact("… of which", `activations ${formatBytes(memory.activations)} (kept for backward ${formatBytes(memory.saved)}), parameters ${formatBytes(memory.params)}, gradients ${formatBytes(memory.gradients)}, optimizer state ${formatBytes(memory.optimizerState)}`);
  }
  root.append(facts);
  const table = document.createElement("table");
  table.className = "layers";
  const head = table.createTHead().insertRow();
  for (const title of ["Layer", "Op", "Output shape", "Params", "MACs", "Activations", "Line"]) head.append(Object.assign(document.createElement("th"), { textContent: title }));
  const body = table.createTBody();
  for (const layer of summary.layers) {
    const row = body.insertRow();
    row.title = `line ${layer.line}${layer.block.length ? ` (in ${layer.block.join(" › ")})` : ""}: click to show it`;
    const activation = layer.memory === undefined ? "—" : formatBytes(layer.memory.activation);
    for (const cell of [layer.name, layer.op, `[${layer.outputShape.join(", ")}]`, number(layer.params), number(layer.macs), activation, String(layer.line)]) row.insertCell().textContent = cell;
    row.addEventListener("click", () => editor.goToLine(layer.line));
  }
  root.append(table);
  return root;
}

function showGraph(svg: string): void {
  const parsed = new DOMParser().parseFromString(svg, "image/svg+xml").documentElement;
  graphPanel.replaceChildren(document.importNode(parsed, true));
}

// A node of the graph carries its source line; clicking it shows that line.
graphPanel.addEventListener("click", (event) => {
  const node = (event.target as Element).closest("[data-line]");
  if (node === null) return;
  event.preventDefault();
  editor.goToLine(Number(node.getAttribute("data-line")));
});

function selectPanel(name: string): void {
  for (const tab of document.querySelectorAll<HTMLButtonElement>("nav .tab")) tab.setAttribute("aria-selected", String(tab.dataset["panel"] === name));
  for (const panel of document.querySelectorAll<HTMLElement>(".panel")) panel.hidden = panel.id !== name;
}
for (const tab of document.querySelectorAll<HTMLButtonElement>("nav .tab")) tab.addEventListener("click", () => selectPanel(tab.dataset["panel"]!));

function loadExample(name: string): void {
  selectedModel = undefined;
  trained = undefined;
  editor.setText(EXAMPLES[name] ?? "");
}
const examples = byId<HTMLSelectElement>("examples");
examples.append(...Object.keys(EXAMPLES).sort().map((name) => new Option(name, name)));
examples.value = FIRST_EXAMPLE;
examples.addEventListener("change", () => loadExample(examples.value));
expandBlocks.addEventListener("change", () => sendText(editor.view.state.doc.toString()));
byId<HTMLSelectElement>("models").addEventListener("change", (event) => {
  selectedModel = (event.target as HTMLSelectElement).value;
  sendText(editor.view.state.doc.toString());
});

byId("format").addEventListener("click", async () => {
  const error = await editor.format();
  if (error !== undefined) status.textContent = `cannot format: ${error}`;
});

function download(files: Record<string, string | Uint8Array>): void {
  for (const [name, content] of Object.entries(files)) {
    const blob = new Blob([content as BlobPart], { type: typeof content === "string" ? "text/plain" : "application/octet-stream" });
    const link = Object.assign(document.createElement("a"), { href: URL.createObjectURL(blob), download: name });
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  }
}

async function withArtifacts<T>(what: "train" | "typescript" | "pytorch", use: (result: Extract<Awaited<ReturnType<CompilerClient["artifacts"]>>, { ok: true }>) => Promise<T> | T): Promise<T | undefined> {
  const result = await client.artifacts(what, selectedModel);
  if (!result.ok) {
    status.textContent = `cannot ${what === "train" ? "train or download" : "download"} this model: ${result.error}`;
    status.className = "error";
    return undefined;
  }
  return use(result);
}

byId("download-ts").addEventListener("click", () => void withArtifacts("typescript", (r) => r.what !== "train" && download(r.files)));
byId("download-pytorch").addEventListener("click", () => void withArtifacts("pytorch", (r) => r.what !== "train" && download(r.files)));
byId("download-tfjs").addEventListener("click", () =>
  void withArtifacts("train", async (r) => {
    if (r.what !== "train") return;
    const model = r.train.ir.model;
    if (trained?.model === model) download({ "model.json": trained.results["model.json"]!, "weights.bin": trained.results["weights.bin"]! });
    else download(await untrainedModelFiles(r.train));
  }),
);

let stopRequested = false;
const trainButton = byId<HTMLButtonElement>("train-button");
const stopButton = byId<HTMLButtonElement>("stop-button");
stopButton.addEventListener("click", () => (stopRequested = true));

async function runTraining(artifacts: TrainArtifacts): Promise<void> {
  const epochs = Math.max(1, Number(byId<HTMLInputElement>("epochs").value) || 1);
  const images = Math.max(1, Number(byId<HTMLInputElement>("images").value) || 5000);
  const points: ChartPoint[] = [];
  const log = (line: string): void => {
    trainLog.textContent += `${line}\n`;
  };
  trainLog.textContent = "";
  let totalSteps = 1;
  let drawn = false;
  const outcome = await trainInPage(artifacts, {
    epochs,
    images,
    stopped: () => stopRequested,
    progress: {
      step(report) {
        totalSteps = report.steps * report.epochs;
        points.push({ step: (report.epoch - 1) * report.steps + report.step, loss: report.loss, ...(report.metric ? { accuracy: report.metric.value } : {}) });
        // One drawing per frame at most, however fast the steps come.
        if (!drawn) {
          drawn = true;
          requestAnimationFrame(() => {
            drawn = false;
            drawChart(chart, points, totalSteps);
          });
        }
        status.textContent = `training: epoch ${report.epoch}/${report.epochs}, step ${report.step}/${report.steps}, loss ${report.loss.toFixed(4)}${report.metric ? `, ${report.metric.name} ${report.metric.value.toFixed(4)}` : ""}`;
        status.className = "";
      },
      epochEnd(epoch, total, logs) {
        log(`epoch ${epoch}/${total}: ${Object.entries(logs).filter(([k]) => k !== "epoch").map(([k, v]) => `${k} ${k === "lr" ? v.toExponential(2) : v.toFixed(4)}`).join(", ")}`);
      },
      message: log,
    },
  });
  drawChart(chart, points, totalSteps);
  if (outcome.message !== undefined) log(outcome.message);
  if (outcome.test !== undefined) {
    const metrics = Object.entries(outcome.test.metrics).map(([k, v]) => `, ${k} ${v.toFixed(4)}`).join("");
    log(`test (${outcome.testCount} images): loss ${outcome.test.loss.toFixed(4)}${metrics}`);
    trainLog.dataset["testAccuracy"] = String(outcome.test.metrics["accuracy"] ?? "");
  }
  log(`${outcome.status} on ${outcome.backend}; "tfjs model" now downloads the trained weights`);
  trainLog.dataset["status"] = outcome.status;
  trained = { model: artifacts.ir.model, results: outcome.results };
  status.textContent = `training ${outcome.status}`;
}

trainButton.addEventListener("click", () => {
  selectPanel("train");
  if (lastReport?.untrainable !== undefined) {
    trainLog.textContent = `model \`${lastReport.model}\` cannot be trained here: ${lastReport.untrainable}\n`;
    return;
  }
  trainButton.disabled = true;
  stopButton.disabled = false;
  stopRequested = false;
  delete trainLog.dataset["status"];
  void withArtifacts("train", (r) => (r.what === "train" ? runTraining(r.train) : undefined))
    .catch((error: Error) => {
      trainLog.textContent += `error: ${error.message}\n`;
      trainLog.dataset["status"] = "failed";
    })
    .finally(() => {
      trainButton.disabled = false;
      stopButton.disabled = true;
    });
});

loadExample(FIRST_EXAMPLE);
