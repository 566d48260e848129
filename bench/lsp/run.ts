// Benchmark: how long the language server takes, on a 1,000-line file, from a keystroke's
// didChange to the diagnostics for that version, and to answer inlay hints after it.
// It spawns the built server (`node dist/lsp/server/main.js --stdio`, what `cnnc lsp --stdio`
// runs) and drives it over stdio with a JSON-RPC client, one edit at a time, as typing
// does. Prints a Markdown table and rewrites the lsp section of bench/RESULTS.md.
//
// Run with `npm run build && node dist/bench/lsp/run.js`.

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node";
import { compile } from "../../src/compile.js";
import { replaceSection, ROOT } from "../common.js";

const LINES = 1_000;
const EDITS = 300;
const WARMUP = 30;

/**
 * A 1,000-line file of real architectures: the examples, each with its models and blocks
 * renamed apart, until the next one would pass 1,000 lines; comment lines make up the rest.
 */
export function thousandLineFile(): { text: string; parts: string[] } {
  const names = ["resnet50", "mobilenet_v2", "efficientnet_b0", "densenet121", "unet", "vgg16_bn", "squeezenet1_1", "alexnet", "lenet5", "resnet18", "resnet34", "vgg16", "resnet152", "visual_intelligence"];
  const lines: string[] = [];
  const parts: string[] = [];
  for (let round = 0; ; round++) {
    let added = false;
    for (const name of names) {
      // A suffix per copy keeps every model and block name unique, so the file checks clean.
      const source = readFileSync(join(ROOT, "examples", `${name}.cnn`), "utf8").replace(/\b([A-Z][A-Za-z0-9_]*)\b/g, `$1_${parts.length}`).trimEnd().split("\n");
      if (lines.length + source.length + 1 > LINES) continue;
      lines.push(...source, "");
      parts.push(`${name}${round > 0 ? ` (copy ${round + 1})` : ""}`);
      added = true;
    }
    if (!added) break;
  }
  while (lines.length < LINES) lines.push("// padding to 1,000 lines");
  return { text: lines.join("\n") + "\n", parts };
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface Run {
  diagnostics: number[];
  hintsVisible: number[];
  hintsAll: number[];
}

/**
 * One session of edits. `broken` alternates between a valid line and one with an unclosed
 * parenthesis, so every other version has a syntax error (in one declaration, which alone
 * is parsed and checked again).
 */
async function measure(nodeArgs: string[], text: string, broken: boolean): Promise<Run> {
  const child = spawn(process.execPath, [...nodeArgs, join(ROOT, "dist", "lsp", "server", "main.js"), "--stdio"], { stdio: ["pipe", "pipe", "inherit"] });
  const connection = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const waiting = new Map<number, () => void>();
  connection.onNotification("textDocument/publishDiagnostics", (params: { version?: number }) => {
    if (params.version !== undefined) waiting.get(params.version)?.();
  });
  connection.listen();
  await connection.sendRequest("initialize", { processId: process.pid, rootUri: null, capabilities: {} });
  await connection.sendNotification("initialized", {});
  const uri = "file:///bench/thousand.cnn";
  const published = (version: number): Promise<void> => new Promise((resolve) => waiting.set(version, resolve));
  let version = 1;
  let opened = published(version);
  await connection.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "cnn", version, text } });
  await opened;

  // Typing in the middle of the file: a digit of a filter count, changed back and forth.
  const lines = text.split("\n");
  const line = lines.findIndex((l, i) => i > LINES / 2 && /^\s+conv \d+/.test(l));
  const character = lines[line]!.indexOf("conv ") + 5;
  const original = lines[line]![character]!;
  const run: Run = { diagnostics: [], hintsVisible: [], hintsAll: [] };
  for (let i = 0; i < WARMUP + EDITS; i++) {
    const digit = i % 2 === 0 ? (broken ? `(${original}` : original === "9" ? "8" : "9") : original;
    const replaced = i % 2 === 0 ? 1 : broken ? 2 : 1;
    version++;
    opened = published(version);
    const start = performance.now();
    await connection.sendNotification("textDocument/didChange", { textDocument: { uri, version }, contentChanges: [{ range: { start: { line, character }, end: { line, character: character + replaced } }, text: digit }] });
    await opened;
    const diagnosticsMs = performance.now() - start;
    const visible = { start: { line: Math.max(0, line - 30), character: 0 }, end: { line: line + 30, character: 0 } };
    const hintsStart = performance.now();
    await connection.sendRequest("textDocument/inlayHint", { textDocument: { uri }, range: visible });
    const hintsVisibleMs = performance.now() - hintsStart;
    const allStart = performance.now();
    await connection.sendRequest("textDocument/inlayHint", { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: LINES, character: 0 } } });
    const hintsAllMs = performance.now() - allStart;
    if (i < WARMUP) continue;
    run.diagnostics.push(diagnosticsMs);
    run.hintsVisible.push(hintsVisibleMs);
    run.hintsAll.push(hintsAllMs);
  }
  await connection.sendRequest("shutdown");
  await connection.sendNotification("exit");
  connection.dispose();
  return run;
}

async function main(): Promise<void> {
  const { text, parts } = thousandLineFile();
  const checked = compile(text);
  const layers = checked.models.reduce((sum, m) => sum + m.nodes.length, 0);
  // The baseline: what each keystroke would cost if the server ran compile() on the whole file.
  const full: number[] = [];
  for (let i = 0; i < WARMUP + 100; i++) {
    const start = performance.now();
    compile(text);
    if (i >= WARMUP) full.push(performance.now() - start);
  }
  const valid = await measure([], text, false);
  const broken = await measure([], text, true);
  const ms = (n: number): string => n.toFixed(1);
  const row = (what: string, samples: number[]): string => `| ${what} | ${ms(percentile(samples, 50))} | ${ms(percentile(samples, 95))} |`;
  const rows = [
    row("didChange → publishDiagnostics (valid edits, incremental check)", valid.diagnostics),
    row("inlayHint after the edit, 60 visible lines", valid.hintsVisible),
    row("inlayHint after the edit, whole file", valid.hintsAll),
    row("didChange → publishDiagnostics, every other version with a syntax error (incremental check)", broken.diagnostics),
    row("baseline: `compile()` of the whole file, in process", full),
  ];
  const body = [
    `Machine: ${cpus().length} × ${cpus()[0]?.model.trim() ?? "unknown CPU"}, Node ${process.version}. The file: ${(text.match(/\n/g) ?? []).length.toLocaleString("en-US")} lines, ${parts.length} copies of the example architectures with their names made unique, ${checked.models.length} models, ${layers.toLocaleString("en-US")} layers after unrolling, ${checked.diagnostics.length} diagnostics. The server is \`node dist/lsp/server/main.js --stdio\` (what \`cnnc lsp --stdio\` runs), driven over stdio by a JSON-RPC client: ${EDITS} one-character edits to a filter count in the middle of the file after ${WARMUP} warm-up edits, each timed from sending didChange to receiving publishDiagnostics for that version, then inlay hints for the 60 lines around the edit and for the whole file. Target: p95 < 20 ms.`,
    "",
    "| measure | p50 (ms) | p95 (ms) |",
    "|---|---:|---:|",
    ...rows,
  ].join("\n");
  process.stdout.write(body + "\n");
  replaceSection(join(ROOT, "bench", "RESULTS.md"), "lsp", `## Language server: latency while typing\n\n\`npm run build && node dist/bench/lsp/run.js\`\n\n${body}`);
}

if (process.argv[1]?.endsWith("run.js")) await main();
