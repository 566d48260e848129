// Bundles the built CLI (dist/src/cli/bin.js) into dist/bundle/, the package's `cnnc`.
// Loading some 80 modules one by one was most of `cnnc check`'s start-up; one file (and a
// chunk per command that loads more, such as `lsp`) loads in a fraction of that. tfjs,
// prettier, vite and the like stay outside: only the commands that use them load them,
// from node_modules.
// Run by `npm run build` after `tsc`; test/bundle.test.ts runs it into a temporary folder.

import { build } from "esbuild";
import { readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * src/syntax/chevrotain.ts loads Chevrotain's prebuilt single file by path, which a bundler
 * cannot follow; the bundle takes chevrotain-browser.ts instead (as package.json's
 * "browser" field tells other bundlers), which imports Chevrotain by name, to be bundled too.
 */
const chevrotainByName = {
  name: "chevrotain-by-name",
  setup(b) {
    const syntax = join(root, "dist", "src", "syntax");
    b.onResolve({ filter: /chevrotain\.js$/ }, (args) => (join(args.resolveDir, args.path) === join(syntax, "chevrotain.js") ? { path: join(syntax, "chevrotain-browser.js") } : undefined));
  },
};

/**
 * The Chevrotain parser (dist/src/syntax/parser.js, with Chevrotain itself) is needed only
 * for text with a syntax error, and loading it was ≈ 40 ms of every start-up. The parse
 * phase calls it synchronously, so it cannot wait for a dynamic import(): in the bundle,
 * parse.js's static import of it becomes a `require`, which esbuild turns into a module
 * initialised on first call. Both are still bundled; only their evaluation waits.
 */
const lazyRecoveringParser = {
  name: "lazy-recovering-parser",
  setup(b) {
    const syntax = join(root, "dist", "src", "syntax");
    b.onResolve({ filter: /^\.\/parser\.js$/ }, (args) =>
      args.kind === "import-statement" && args.importer === join(syntax, "parse.js") ? { path: "parser.js", namespace: "lazy-recovering-parser", pluginData: { resolveDir: syntax } } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "lazy-recovering-parser" }, (args) => ({
      contents: 'export function parseCst(tokens) { return require("./parser.js").parseCst(tokens); }',
      resolveDir: args.pluginData.resolveDir,
      loader: "js",
    }));
  },
};

/** What start-up needs is bundled; every other package the project names stays in node_modules, loaded by the commands that use it. */
const BUNDLED = new Set(["chevrotain", "commander", "vscode-languageserver", "vscode-languageserver-textdocument", "vscode-jsonrpc"]);

function outsideTheBundle() {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const names = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies, ...pkg.peerDependencies }).filter((name) => !BUNDLED.has(name));
  return names.flatMap((name) => [name, `${name}/*`]);
}

/**
 * Bundles dist/src/cli/bin.js (built by `tsc`) into `outdir`, as `cnnc.js` and its chunks;
 * `minify: false` keeps esbuild's module names readable (test/bundle.test.ts reads them).
 */
export async function bundleCli(outdir, { minify = true } = {}) {
  rmSync(outdir, { recursive: true, force: true });
  await build({
    entryPoints: { cnnc: join(root, "dist", "src", "cli", "bin.js") },
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    minify,
    external: outsideTheBundle(),
    // CommonJS dependencies (commander, pngjs) call `require` for Node's built-in modules.
    banner: { js: 'import { createRequire as __cnncCreateRequire } from "node:module"; const require = __cnncCreateRequire(import.meta.url);' },
    plugins: [chevrotainByName, lazyRecoveringParser],
    logLevel: "warning",
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundleCli(join(root, "dist", "bundle"));
