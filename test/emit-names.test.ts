// Emitted code is safe for every name a .cnn file may use. Each model below takes its model,
// input, block and tensor names from the words the targets reserve: JavaScript's reserved
// and strict-mode words, TypeScript's, the names the TypeScript module exports, Python's
// keywords and builtins (asked of Python itself), nn.Module's attributes (asked of torch)
// and the names model.py defines. The TypeScript passes `tsc --strict` and builds a tfjs
// model that predicts; the Python compiles, builds, runs, and has the state_dict keys that
// weight conversion writes. Needs python3-torch.

import { beforeAll, describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { compile } from "../src/compile.js";
import { buildIr } from "../src/ir/build.js";
import { lowerToTfjs } from "../src/emit/tfjs-lowering.js";
import { emitTypeScript } from "../src/emit/typescript.js";
import { emitPytorch } from "../src/emit/pytorch.js";
import { weightMap } from "../src/convert/weights.js";
import { KEYWORD_TEXTS } from "../src/syntax/lexer.js";
import { OPS } from "../src/ops/registry.js";
import { BUILTIN_FUNCTIONS } from "../src/check/values.js";
import { ROOT } from "./helpers.js";

const PYTHON = "/usr/bin/python3";
const GENERATED = join(ROOT, "test", ".generated", "names");

const JAVASCRIPT =
  "break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface package private protected public await async of get set arguments eval undefined NaN Infinity globalThis Object Array Function Symbol Promise JSON Math";
const TYPESCRIPT = "any as boolean constructor declare from infer is keyof module namespace never readonly require number object string symbol type unique unknown bigint abstract asserts accessor satisfies override";
/** What the emitted modules themselves define or import, and the names cnnc gives layers. */
const MODULE_NAMES = "conv_1 batchnorm_1 maxpool_1 dense_1 add_1 relu_1 conv_1_pad cnnc defineCnncLayers frozenBatchNormsInInference tf buildModel inputShape outputShape parameterCounts trainingSettings Choice TrainingSettings build_model MODEL_NAME INPUT_SHAPE OUTPUT_SHAPE PARAMETERS torch nn F math x self max_pool_exact avg_pool_exact resize_bilinear_tf SeparableConv2d ChannelLayerNorm forward";

/** Words a .cnn file cannot use as these names at all: its keywords, layer kinds and functions. */
function usableInCnn(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !KEYWORD_TEXTS.has(name) && !OPS.some((op) => op.name === name) && !BUILTIN_FUNCTIONS.includes(name) && name !== "global";
}

function pythonNames(): string[] {
  const script = "import builtins, keyword, torch; print(' '.join(sorted(set(keyword.kwlist + getattr(keyword, 'softkwlist', []) + dir(builtins) + dir(torch.nn.Module)))))";
  return execFileSync(PYTHON, ["-c", script], { encoding: "utf8" }).trim().split(/\s+/);
}

/** A model whose model, input, block and tensor names are four of the hostile names. */
function program(model: string, input: string, block: string, tensor: string): string {
  return `block ${block}(c) {
  conv c, kernel: 1 as ${tensor}
  relu
  add ${tensor}
}
model ${model} {
  input ${input}: [6, 6, 3]
  ${block}(4) as ${tensor}
  conv 4, kernel: 3, padding: 1 -> batchnorm
  add ${tensor}
  maxpool 2
  flatten
  dense 3
}
`;
}

interface Case {
  file: string;
  names: string[];
  torchKeys: string[];
}

const cases: Case[] = [];
let names: string[] = [];

beforeAll(async () => {
  names = [...new Set([...JAVASCRIPT.split(" "), ...TYPESCRIPT.split(" "), ...MODULE_NAMES.split(" "), ...pythonNames()])].filter(usableInCnn).sort();
  rmSync(GENERATED, { recursive: true, force: true });
  mkdirSync(GENERATED, { recursive: true });
  // Each name is in turn the model's, the input's, the block's and the tensor's.
  for (let i = 0; i < names.length; i++) {
    const picked = [0, 1, 2, 3].map((k) => names[(i + k) % names.length]!);
    const text = program(picked[0]!, picked[1]!, picked[2]!, picked[3]!);
    const result = compile(text);
    const errors = result.diagnostics.filter((d) => d.severity === "error");
    if (errors.length > 0) throw new Error(`${picked.join(", ")}: ${errors.map((d) => `${d.code} ${d.message}`).join("; ")}`);
    const ir = buildIr(result.models[0]!, text);
    const spec = lowerToTfjs(ir, { seed: 1 });
    const file = `case_${i}`;
    writeFileSync(join(GENERATED, `${file}.ts`), await emitTypeScript({ spec, ir, sourceFile: `${file}.cnn` }));
    const python = emitPytorch({ ir, sourceFile: `${file}.cnn` });
    mkdirSync(join(GENERATED, file));
    writeFileSync(join(GENERATED, file, "model.py"), python["model.py"]);
    writeFileSync(join(GENERATED, file, "train.py"), python["train.py"]);
    const map = weightMap(ir, spec);
    cases.push({ file, names: picked, torchKeys: [...map.pairs.map((p) => p.torch), ...map.counters].sort() });
  }
  writeFileSync(
    join(GENERATED, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { strict: true, target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", skipLibCheck: true, types: [], outDir: "out" }, include: ["*.ts"] }),
  );
});

describe("emitted code for hostile names", () => {
  it("covers every reserved word and builtin of the targets that .cnn allows as a name", () => {
    for (const word of ["arguments", "eval", "undefined", "class", "def", "lambda", "None", "build_model", "buildModel", "forward", "tuple", "self", "MODEL_NAME", "__import__"]) expect(names).toContain(word);
    expect(cases.length).toBe(names.length);
  });

  it("says in each module's header which names it writes differently", async () => {
    const text = program("build_model", "arguments", "tuple", "eval");
    const result = compile(text);
    const ir = buildIr(result.models[0]!, text);
    const typescript = await emitTypeScript({ spec: lowerToTfjs(ir), ir, sourceFile: "m.cnn" });
    expect(typescript).toContain("//   the input `arguments` is `arguments_`");
    expect(typescript).toContain("const arguments_ = tf.input(");
    const python = emitPytorch({ ir, sourceFile: "m.cnn" })["model.py"];
    expect(python).toContain("#   the model `build_model` is `build_model_`");
    expect(python).toContain("def build_model():\n    return build_model_()");
  });

  it("TypeScript: passes tsc --strict, and every module builds a model that predicts", async () => {
    const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
    const check = spawnSync(process.execPath, [tsc, "-p", GENERATED], { encoding: "utf8" });
    expect(check.stdout + check.stderr).toBe("");
    expect(check.status).toBe(0);
    // Every module runs in one process: build, predict on zeros, and the output has the model's shape.
    const runner = `
const tf = await import("@tensorflow/tfjs");
await tf.setBackend("cpu");
const files = ${JSON.stringify(cases.map((c) => pathToFileURL(join(GENERATED, "out", `${c.file}.js`)).href))};
const shapes = [];
for (const file of files) {
  const module = await import(file);
  const model = module.buildModel();
  const output = model.predict(tf.zeros([1, ...module.inputShape]));
  shapes.push(output.shape.join("x") + " " + model.name);
  tf.dispose(output);
  model.dispose();
}
console.log(JSON.stringify(shapes));`;
    writeFileSync(join(GENERATED, "out", "run.mjs"), runner);
    const ran = execFileSync(process.execPath, [join(GENERATED, "out", "run.mjs")], { encoding: "utf8", cwd: ROOT, maxBuffer: 1 << 24 });
    const shapes = JSON.parse(ran.trim().split("\n").at(-1)!) as string[];
    expect(shapes).toEqual(cases.map((c) => `1x3 ${c.names[0]}`));
  });

  it("Python: model.py and train.py compile, every model runs, and its state_dict keys are the ones conversion writes", () => {
    const script = `
import importlib.util, json, py_compile, sys, torch
cases = json.loads(sys.argv[1])
out = []
for case in cases:
    folder = ${JSON.stringify(GENERATED)} + "/" + case["file"]
    py_compile.compile(folder + "/train.py", doraise=True)
    spec = importlib.util.spec_from_file_location("model_" + case["file"], folder + "/model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.build_model().eval()
    y = model(torch.zeros((1,) + module.INPUT_SHAPE))
    out.append({"shape": list(y.shape), "name": module.MODEL_NAME, "keys": sorted(model.state_dict().keys())})
print(json.dumps(out))
`;
    const ran = execFileSync(PYTHON, ["-c", script, JSON.stringify(cases.map((c) => ({ file: c.file })))], { encoding: "utf8", maxBuffer: 1 << 24 });
    const results = JSON.parse(ran.trim().split("\n").at(-1)!) as { shape: number[]; name: string; keys: string[] }[];
    expect(results.map((r) => ({ shape: r.shape, name: r.name, keys: r.keys }))).toEqual(cases.map((c) => ({ shape: [1, 3], name: c.names[0], keys: c.torchKeys })));
  });
});
