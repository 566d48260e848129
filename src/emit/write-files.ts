// Writes a set of output files so that a failure leaves nothing half-written: each file
// goes to a temporary name in the target directory and is renamed into place only after
// every file was written. Missing folders are created (`-o out/a/b`), and removed again
// when the files cannot be written.

import { mkdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export class OutputError extends Error {}

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EACCES" || code === "EPERM" || code === "EROFS") return "permission denied";
  if (code === "ENOTDIR") return "a parent is not a directory";
  if (code === "ENOSPC") return "no space left on the device";
  return (error as Error).message;
}

export function writeFilesAtomically(dir: string, files: Record<string, string | Uint8Array>): string[] {
  let created: string | undefined;
  try {
    created = mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new OutputError(`cannot create the output directory ${dir}: ${describe(error)}`);
  }
  if (!statSync(dir).isDirectory()) throw new OutputError(`${dir} is not a directory`);
  const temporary: string[] = [];
  const suffix = `.tmp-${process.pid}-${Date.now()}`;
  try {
    for (const [name, content] of Object.entries(files)) {
      const path = join(dir, name + suffix);
      temporary.push(path);
      writeFileSync(path, content);
    }
    const written: string[] = [];
    for (const name of Object.keys(files)) {
      renameSync(join(dir, name + suffix), join(dir, name));
      written.push(join(dir, name));
    }
    return written;
  } catch (error) {
    for (const path of temporary) rmSync(path, { force: true });
    if (created !== undefined) rmSync(created, { recursive: true, force: true });
    throw new OutputError(`cannot write to ${dir}: ${describe(error)}`);
  }
}
