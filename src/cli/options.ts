// What several commands share: compiling a file through the driver and printing where it
// stopped, the `--shape` option, reading the files they are given, and the usage error
// every command reports without a stack trace.

import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { InvalidArgumentError, Option } from "commander";
import type { Compilation } from "../compile.js";
import { renderDiagnostics, summarizeCounts } from "../diagnostics/render.js";
import { checkText, UsageError as CliUsageError, type DriveOptions, type Refused, type ToIr } from "../driver.js";
import { nodeHost } from "../host/node.js";

/** A misuse of the command line: printed without a stack trace, exit 2. */
export { UsageError as CliUsageError, exampleSize } from "../driver.js";

/** The `--shape H=224,W=224` option: values for a model's symbolic input sizes (repeatable). */
export function shapeOption(): Option {
  return new Option("--shape <sizes>", "values for symbolic input sizes, e.g. H=224,W=224").argParser((value: string, previous: Map<string, number> | undefined) => {
    try {
      return new Map([...(previous ?? []), ...parseShapeOption([value])]);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message.replace(/^--shape expects /, "expected "));
    }
  });
}

/** Parses `--shape H=224,W=224` (repeatable) into size values. */
export function parseShapeOption(entries: readonly string[]): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const entry of entries.flatMap((e) => e.split(","))) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(\d+)\s*$/.exec(entry);
    if (match === null || Number(match[2]) < 1) throw new CliUsageError(`--shape expects NAME=SIZE pairs with whole sizes ≥ 1, such as H=224,W=224; found \`${entry}\``);
    sizes.set(match[1]!, Number(match[2]));
  }
  return sizes;
}

/** A file's bytes; one that cannot be read is a usage error that says why. */
export function readBytes(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliUsageError(`cannot read ${path}: ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : (error as Error).message}`);
  }
}

/** A saved tfjs model is a directory holding model.json, or the model.json itself. */
export function tfjsModelJson(path: string): string | undefined {
  if (existsSync(path) && statSync(path).isDirectory()) return join(path, "model.json");
  return basename(path) === "model.json" ? path : undefined;
}

/** Compiles a file towards a target through the driver; prints the diagnostics and returns undefined when it stops short. */
export function compileFile<T extends ToIr>(drive: (compilation: Compilation, text: string, options: DriveOptions) => T | Refused, file: string, source: string, options: { model?: string; seed?: number; sizes?: ReadonlyMap<string, number> }, color: boolean): (T & { compilation: Compilation }) | undefined {
  const compilation = checkText(source, { sizes: options.sizes, path: file, host: nodeHost });
  const driven = drive(compilation, source, { file, model: options.model, seed: options.seed });
  if (!("diagnostics" in driven)) return { ...driven, compilation };
  process.stderr.write(renderDiagnostics(driven.diagnostics, file, source, { color, sources: compilation.sources }) + `\n${file}: ${summarizeCounts(driven.diagnostics)}\n`);
  return undefined;
}
