// cnnc as a library: the front end and the browser entry import nothing Node-only, the
// built-in standard library equals stdlib/, the Node and browser entries give what the CLI
// gives, and the README's example prints what its comments say.

import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { STDLIB_TEXTS } from "../src/check/stdlib-texts.js";
import * as browser from "../src/browser.js";
import * as node from "../src/index.js";
import { memoryHost } from "../src/check/modules.js";
import * as paths from "../src/diagnostics/paths.js";
import { cnnFiles, EXAMPLES, GOLDEN, read, ROOT, STDLIB } from "./helpers.js";

const SRC = join(ROOT, "src");
const FRONT_END = ["syntax", "ops", "check", "ir", "ide", "diagnostics"];
const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** The static imports of a TypeScript file: `import … from "x"` and `export … from "x"` (not `import("x")`). */
function staticImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/^(?:import|export)\s[^;]*?\sfrom\s+"([^"]+)"/gms), ...text.matchAll(/^import\s+"([^"]+)"/gm)].map((m) => m[1]!);
}

/** What is wrong with a file for a browser: Node built-ins it imports, and uses of `process`. */
function nodeOnly(file: string): string[] {
  const problems = staticImports(file).filter((spec) => NODE_BUILTINS.has(spec));
  const code = readFileSync(file, "utf8").replace(/\/\/.*$/gm, "");
  if (/\bprocess\./.test(code)) problems.push("process");
  return problems;
}

/** Every project file a module reaches through static imports, as a bundler for the browser would (chevrotain.ts swapped as package.json says). */
function reachable(entry: string): string[] {
  const swaps = JSON.parse(read(join(ROOT, "package.json"))).browser as Record<string, string>;
  const swapped = new Map(Object.entries(swaps).map(([from, to]) => [join(ROOT, from.replace(/^\.\/dist\//, "").replace(/\.js$/, ".ts")), join(ROOT, to.replace(/^\.\/dist\//, "").replace(/\.js$/, ".ts"))]));
  const seen = new Set<string>();
  const visit = (file: string): void => {
    file = swapped.get(file) ?? file;
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of staticImports(file)) if (spec.startsWith(".")) visit(resolve(dirname(file), spec.replace(/\.js$/, ".ts")));
  };
  visit(entry);
  return [...seen];
}

describe("browser-safe front end", () => {
  it("the front-end folders import nothing Node-only", () => {
    const files = FRONT_END.flatMap((folder) => readdirSync(join(SRC, folder), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts")).map((f) => join(SRC, folder, f)));
    expect(files.length).toBeGreaterThan(40);
    const offenders = files.filter((f) => !f.endsWith(join("syntax", "chevrotain.ts"))).flatMap((f) => nodeOnly(f).map((p) => `${relative(ROOT, f)}: ${p}`));
    expect(offenders).toEqual([]);
  });

  it("the browser entry and cnnc/kernels reach only browser-safe modules", () => {
    for (const entry of ["browser.ts", join("kernels", "install.ts")]) {
      const files = reachable(join(SRC, entry));
      expect(files.some((f) => f.endsWith(join("syntax", "chevrotain-browser.ts"))) || entry !== "browser.ts").toBe(true);
      expect(files.flatMap((f) => nodeOnly(f).map((p) => `${relative(ROOT, f)}: ${p}`))).toEqual([]);
    }
  });

  it("the built-in standard library is stdlib/ (regenerate with `node scripts/embed-stdlib.mjs`)", () => {
    expect(Object.keys(STDLIB_TEXTS)).toEqual(cnnFiles(STDLIB));
    for (const name of cnnFiles(STDLIB)) expect(STDLIB_TEXTS[name], name).toBe(read(join(STDLIB, name)));
  });
});

describe("path arithmetic without node:path", () => {
  it("agrees with node:path/posix on POSIX paths", async () => {
    const posix = await import("node:path/posix");
    const cases = ["/p/net/main.cnn", "/p/net/../common/./stages.cnn", "/", "/a", "a/b/../../c", "../x.cnn"];
    for (const path of cases) {
      expect(paths.dirname(path), path).toBe(posix.dirname(posix.normalize(path)));
      expect(paths.basename(path), path).toBe(posix.basename(path));
      expect(paths.extname(path), path).toBe(posix.extname(path));
    }
    expect(paths.resolve("/p/net", "../common/stages.cnn")).toBe(posix.resolve("/p/net", "../common/stages.cnn"));
    expect(paths.resolve("/p", "/q/x.cnn")).toBe("/q/x.cnn");
    expect(paths.relative("/p/net", "/p/common/stages.cnn")).toBe(posix.relative("/p/net", "/p/common/stages.cnn"));
    expect(paths.join("/cnnc/stdlib", "resnet.cnn")).toBe("/cnnc/stdlib/resnet.cnn");
  });

  it("reads Windows paths with either separator and keeps the drive", () => {
    expect(paths.isAbsolute("C:\\nets\\main.cnn")).toBe(true);
    expect(paths.resolve("C:\\nets", "..\\common\\stages.cnn")).toBe("C:/common/stages.cnn");
    expect(paths.dirname("C:\\main.cnn")).toBe("C:/");
    const host = { ...memoryHost({ "C:/nets/blocks.cnn": "block b(c) {\n  conv c, kernel: 1\n}\n" }), workingFolder: "C:\\nets", stdlibFolder: "C:\\cnnc\\stdlib" };
    const text = 'import { b } from "./blocks"\nimport { basic } from "std/resnet"\nmodel M {\n  input x: [4, 4, 2]\n  b(2)\n  basic(2)\n}\n';
    expect(browser.check(text, { path: "main.cnn", host }).diagnostics).toEqual([]);
  });
});

describe("the library entries", () => {
  const lenet = read(join(EXAMPLES, "lenet5.cnn"));

  it("summarize gives the training memory, at the train declaration's batch or another; graph lays the model out", async () => {
    expect(node.summarize(lenet).memory).toMatchObject({ batch: 64, optimizer: "adam", optimizerCopies: 2, gradients: 61_706 * 4 });
    expect(node.summarize(lenet, { batch: 8 }).memory?.batch).toBe(8);
    const layout = await node.graph(lenet);
    expect(layout.nodes.map((n) => n.title).slice(0, 3)).toEqual(["input image", "conv 6 5×5", "tanh"]);
    expect(node.renderSvg(layout)).toContain('data-model="LeNet5"');
  });

  it("summarize and buildModel agree with each other and with the reference counts", async () => {
    const summary = node.summarize(lenet, { path: "examples/lenet5.cnn" });
    expect(summary.params).toEqual({ trainable: 61_706, frozen: 0, nonTrainable: 0, total: 61_706 });
    const tf = await import("@tensorflow/tfjs");
    tf.env().set("PROD", true);
    await tf.setBackend("cpu");
    const model = await node.buildModel(lenet, { tf, seed: 1 });
    expect(model.countParams()).toBe(summary.params.total);
    expect(model.outputs[0]!.shape).toEqual([null, 10]);
    model.dispose();
  });

  it("toTypeScript gives the TypeScript target's module", async () => {
    expect(await node.toTypeScript(lenet, { path: join(EXAMPLES, "lenet5.cnn"), seed: 5 })).toBe(read(join(GOLDEN, "ts", "lenet5.ts")));
  });

  it("check renders diagnostics with file:line; the functions that need a model throw CompileError", () => {
    const broken = "model M {\n  input x: [8]\n  conv 4, kernel: 3\n}\n";
    const result = node.check(broken, { path: "nets/m.cnn" });
    expect(result.ok).toBe(false);
    expect(result.rendered).toContain("error[E0308]");
    expect(result.rendered).toContain("--> nets/m.cnn:3:3");
    expect(result.json[0]).toMatchObject({ file: "nets/m.cnn", code: "E0308", range: { start: { line: 2, character: 2 } } });
    const thrown = (() => {
      try {
        node.summarize(broken, { path: "nets/m.cnn" });
      } catch (error) {
        return error;
      }
    })();
    expect(thrown).toBeInstanceOf(node.CompileError);
    expect((thrown as InstanceType<typeof node.CompileError>).location).toEqual({ file: "nets/m.cnn", line: 3, column: 3 });
    expect((thrown as Error).message).toBe(result.rendered);
  });

  it("the Node entry reads imports from disk; the browser entry from the host it is given and its built-in standard library", () => {
    const main = join(EXAMPLES, "errors", "imports", "unknown_name", "main.cnn");
    expect(node.check(read(main), { path: main }).diagnostics.map((d) => d.code)).toContain("E0803");
    const files = { "/app/blocks.cnn": "block twice(c) {\n  conv c, kernel: 3, padding: 1\n  conv c, kernel: 3, padding: 1\n}\n" };
    const text = 'import { twice } from "./blocks"\nimport { basic } from "std/resnet"\nmodel Net {\n  input image: [8, 8, 3]\n  twice(4)\n  basic(4)\n}\n';
    expect(browser.check(text, { path: "/app/net.cnn" }).diagnostics.map((d) => d.code)).toEqual(["E0801"]);
    const ok = browser.check(text, { path: "/app/net.cnn", host: memoryHost(files) });
    expect(ok.diagnostics).toEqual([]);
    expect(browser.summarize(text, { path: "/app/net.cnn", host: memoryHost(files) }).params.total).toBe(node.summarize(text, { path: "/app/net.cnn", host: memoryHost(files) }).params.total);
  });

  it("cnnc/kernels registers the training kernels for the active cpu backend, and leaves other backends alone", async () => {
    const exports = JSON.parse(read(join(ROOT, "package.json"))).exports as Record<string, { default: string }>;
    expect(exports["./kernels"]!.default).toBe("./dist/src/kernels/install.js");
    const tf = await import("@tensorflow/tfjs");
    const { registerTrainingKernels, hasTrainingKernels } = await import("../src/kernels/install.js");
    await tf.setBackend("cpu");
    registerTrainingKernels(tf, "webgl");
    registerTrainingKernels(tf);
    expect(hasTrainingKernels(tf, "cpu")).toBe(true);
    // A conv's filter gradient now runs through cnnc's kernel and equals the sum over the input's windows.
    const x = tf.ones([1, 4, 4, 1]);
    const grad = tf.grad((w: import("@tensorflow/tfjs").Tensor4D) => tf.conv2d(x as import("@tensorflow/tfjs").Tensor4D, w, 1, "valid").sum())(tf.ones([3, 3, 1, 1]));
    expect(Array.from(grad.dataSync())).toEqual(new Array(9).fill(4));
    tf.dispose([x, grad]);
  });

  it("the README's example prints what its comments say", () => {
    const readme = read(join(ROOT, "README.md"));
    const block = /```js\n(import \{ compile[^`]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    expect(block!.trim().split("\n")).toHaveLength(5);
    // Inside the package folder, so that "cnnc" resolves to this package (a self-reference through its exports).
    const folder = join(ROOT, "test", ".generated", "readme");
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, "example.mjs"), block!);
    const run = spawnSync(process.execPath, [join(folder, "example.mjs")], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    const promised = [...block!.matchAll(/\/\/ (.*)$/gm)].map((m) => m[1]!.trim());
    expect(run.stdout.trim().split("\n")).toEqual(promised);
  });
});
