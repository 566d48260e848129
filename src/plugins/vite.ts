// `cnnc/vite`: `import { buildModel, inputShape } from "./net.cnn"` in a Vite app. A file
// with errors fails the build with its diagnostics, and shows them in the dev overlay.
//
//   import { defineConfig } from "vite";
//   import cnnc from "cnnc/vite";
//   export default defineConfig({ plugins: [cnnc()] });
//
// The plugin is typed structurally, so cnnc needs no dependency on Vite.

import { compileCnnModule, CnnModuleError, type CnncPluginOptions } from "./module.js";

export type { CnncPluginOptions } from "./module.js";

/** The part of Vite's (Rollup's) plugin context the plugin uses. */
interface TransformContext {
  addWatchFile(id: string): void;
}

/** An error as Vite's overlay and build output show it: the file, line and a code frame. */
interface ViteError extends Error {
  id: string;
  plugin: string;
  loc: { file: string; line: number; column: number };
  frame: string;
}

export interface CnncVitePlugin {
  name: string;
  transform(this: TransformContext, code: string, id: string): Promise<{ code: string; map: null } | null>;
}

export default function cnnc(options: CnncPluginOptions = {}): CnncVitePlugin {
  return {
    name: "cnnc",
    async transform(_code, id) {
      // `?import` is how Vite's dev server asks for a module; other queries (`?raw`, `?url`) are other plugins' business.
      const [path, query] = id.split("?", 2) as [string, string | undefined];
      if (!path.endsWith(".cnn") || path.startsWith("\0") || (query !== undefined && query !== "import")) return null;
      try {
        const module = await compileCnnModule(path, options);
        for (const file of module.watchFiles) this.addWatchFile(file);
        return { code: module.code, map: null };
      } catch (error) {
        if (!(error instanceof CnnModuleError)) throw error;
        for (const file of error.watchFiles) this.addWatchFile(file);
        const [, ...rendered] = error.message.split("\n");
        throw Object.assign(new Error(error.message), {
          id: path,
          plugin: "cnnc",
          loc: { file: error.file, line: error.line, column: error.column },
          frame: rendered.join("\n"),
        } satisfies Omit<ViteError, keyof Error>);
      }
    },
  };
}

export { cnnc };
