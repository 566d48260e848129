// The TypeScript target: golden modules for several examples; every example's module
// type-checks with the real `tsc --strict` against @tensorflow/tfjs's types, and, run,
// builds a model whose toJSON() topology equals the in-process build's. Source names and
// strings cannot inject code.

import { beforeAll, describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { buildTfjsModel } from "../src/emit/tfjs-build.js";
import type { Tf } from "../src/runtime/tf.js";
import { emitTypeScript } from "../src/emit/typescript.js";
import { loadTfjs } from "../src/runtime/backend.js";
import { GOLDEN, ROOT, tfjsExamples } from "./helpers.js";
import { lowerExample, lowerText, type LoweredExample } from "./tfjs-helpers.js";
import { FROZEN_MODEL } from "./train/fixtures.js";

const GENERATED = join(ROOT, "test", ".generated", "ts");
const names = tfjsExamples();
const GOLDEN_EXAMPLES = ["lenet5", "resnet18", "squeezenet1_1", "efficientnet_b0", "unet"];

async function emit(lowered: LoweredExample, sourceFile: string, prefixed = false): Promise<string> {
  return emitTypeScript({ spec: lowered.spec, ir: lowered.ir, sourceFile, doc: lowered.doc, train: lowered.ir.train, prefixed });
}

/** Modules with model-prefixed names, which one index re-exports with `export *` (a frozen batchnorm brings the module's helper). */
const PREFIXED = { lenet5: "LeNet5", resnet18: "ResNet18" };
const frozen = "model Frozen {\n  input image: [8, 8, 3]\n  frozen {\n    conv 4, kernel: 3, padding: 1 -> batchnorm -> relu\n  }\n  flatten\n  dense 2\n}\n";

const hostile = `/// Ends the comment */ console.log("injected"); /*\u2028 and a line separator
model Evil {
  input class: [4]
  dense 3 as function
  dense 2
}
train Evil {
  optimizer: adam(lr: 0.001)
}
`;

let tf: Tf;
let typeCheck: { status: number | null; output: string };
const emitted = new Map<string, string>();

beforeAll(async () => {
  tf = (await loadTfjs("cpu")).tf;
  rmSync(GENERATED, { recursive: true, force: true });
  mkdirSync(GENERATED, { recursive: true });
  for (const name of names) {
    const code = await emit(lowerExample(name, 5), `${name}.cnn`);
    emitted.set(name, code);
    writeFileSync(join(GENERATED, `${name}.ts`), code);
  }
  writeFileSync(join(GENERATED, "evil.ts"), await emit(lowerText(hostile, 5), 'evil */ "name\u2028.cnn'));
  writeFileSync(join(GENERATED, "frozen.ts"), await emit(lowerText(FROZEN_MODEL, 5), "frozen.cnn"));
  for (const name of Object.keys(PREFIXED)) writeFileSync(join(GENERATED, `prefixed_${name}.ts`), await emit(lowerExample(name, 5), `${name}.cnn`, true));
  writeFileSync(join(GENERATED, "prefixed_frozen.ts"), await emit(lowerText(frozen, 5), "frozen.cnn", true));
  writeFileSync(join(GENERATED, "prefixed_index.ts"), ["lenet5", "resnet18", "frozen"].map((n) => `export * from "./prefixed_${n}.js";\n`).join(""));
  writeFileSync(
    join(GENERATED, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { strict: true, target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", skipLibCheck: true, types: [], outDir: "out" }, include: ["*.ts"] }),
  );
  // The required `tsc --strict --noEmit` run, then a compile so the tests can run the modules.
  const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
  const check = spawnSync(process.execPath, [tsc, "-p", GENERATED, "--noEmit"], { encoding: "utf8" });
  typeCheck = { status: check.status, output: check.stdout + check.stderr };
  execFileSync(process.execPath, [tsc, "-p", GENERATED], { encoding: "utf8" });
  // Emitting, formatting and compiling every example twice takes minutes on a busy two-core machine.
}, 300_000);

describe("TypeScript target", () => {
  for (const name of GOLDEN_EXAMPLES) {
    it(`${name} matches its golden module`, async () => {
      await expect(emitted.get(name)).toMatchFileSnapshot(join(GOLDEN, "ts", `${name}.ts`));
    });
  }

  it("passes tsc --strict for every example, and builds the in-process topology when run", async () => {
    expect(typeCheck).toEqual({ status: 0, output: "" });
    for (const name of names) {
      const module = (await import(pathToFileURL(join(GENERATED, "out", `${name}.js`)).href)) as { buildModel(): ReturnType<typeof buildTfjsModel>; outputShape: readonly number[] };
      const fromSource = module.buildModel();
      const inProcess = buildTfjsModel(tf, lowerExample(name, 5).spec);
      try {
        expect(JSON.stringify(fromSource.toJSON(null, false))).toBe(JSON.stringify(inProcess.toJSON(null, false)));
        expect([...module.outputShape]).toEqual((fromSource.outputs[0]!.shape as number[]).slice(1));
      } finally {
        fromSource.dispose();
        inProcess.dispose();
      }
    }
  });

  it("with prefixed names, modules of several models are re-exported from one index with `export *` (tsc --strict above)", async () => {
    const index = (await import(pathToFileURL(join(GENERATED, "out", "prefixed_index.js")).href)) as Record<string, unknown>;
    for (const [name, model] of Object.entries(PREFIXED)) {
      const plain = (await import(pathToFileURL(join(GENERATED, "out", `${name}.js`)).href)) as Record<string, unknown>;
      expect(index[`${model}InputShape`]).toEqual(plain.inputShape);
      expect(index[`${model}ParameterCounts`]).toEqual(plain.parameterCounts);
      expect(index[`${model}TrainingSettings`]).toEqual(plain.trainingSettings);
      const built = (index[`build${model}`] as () => ReturnType<typeof buildTfjsModel>)();
      expect(built.countParams()).toBe((plain.parameterCounts as { total: number }).total);
      built.dispose();
    }
    expect(Object.keys(index).sort()).toEqual(["FrozenInputShape", "FrozenOutputShape", "FrozenParameterCounts", "LeNet5InputShape", "LeNet5OutputShape", "LeNet5ParameterCounts", "LeNet5TrainingSettings", "ResNet18InputShape", "ResNet18OutputShape", "ResNet18ParameterCounts", "ResNet18TrainingSettings", "buildFrozen", "buildLeNet5", "buildResNet18"]);
  });

  it("keeps frozen layers out of training, batchnorm on its running statistics", async () => {
    const module = (await import(pathToFileURL(join(GENERATED, "out", "frozen.js")).href)) as { buildModel(): ReturnType<typeof buildTfjsModel> };
    const model = module.buildModel();
    try {
      expect(model.trainableWeights.map((w) => w.originalName)).toEqual(["dense_1/kernel", "dense_1/bias"]);
      const x = tf.randomNormal([4, 8, 8, 1], 0, 1, "float32", 3);
      const training = (model.apply(x, { training: true }) as ReturnType<Tf["tensor"]>).dataSync();
      const inference = (model.apply(x, { training: false }) as ReturnType<Tf["tensor"]>).dataSync();
      expect(Array.from(training)).toEqual(Array.from(inference));
    } finally {
      model.dispose();
    }
  });

  it("escapes names and strings from the source", async () => {
    const code = await emit(lowerText(hostile, 5), 'evil */ "name\u2028.cnn');
    // The doc comment's `*/` is escaped, so its text stays inside the comment.
    expect(code).toContain('*\\/ console.log("injected")');
    expect(code).toContain("const class_ = tf.input");
    const logged: unknown[] = [];
    const original = console.log;
    console.log = (...args: unknown[]) => void logged.push(args);
    let model: ReturnType<typeof buildTfjsModel>;
    try {
      const module = (await import(pathToFileURL(join(GENERATED, "out", "evil.js")).href)) as { buildModel(): ReturnType<typeof buildTfjsModel> };
      model = module.buildModel();
    } finally {
      console.log = original;
    }
    expect(logged).toEqual([]);
    expect(model.layers.map((l) => l.name)).toEqual(["class", "dense_1", "dense_2"]);
    model.dispose();
  });
});
