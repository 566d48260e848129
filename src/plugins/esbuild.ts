// `cnnc/esbuild`: `import { buildModel, inputShape } from "./net.cnn"` in an esbuild bundle.
// A file with errors fails the build with its diagnostics (file:line, the rendered message).
//
//   import * as esbuild from "esbuild";
//   import cnnc from "cnnc/esbuild";
//   await esbuild.build({ entryPoints: ["app.ts"], bundle: true, plugins: [cnnc()] });
//
// The plugin is typed structurally, so cnnc needs no dependency on esbuild.

import { compileCnnModule, CnnModuleError, type CnncPluginOptions } from "./module.js";

export type { CnncPluginOptions } from "./module.js";

interface Message {
  text: string;
  location: { file: string; line: number; column: number; lineText: string } | null;
  notes: { text: string }[];
}

/** The part of esbuild's plugin build object the plugin uses. */
interface PluginBuild {
  onLoad(
    options: { filter: RegExp },
    callback: (args: { path: string }) => Promise<{ contents: string; loader: "js"; watchFiles: string[] } | { errors: Message[]; watchFiles: string[] }>,
  ): void;
}

export interface CnncEsbuildPlugin {
  name: string;
  setup(build: PluginBuild): void;
}

export default function cnnc(options: CnncPluginOptions = {}): CnncEsbuildPlugin {
  return {
    name: "cnnc",
    setup(build) {
      build.onLoad({ filter: /\.cnn$/ }, async ({ path }) => {
        try {
          const module = await compileCnnModule(path, options);
          return { contents: module.code, loader: "js", watchFiles: [path, ...module.watchFiles] };
        } catch (error) {
          if (!(error instanceof CnnModuleError)) throw error;
          // esbuild's column is 0-based; the rendered diagnostic goes in a note, as it prints notes under the error.
          const location = { file: error.file, line: error.line, column: error.column - 1, lineText: error.lineText };
          return { errors: [{ text: error.headline, location, notes: [{ text: error.message }] }], watchFiles: [path, ...error.watchFiles] };
        }
      });
    },
  };
}

export { cnnc };
