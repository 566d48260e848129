// Saving: `cnnc build --target tfjs` writes the standard tfjs LayersModel format; loading it
// back (tf.loadLayersModel through an IO handler, without tfjs-node) gives identical
// predictions; --seed makes the files byte-identical; a bad output directory is a clear
// error that leaves no partial files.

import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildTfjsModel } from "../src/emit/tfjs-build.js";
import type { Tf } from "../src/runtime/tf.js";
import { fileLoadHandler, serializeModel } from "../src/emit/tfjs-save.js";
import { writeFilesAtomically } from "../src/emit/write-files.js";
import { loadTfjs } from "../src/runtime/backend.js";
import { CLI, ROOT } from "./helpers.js";
import { lowerExample } from "./tfjs-helpers.js";

let tf: Tf;
beforeAll(async () => {
  tf = (await loadTfjs("cpu")).tf;
});

function cnnc(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("saving and loading", () => {
  for (const name of ["lenet5", "squeezenet1_1", "mobilenet_v2"]) {
    it(`${name}: save → loadLayersModel gives identical predictions`, async () => {
      const model = buildTfjsModel(tf, lowerExample(name, 11).spec);
      const dir = join(mkdtempSync(join(tmpdir(), "cnnc-save-")), "model");
      writeFilesAtomically(dir, await serializeModel(tf, model));
      expect(readdirSync(dir).sort()).toEqual(["model.json", "weights.bin"]);
      const modelJson = JSON.parse(readFileSync(join(dir, "model.json"), "utf8"));
      expect(modelJson).toMatchObject({ format: "layers-model", weightsManifest: [{ paths: ["weights.bin"] }] });
      const loaded = await tf.loadLayersModel(fileLoadHandler(tf, readFileSync(join(dir, "model.json"), "utf8"), readFileSync(join(dir, "weights.bin"))));
      const input = tf.randomNormal([2, ...(model.inputs[0]!.shape.slice(1) as number[])], 0, 1, "float32", 3);
      const expected = (model.predict(input) as ReturnType<Tf["tensor"]>).dataSync();
      const actual = (loaded.predict(input) as ReturnType<Tf["tensor"]>).dataSync();
      expect(Array.from(actual)).toEqual(Array.from(expected));
      expect(loaded.countParams()).toBe(model.countParams());
      model.dispose();
      loaded.dispose();
    });
  }

  it("--seed makes the saved files byte-identical from run to run", () => {
    const base = mkdtempSync(join(tmpdir(), "cnnc-seed-"));
    for (const run of ["a", "b"]) expect(cnnc(["build", "examples/lenet5.cnn", "--target", "tfjs", "--backend", "cpu", "--seed", "42", "-o", join(base, run)]).status).toBe(0);
    for (const file of ["model.json", "weights.bin"]) expect(readFileSync(join(base, "a", file)).equals(readFileSync(join(base, "b", file)))).toBe(true);
    expect(cnnc(["build", "examples/lenet5.cnn", "--target", "tfjs", "--backend", "cpu", "--seed", "43", "-o", join(base, "c")]).status).toBe(0);
    expect(readFileSync(join(base, "a", "weights.bin")).equals(readFileSync(join(base, "c", "weights.bin")))).toBe(false);
  });

  it("missing folders of -o are created; --prefixed-names names the exports after the model", () => {
    const base = mkdtempSync(join(tmpdir(), "cnnc-missing-"));
    const result = cnnc(["build", "examples/lenet5.cnn", "--target", "ts", "--prefixed-names", "-o", join(base, "a", "b", "c")]);
    expect(result.status, result.stderr).toBe(0);
    const code = readFileSync(join(base, "a", "b", "c", "lenet5.ts"), "utf8");
    expect(code).toContain("export function buildLeNet5(): tf.LayersModel {");
    expect(code).toContain("export const LeNet5TrainingSettings: LeNet5TrainingSettings = {");
    expect(code).not.toMatch(/export (const|function) (buildModel|inputShape)\b/);
  });

  it("an output folder under a file is a clear error and creates nothing", () => {
    const base = mkdtempSync(join(tmpdir(), "cnnc-under-file-"));
    writeFileSync(join(base, "file"), "");
    const result = cnnc(["build", "examples/lenet5.cnn", "--target", "ts", "-o", join(base, "file", "out")]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^error: cannot create the output directory .*: a parent is not a directory\n$/);
    expect(readdirSync(base)).toEqual(["file"]);
  });

  it("a read-only directory is a clear error and leaves no partial files", () => {
    // Root ignores permission bits, so under root the check writes into sysfs, which refuses writes even to root.
    const asRoot = process.getuid?.() === 0;
    const dir = asRoot ? "/sys/kernel" : join(mkdtempSync(join(tmpdir(), "cnnc-readonly-")), "out");
    if (!asRoot) {
      mkdirSync(dir);
      chmodSync(dir, 0o555);
    }
    const before = readdirSync(dir);
    const result = cnnc(["build", "examples/lenet5.cnn", "--target", "tfjs", "--backend", "cpu", "-o", dir]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`error: cannot write to ${dir}: permission denied`);
    expect(readdirSync(dir)).toEqual(before);
    if (!asRoot) chmodSync(dir, 0o755);
  });
});
