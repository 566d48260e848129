// The Node front doors' SourceHost: files from node:fs, the standard library from the
// installed package's stdlib/ folder (so the language server's go-to-definition opens a
// real file), relative paths from the working folder.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { SourceHost } from "../check/modules.js";

/**
 * The standard library's folder, `stdlib/` at the package root. The compiled module sits
 * one level deeper (dist/src/host) than its source (src/host), so the package root is
 * found by walking up to the folder that holds both `package.json` and `stdlib/`. A bundle
 * (the VS Code extension's server) has no such module path; there the folder is looked
 * for beside the running script.
 */
export const STDLIB_FOLDER: string = findStdlib();

function findStdlib(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const isStdlib = (folder: string, marker: string): boolean => {
    try {
      return statSync(join(folder, "stdlib")).isDirectory() && statSync(join(folder, marker)).isFile();
    } catch {
      return false;
    }
  };
  for (const [start, marker] of [
    [here, "package.json"],
    [process.argv[1] === undefined ? undefined : dirname(resolve(process.argv[1])), join("stdlib", "resnet.cnn")],
  ] as const) {
    let folder = start;
    for (let i = 0; folder !== undefined && i < 6; i++) {
      if (isStdlib(folder, marker)) return join(folder, "stdlib");
      const parent = dirname(folder);
      if (parent === folder) break;
      folder = parent;
    }
  }
  return join(here, "..", "..", "stdlib");
}

export const nodeHost: SourceHost = {
  readFile(path) {
    try {
      return statSync(path).isFile() ? readFileSync(path, "utf8") : undefined;
    } catch {
      return undefined;
    }
  },
  listCnnFiles(folder) {
    try {
      return readdirSync(folder).filter((name) => name.endsWith(".cnn"));
    } catch {
      return [];
    }
  },
  stdlibFolder: STDLIB_FOLDER,
  get workingFolder() {
    return process.cwd();
  },
};
