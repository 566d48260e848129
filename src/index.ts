// `import … from "cnnc"` in Node: the library, with imports read from disk (relative to the
// `path` option, or the working folder) and the standard library from the installed package.
// Bundlers for the browser take src/browser.ts instead (package.json's "browser" condition).

import type * as tfjs from "@tensorflow/tfjs";
import type { Compilation, CompileOptions } from "./compile.js";
import { nodeHost } from "./host/node.js";
import * as library from "./library.js";

export * from "./library.js";
export { nodeHost };

function onDisk<T extends CompileOptions>(options: T | undefined): T {
  return { host: nodeHost, ...options } as T;
}

export function compile(text: string, options?: CompileOptions): Compilation {
  return library.compile(text, onDisk(options));
}

export function check(text: string, options?: library.LibraryOptions): library.CheckResult {
  return library.check(text, onDisk(options));
}

export function summarize(text: string, options?: library.LibraryOptions & { batch?: number }): library.SummaryJson {
  return library.summarize(text, onDisk(options));
}

export function graph(text: string, options?: library.LibraryOptions & { expand?: boolean }): Promise<library.GraphLayout> {
  return library.graph(text, onDisk(options));
}

export function buildModel(text: string, options?: library.BuildModelOptions): Promise<tfjs.LayersModel> {
  return library.buildModel(text, onDisk(options));
}

export function toTypeScript(text: string, options?: library.LibraryOptions & { seed?: number }): Promise<string> {
  return library.toTypeScript(text, onDisk(options));
}
