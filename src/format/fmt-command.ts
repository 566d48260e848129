// `cnnc fmt [--check] FILE…`: formats files in place, or with --check only reports the
// files that are not formatted. Exit codes: 0 when every file is (now) formatted, 1 when
// --check finds an unformatted file or a file has syntax errors (it is left as it is), 2
// when a file cannot be read or written.

import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { renderDiagnostics } from "../diagnostics/render.js";
import { formatText } from "./printer.js";

export interface FormatCommandOptions {
  check?: boolean;
  /** Colour in rendered syntax errors. */
  color?: boolean;
}

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

export function formatFiles(files: readonly string[], options: FormatCommandOptions, output: Output): number {
  let exit = 0;
  const raise = (code: number): void => {
    exit = Math.max(exit, code);
  };
  const unformatted: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      output.err(`error: cannot read ${file}: ${describeIoError(error)}\n`);
      raise(2);
      continue;
    }
    const result = formatText(text);
    if (!result.ok) {
      output.err(renderDiagnostics(result.diagnostics, file, text, { color: options.color === true }) + `\n${file}: not formatted: fix the syntax errors first\n`);
      raise(1);
      continue;
    }
    if (result.text === text) continue;
    if (options.check) {
      unformatted.push(file);
      output.out(`${file}: not formatted\n`);
      raise(1);
      continue;
    }
    try {
      // Write beside the file and rename over it, so an interrupted write never leaves half a file.
      const temporary = `${file}.cnnc-fmt-${process.pid}.tmp`;
      writeFileSync(temporary, result.text);
      renameSync(temporary, file);
      output.out(`formatted ${file}\n`);
    } catch (error) {
      output.err(`error: cannot write ${file}: ${describeIoError(error)}\n`);
      raise(2);
    }
  }
  if (options.check && unformatted.length === 0 && exit === 0) output.out(`${files.length === 1 ? files[0] : `${files.length} files`}: formatted\n`);
  return exit;
}

function describeIoError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EISDIR") return "it is a directory";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  return String((error as Error).message);
}
