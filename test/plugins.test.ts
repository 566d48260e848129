// The bundler plugins without a bundler (test/browser/ runs them in real Vite and esbuild):
// a .cnn file becomes the TypeScript target's module as JavaScript, which builds the model;
// imported files are watched; errors, a file without a model (E0970) and symbolic sizes
// (E0971) come back as the bundler's error with file, line and the rendered diagnostic.

import { beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import esbuildPlugin from "../src/plugins/esbuild.js";
import { compileCnnModule, CnnModuleError } from "../src/plugins/module.js";
import vitePlugin from "../src/plugins/vite.js";
import { EXAMPLES, ROOT } from "./helpers.js";

const GENERATED = join(ROOT, "test", ".generated", "plugins");

async function failure(path: string, options = {}): Promise<CnnModuleError> {
  const error = await compileCnnModule(path, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CnnModuleError);
  return error as CnnModuleError;
}

function write(name: string, text: string): string {
  mkdirSync(GENERATED, { recursive: true });
  writeFileSync(join(GENERATED, name), text);
  return join(GENERATED, name);
}

const BLOCKS = "block twice(c) {\n  conv c, kernel: 3, padding: 1\n  conv c, kernel: 3, padding: 1\n}\n";
const NET = 'import { twice } from "./blocks"\nimport { basic } from "std/resnet"\nmodel Net {\n  input image: [8, 8, 3]\n  twice(4)\n  basic(4)\n}\n';
const BROKEN = "model Broken {\n  input x: [8]\n  conv 4, kernel: 3\n}\n";

beforeAll(() => {
  write("blocks.cnn", BLOCKS);
  write("net.cnn", NET);
  write("broken.cnn", BROKEN);
});

describe("a .cnn module for a bundler", () => {
  it("is the TypeScript target's module as JavaScript, and builds the model", async () => {
    const { code, watchFiles } = await compileCnnModule(join(EXAMPLES, "lenet5.cnn"), { seed: 1 });
    expect(code).toContain("export function buildModel() {");
    expect(code).not.toMatch(/ as const|: tf\.LayersModel|interface /);
    expect(watchFiles).toEqual([]);
    const tf = await import("@tensorflow/tfjs");
    tf.env().set("PROD", true);
    await tf.setBackend("cpu");
    const module = (await import(pathToFileURL(write("lenet5.mjs", code)).href)) as { buildModel(): import("@tensorflow/tfjs").LayersModel; inputShape: number[]; trainingSettings: { batch: number } };
    const model = module.buildModel();
    expect(model.countParams()).toBe(61_706);
    expect(module.inputShape).toEqual([32, 32, 1]);
    expect(module.trainingSettings.batch).toBe(64);
    model.dispose();
  });

  it("lists the files it imports (not the standard library) for the bundler to watch", async () => {
    expect((await compileCnnModule(join(GENERATED, "net.cnn"))).watchFiles).toEqual([join(GENERATED, "blocks.cnn")]);
  });

  it("fails with the file, the line and the rendered diagnostic", async () => {
    const path = join(GENERATED, "broken.cnn");
    const error = await failure(path);
    expect([error.file, error.line, error.column]).toEqual([path, 3, 3]);
    expect(error.message.split("\n")[0]).toBe(`${path}:3:3: conv needs a [height, width, channels] input, but gets [8]`);
    expect(error.message).toContain(`error[E0308]: conv needs a [height, width, channels] input, but gets [8]\n --> ${path}:3:3`);
    expect(error.lineText).toBe("  conv 4, kernel: 3");
  });

  it("E0970: a file without a model, or without the model the options name", async () => {
    const blocks = await failure(join(GENERATED, "blocks.cnn"));
    expect(blocks.headline).toBe("E0970: this file declares no model, so importing it gives no module to build");
    const named = await failure(join(EXAMPLES, "lenet5.cnn"), { model: "LeNet" });
    expect(named.message).toContain("error[E0970]: the plugin's `model` option names `LeNet`, but this file declares `LeNet5`");
  });

  it("E0971: symbolic sizes, unless the options give them", async () => {
    const fcn = join(EXAMPLES, "symbolic", "fcn.cnn");
    const error = await failure(fcn);
    expect(error.headline).toMatch(/^E0971: model `\w+` has symbolic input sizes \(H, W\)/);
    expect(error.message).toContain("cnnc({ sizes: { H: 224, W: 224 } })");
    expect(error.lineText).toContain("input image: [H, W, 3]");
    expect((await compileCnnModule(fcn, { sizes: { H: 224, W: 224 } })).code).toContain("shape: [224, 224, 3]");
  });
});

describe("the plugins' hooks", () => {
  it("Vite: transform returns the module and watches imports; an error carries the overlay's loc and frame", async () => {
    const watched: string[] = [];
    const context = { addWatchFile: (file: string) => void watched.push(file) };
    const plugin = vitePlugin();
    expect(await plugin.transform.call(context, "", join(ROOT, "src", "index.ts"))).toBeNull();
    expect(await plugin.transform.call(context, "", `${join(GENERATED, "net.cnn")}?raw`)).toBeNull();
    const result = await plugin.transform.call(context, "", `${join(GENERATED, "net.cnn")}?import`);
    expect(result?.code).toContain("export function buildModel()");
    expect(watched).toEqual([join(GENERATED, "blocks.cnn")]);
    const error = (await plugin.transform.call(context, "", join(GENERATED, "broken.cnn")).catch((e: unknown) => e)) as { plugin: string; loc: unknown; frame: string; id: string };
    expect(error).toMatchObject({ plugin: "cnnc", id: join(GENERATED, "broken.cnn"), loc: { file: join(GENERATED, "broken.cnn"), line: 3, column: 3 } });
    expect(error.frame).toMatch(/^error\[E0308\]/);
  });

  it("esbuild: onLoad gives JavaScript, or an error with a 0-based column, the line's text and the rendered diagnostic as a note", async () => {
    let load: ((args: { path: string }) => Promise<unknown>) | undefined;
    esbuildPlugin().setup({ onLoad: (_options, callback) => void (load = callback) });
    expect(await load!({ path: join(EXAMPLES, "lenet5.cnn") })).toMatchObject({ loader: "js", contents: expect.stringContaining("export function buildModel()") });
    const broken = join(GENERATED, "broken.cnn");
    expect(await load!({ path: broken })).toMatchObject({
      errors: [{ text: "E0308: conv needs a [height, width, channels] input, but gets [8]", location: { file: broken, line: 3, column: 2, lineText: "  conv 4, kernel: 3" }, notes: [{ text: expect.stringContaining("= help:") }] }],
      watchFiles: [broken],
    });
  });
});
