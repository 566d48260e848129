// The command-line front end. It reads files, calls the pipeline through the driver
// (src/driver.ts), and renders the results. Exit codes: 0 clean, 1 errors in the input, 2 usage or I/O errors.

import { readFileSync } from "node:fs";
import { basename, dirname } from "node:path";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { checkText, toModel } from "../driver.js";
import { nodeHost } from "../host/node.js";
import type { Value } from "../check/values.js";
import { CODES } from "../diagnostics/codes.js";
import { toJsonDiagnostics, type JsonDiagnostic } from "../diagnostics/json.js";
import { renderDiagnostics, summarizeCounts } from "../diagnostics/render.js";
import { OPS } from "../ops/registry.js";
import { signature } from "../ops/describe.js";
import { renderSummary, summarize } from "../summary/summary.js";
import { build, TARGETS, type Target } from "./build.js";
import { CliUsageError, exampleSize, shapeOption } from "./options.js";
import { registerTrainCommands } from "./train.js";
import { registerPytorchCommands } from "./pytorch.js";
import { registerEditorCommands } from "./editor.js";
import { registerPlaygroundCommand } from "./playground.js";
import { BACKENDS, BackendUnavailable, type BackendRequest } from "../runtime/backend.js";
import { OutputError, writeFilesAtomically } from "../emit/write-files.js";
import { INPUT_LAYOUTS } from "./onnx.js";
import type { ModelGraph } from "../check/graph.js";
import type { TrainConfig } from "../check/train.js";

const UsageError = CliUsageError;

function useColor(): boolean {
  return process.stdout.isTTY === true && process.env["NO_COLOR"] === undefined;
}

function readSource(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : code === "EACCES" ? "permission denied" : String((error as Error).message);
    throw new UsageError(`cannot read ${file}: ${reason}`);
  }
}

function parseParams(entries: readonly string[]): Map<string, Value> {
  const params = new Map<string, Value>();
  for (const entry of entries) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/.exec(entry);
    if (match === null) throw new UsageError(`--param expects NAME=VALUE, found \`${entry}\``);
    const raw = match[2]!;
    const value: Value = raw === "true" ? true : raw === "false" ? false : Number.isFinite(Number(raw)) ? Number(raw) : raw;
    params.set(match[1]!, value);
  }
  return params;
}

function parseSeed(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 2 ** 31 - 1) throw new UsageError(`--seed expects a whole number from 0 to 2147483647, found \`${value}\``);
  return Number(value);
}

function parseBatch(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65_536) throw new InvalidArgumentError(`expected a whole number from 1 to 65536, found \`${value}\``);
  return Number(value);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function check(files: string[], options: { json?: boolean; shape?: Map<string, number> }): number {
  let errors = 0;
  const json: JsonDiagnostic[] = [];
  let text = "";
  for (const file of files) {
    const source = readSource(file);
    const result = checkText(source, { sizes: options.shape, path: file, host: nodeHost });
    errors += result.diagnostics.filter((d) => d.severity === "error").length;
    if (options.json) json.push(...toJsonDiagnostics(result.diagnostics, file, source, result.sources));
    else if (result.diagnostics.length > 0) {
      text += renderDiagnostics(result.diagnostics, file, source, { color: useColor(), sources: result.sources }) + "\n";
      text += `${file}: ${summarizeCounts(result.diagnostics)}\n`;
    }
  }
  if (options.json) process.stdout.write(JSON.stringify({ diagnostics: json }, null, 2) + "\n");
  else {
    process.stdout.write(text);
    if (errors === 0) process.stdout.write(`${files.length === 1 ? files[0] : `${files.length} files`}: no errors\n`);
  }
  return errors > 0 ? 1 : 0;
}

/** Compiles FILE for a command that shows one model; on errors prints them (as JSON with `json`) and returns exit code 1. */
function compileModel(file: string, options: { model?: string; json?: boolean; param: string[]; shape?: Map<string, number> }, what: string): { source: string; model: ModelGraph; train?: TrainConfig } | number {
  const source = readSource(file);
  const result = checkText(source, { params: parseParams(options.param), sizes: options.shape, path: file, host: nodeHost });
  const chosen = toModel(result, { file, model: options.model });
  if ("diagnostics" in chosen) {
    if (options.json) process.stdout.write(JSON.stringify({ diagnostics: toJsonDiagnostics(chosen.diagnostics, file, source, result.sources) }, null, 2) + "\n");
    else process.stderr.write(renderDiagnostics(chosen.diagnostics, file, source, { color: process.stderr.isTTY === true && process.env["NO_COLOR"] === undefined, sources: result.sources }) + `\n${file}: ${summarizeCounts(chosen.diagnostics)}; no ${what}\n`);
    return 1;
  }
  return { source, ...chosen };
}

function summary(file: string, options: { model?: string; json?: boolean; param: string[]; shape?: Map<string, number>; batch?: number }): number {
  const compiled = compileModel(file, options, "summary");
  if (typeof compiled === "number") return compiled;
  const { source, model, train } = compiled;
  const table = summarize(model, source, { memory: { train, batch: options.batch } });
  if (model.sizes !== undefined) {
    // MACs depend on the sizes: count them at one accepted size near 224 as well.
    const sizes = new Map([...model.sizes.sets].map(([name, set]) => [name, exampleSize(set)] as [string, number]));
    const instantiated = checkText(source, { params: parseParams(options.param), sizes, path: file, host: nodeHost }).models.find((m) => m.name === model.name);
    if (instantiated?.complete) table.macsAt = { sizes: Object.fromEntries(sizes), macs: instantiated.macs };
  }
  process.stdout.write(options.json ? JSON.stringify(table, null, 2) + "\n" : renderSummary(table));
  return 0;
}

async function graph(file: string, options: { model?: string; json?: boolean; param: string[]; shape?: Map<string, number>; expand?: boolean; out?: string }): Promise<number> {
  const compiled = compileModel(file, options, "graph");
  if (typeof compiled === "number") return compiled;
  // The layout engine (elkjs, 1.5 MB) loads only for this command, not with every `cnnc` start-up.
  const [{ graphView }, { layoutGraph }, { renderSvg }] = await Promise.all([import("../graph/view.js"), import("../graph/layout.js"), import("../graph/svg.js")]);
  const layout = await layoutGraph(graphView(compiled.model, compiled.source, { expand: options.expand }));
  const content = options.json ? JSON.stringify(layout, null, 2) + "\n" : renderSvg(layout);
  if (options.out === undefined) process.stdout.write(content);
  else writeFilesAtomically(dirname(options.out), { [basename(options.out)]: content });
  return 0;
}

function explain(code: string): number {
  const info = (CODES as Record<string, { title: string; explanation: string }>)[code.toUpperCase()];
  if (info === undefined) throw new UsageError(`no diagnostic has the code ${code}; codes look like E0302`);
  process.stdout.write(`${code.toUpperCase()}: ${info.title}\n\n${info.explanation}\n`);
  return 0;
}

function listOps(): number {
  for (const op of OPS) process.stdout.write(`${signature(op)}\n    ${op.doc}\n`);
  return 0;
}

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command();
  program
    .name("cnnc")
    .description("A shape-checked language for convolutional networks.")
    .version("0.1.0")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program
    .command("check")
    .description("check .cnn files and report errors with their line and a fix")
    .argument("<files...>", ".cnn files")
    .option("--json", "print diagnostics as JSON (0-based LSP positions)")
    .addOption(shapeOption())
    .action((files: string[], options: { json?: boolean; shape?: Map<string, number> }) => setExit(check(files, options)));
  program
    .command("summary")
    .description("print a model's layers, output shapes, parameter counts and MACs")
    .argument("<file>", ".cnn file")
    .option("--model <name>", "the model to summarise (default: the last one in the file)")
    .option("--json", "print the summary as JSON")
    .option("--batch <n>", "the batch size for the memory figures (default: the train declaration's, else 32)", parseBatch)
    .addOption(new Option("--param <name=value>", "override a model parameter (repeatable)").default([]).argParser(collect))
    .addOption(shapeOption())
    .action((file: string, options: { model?: string; json?: boolean; param: string[]; shape?: Map<string, number>; batch?: number }) => setExit(summary(file, options)));
  program
    .command("graph")
    .description("draw a model as an SVG graph (or its laid-out graph as JSON): one box per layer or block call")
    .argument("<file>", ".cnn file")
    .option("-o, --out <file>", "write the SVG (or JSON) to this file instead of standard output")
    .option("--expand", "open block calls into their layers")
    .option("--json", "print the laid-out graph as JSON instead of SVG")
    .option("--model <name>", "the model to draw (default: the last one in the file)")
    .addOption(new Option("--param <name=value>", "override a model parameter (repeatable)").default([]).argParser(collect))
    .addOption(shapeOption())
    .action(async (file: string, options: { model?: string; json?: boolean; param: string[]; shape?: Map<string, number>; expand?: boolean; out?: string }) => setExit(await graph(file, options)));
  program
    .command("build")
    .description("compile a model to the IR, a saved tfjs model (model.json + weights.bin), TypeScript source, PyTorch source (model.py + train.py), or ONNX (model.onnx)")
    .argument("<file>", ".cnn file")
    .addOption(new Option("--target <target>", "what to produce").choices(TARGETS).default("tfjs"))
    .requiredOption("-o, --out <dir>", "output directory (created if missing)")
    .option("--model <name>", "the model to build (default: the last one in the file)")
    .option("--seed <n>", "seed every weight initializer, for byte-identical output", parseSeed)
    .addOption(new Option("--backend <backend>", "tfjs backend for --target tfjs (and for the initial weights of --target onnx)").choices(BACKENDS).default("auto"))
    .addOption(shapeOption())
    .option("--weights <path>", "--target onnx: the weights of a saved tfjs model (directory or model.json) or a PyTorch state_dict (model.py's, torchvision's or any network of the same structure, matched as by `cnnc train --init`; layers that do not fit start as seeded by --seed); default: initial weights, seeded by --seed")
    .option("--strict", "--target onnx with --weights FILE.pt: refuse unless every layer gets weights and all of the file is used")
    .option("--explain", "--target onnx with --weights FILE.pt: print which state_dict module each layer takes")
    .option("--map <file>", '--target onnx with --weights FILE.pt: a JSON map file pinning layers to state_dict modules, { "dense_1": "fc" }; null starts a layer fresh')
    .addOption(new Option("--input-layout <layout>", "--target onnx: the input's layout; nhwc adds a transpose, so the graph takes channels-last images (default: nchw)").choices(INPUT_LAYOUTS))
    .option("--prefixed-names", "for --target ts: export buildLeNet5, LeNet5InputShape, … (the model's name first), so that one index can `export *` several models")
    .action(async (file: string, options: { target: Target; out: string; model?: string; seed?: number; backend: BackendRequest; shape?: Map<string, number>; weights?: string; strict?: boolean; explain?: boolean; map?: string; inputLayout?: "nchw" | "nhwc"; prefixedNames?: boolean }) => {
      setExit(await build(file, readSource(file), { ...options, sizes: options.shape }, process.stderr.isTTY === true && process.env["NO_COLOR"] === undefined));
    });
  registerTrainCommands(program, setExit);
  registerPytorchCommands(program, setExit);
  registerEditorCommands(program, setExit);
  registerPlaygroundCommand(program, setExit);
  program
    .command("explain")
    .description("explain a diagnostic code")
    .argument("<code>", "a code such as E0302")
    .action((code: string) => setExit(explain(code)));
  program
    .command("ops")
    .description("list the layer kinds and their arguments")
    .action(() => setExit(listOps()));
  return program;
}

export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = buildProgram((code) => (exitCode = code));
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are not errors; every other commander error is a usage error.
      return error.exitCode === 0 || error.code === "commander.helpDisplayed" || error.code === "commander.version" ? 0 : 2;
    }
    if (error instanceof UsageError || error instanceof BackendUnavailable || error instanceof OutputError) {
      process.stderr.write(`error: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  return exitCode;
}
