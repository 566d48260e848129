// Builds the extension: bundles the client and the language server (with the compiler)
// into dist/, and copies the grammar and language configuration from the repository's
// grammar/ folder. esbuild comes from the repository root's node_modules.

import { copyFileSync, cpSync, mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const esbuild = createRequire(join(root, "package.json"))("esbuild");

rmSync(join(here, "dist"), { recursive: true, force: true });
mkdirSync(join(here, "syntaxes"), { recursive: true });
copyFileSync(join(root, "grammar", "cnn.tmLanguage.json"), join(here, "syntaxes", "cnn.tmLanguage.json"));
copyFileSync(join(root, "grammar", "language-configuration.json"), join(here, "language-configuration.json"));

const common = { bundle: true, platform: "node", target: "node20", sourcemap: false, minify: true, logLevel: "warning" };
await esbuild.build({ ...common, format: "cjs", entryPoints: [join(here, "src", "extension.ts")], outfile: join(here, "dist", "extension.js"), external: ["vscode"] });

/** Swaps the compiler's Chevrotain loader, which reads a file from node_modules at run time, for the static import a browser bundle uses. */
const bundledChevrotain = {
  name: "bundled-chevrotain",
  setup(build) {
    build.onResolve({ filter: /[/\\]chevrotain\.js$/ }, () => ({ path: join(root, "src", "syntax", "chevrotain-browser.ts") }));
  },
};

// The server is ES modules (the compiler uses top-level await); its CommonJS dependencies
// get a `require` from createRequire. The entry module starts the server itself, so the
// self-start check in lsp/server/main.ts (on import.meta.url) is turned off here.
await esbuild.build({
  ...common,
  format: "esm",
  entryPoints: [join(here, "src", "server.ts")],
  outfile: join(here, "dist", "server.mjs"),
  plugins: [bundledChevrotain],
  define: { "import.meta.url": '"file:///cnnc-server.mjs"' },
  banner: { js: 'import { createRequire as __cnncCreateRequire } from "node:module"; const require = __cnncCreateRequire(process.argv[1] ?? "/");' },
});

// `import { … } from "std/…"` reads the standard library beside the bundled server.
cpSync(join(root, "stdlib"), join(here, "dist", "stdlib"), { recursive: true });
