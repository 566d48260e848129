// Builds the playground into dist-playground/ (`npm run playground:build`): a static site,
// publishable anywhere (relative URLs), with the built-in Fashion-MNIST subset beside it.

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";

const here = dirname(fileURLToPath(import.meta.url));
const DATA = join(here, "..", "data", "fashion-mnist-subset");

/** The data set's gzipped IDX files, copied to data/ of the site. */
function fashionSubset(): Plugin {
  return {
    name: "cnnc-fashion-subset",
    generateBundle() {
      for (const name of readdirSync(DATA).filter((n) => n.endsWith(".gz"))) {
        this.emitFile({ type: "asset", fileName: `data/${name}`, source: readFileSync(join(DATA, name)) });
      }
    },
  };
}

export default defineConfig({
  root: here,
  base: "./",
  plugins: [fashionSubset()],
  resolve: {
    // The compiler's sources load Chevrotain as package.json's "browser" field says for the
    // built package: its single-file bundle, without Node's module resolution.
    alias: [{ find: /^\.\/chevrotain\.js$/, replacement: join(here, "..", "src", "syntax", "chevrotain-browser.ts") }],
  },
  worker: { format: "es" },
  build: {
    outDir: join(here, "..", "dist-playground"),
    emptyOutDir: true,
    target: "es2022",
    // tfjs alone is over a megabyte minified; it is loaded only when training starts.
    chunkSizeWarningLimit: 4000,
  },
});
