// The TypeScript target: golden modules for several examples; every example's module
// type-checks with the real `tsc --strict` against @tensorflow/tfjs's types, and, run,
// builds a model whose toJSON() topology equals the in-process build's. Source names and
// strings cannot inject code.

import { beforeAll, describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { buildTfjsModel, type Tf } from "../src/emit/tfjs-build.js";
import { emitTypeScript } from "../src/emit/typescript.js";
import { loadTfjs } from "../src/runtime/backend.js";
import { GOLDEN, ROOT, tfjsExamples } from "./helpers.js";
import { lowerExample, lowerText, type LoweredExample } from "./tfjs-helpers.js";
import { FROZEN_MODEL } from "./train/fixtures.js";

const GENERATED = join(ROOT, "test", ".generated", "ts");
const names = tfjsExamples();
const GOLDEN_EXAMPLES = ["lenet5", "resnet18", "squeezenet1_1", "efficientnet_b0", "unet"];

async function emit(lowered: LoweredExample, sourceFile: string): Promise<string> {
  return emitTypeScript({ spec: lowered.spec, ir: lowered.ir, sourceFile, doc: lowered.doc, train: lowered.ir.train });
}

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
