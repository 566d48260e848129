// The files of one compilation, each at its own range of offsets (rustc's source map):
// the main file starts at 0 and each imported file after the previous one, so a span says
// by itself which file it lies in.

import { dirname, join } from "./paths.js";
import type { Span } from "./diagnostic.js";

export interface SourceFile {
  /** The absolute path; undefined for a main text compiled without one. */
  path: string | undefined;
  /** How diagnostics name it: relative to the main file's folder, or `std/NAME.cnn`. */
  name: string;
  text: string;
  /** Where the file's offsets start in the compilation's source map. */
  base: number;
}

export class SourceMap {
  readonly files: SourceFile[] = [];

  add(path: string | undefined, name: string, text: string): SourceFile {
    const last = this.files[this.files.length - 1];
    // Each file after the first starts at a multiple of FILE_SPACING, so an imported file keeps
    // its offsets while the main file is edited (the language server reuses its syntax tree).
    // At least one offset lies between files, so the end of one is never the start of the next.
    const base = last === undefined ? 0 : Math.max(last.base + last.text.length + 1, this.files.length * FILE_SPACING);
    const file: SourceFile = { path, name, text, base };
    this.files.push(file);
    return file;
  }

  /** A span as a file and an offset range in that file's own text. */
  locate(span: Span): { file: SourceFile; span: Span } {
    return locateIn(this.files, span);
  }
}

/** The file an offset lies in: the last one whose base is not after it (the main file for anything earlier). */
export function fileAt(files: readonly SourceFile[], offset: number): SourceFile {
  let found = files[0]!;
  for (const file of files) {
    if (file.base > offset) break;
    found = file;
  }
  return found;
}

/** Where the second file of a compilation starts; files are far smaller than this. */
export const FILE_SPACING = 2 ** 30;

export function locateIn(files: readonly SourceFile[], span: Span): { file: SourceFile; span: Span } {
  const file = fileAt(files, span.start);
  return { file, span: { start: span.start - file.base, end: span.end - file.base } };
}

/**
 * How a front end names a file of the compilation: the main file as the user gave it,
 * an imported one next to it (`examples/net/blocks.cnn` for `./blocks.cnn` imported by
 * `examples/net/main.cnn`), a standard library file as `std/NAME.cnn`.
 */
export function displayName(mainName: string, file: SourceFile): string {
  if (file.base === 0) return mainName;
  if (file.name.startsWith("std/")) return file.name;
  return join(dirname(mainName.split("\\").join("/")), file.name);
}
