// Weights matched by structure: a state_dict saved by torchvision itself (or by a user's own
// nn.Module), whatever its key names, loads into the cnnc model and gives torchvision's
// outputs, in tfjs and in model.py; a new head starts fresh, --strict refuses, --explain
// prints the mapping and a map file pins layers. Needs python3-torch and torchvision.
// In CI a few examples at 64×64 cover every kind of layer mapping; CNNC_EXHAUSTIVE=1 runs
// all 21 that torchvision has (each at the smallest size it allows), and
// bench/transfer/torchvision.ts runs them at full size.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { loadTfjs } from "../../src/runtime/backend.js";
import { buildTfjsModel } from "../../src/emit/tfjs-build.js";
import type { Tf } from "../../src/runtime/tf.js";
import { emitModelPy } from "../../src/emit/pytorch/model.js";
import { readTfjsWeights, writeWeights } from "../../src/convert/convert.js";
import { registerPytorchCommands } from "../../src/cli/pytorch.js";
import { compile } from "../../src/compile.js";
import { EXAMPLES, read } from "../helpers.js";
import { lowerText } from "../tfjs-helpers.js";
import { random, runPython, runTorchvision, TORCHVISION_EXAMPLES, TORCHVISION_KWARGS } from "../../bench/pytorch-parity/parity.js";

let tf: Tf;
let dir: string;
beforeAll(async () => {
  tf = (await loadTfjs("cpu")).tf;
  dir = mkdtempSync(join(tmpdir(), "cnnc-torchvision-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cnnc(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let code = 0;
  const program = new Command().exitOverride();
  registerPytorchCommands(program, (c) => (code = c));
  const [write, writeErr] = [process.stdout.write, process.stderr.write];
  let stdout = "";
  let stderr = "";
  process.stdout.write = (chunk: string | Uint8Array) => ((stdout += String(chunk)), true);
  process.stderr.write = (chunk: string | Uint8Array) => ((stderr += String(chunk)), true);
  try {
    await program.parseAsync(args, { from: "user" });
  } finally {
    [process.stdout.write, process.stderr.write] = [write, writeErr];
  }
  return { code, stdout, stderr };
}

function writeInput(path: string, shape: number[], seed: number): Float32Array {
  const next = random(seed);
  const values = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => next() * 2 - 1);
  writeFileSync(path, values);
  return values;
}

const maxError = (a: ArrayLike<number>, b: ArrayLike<number>): number => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!)));
const floats = (path: string): Float32Array => new Float32Array(Uint8Array.from(readFileSync(path)).buffer);

/** The tfjs model's output with the weights `cnnc convert` wrote. */
function tfjsOutput(text: string, model: string, input: Float32Array, shape: number[]): Float32Array {
  const built = buildTfjsModel(tf, lowerText(text).spec);
  writeWeights(tf, built, readTfjsWeights(readFileSync(join(model, "model.json"), "utf8"), readFileSync(join(model, "weights.bin"))));
  const x = tf.tensor(input, shape);
  const y = built.predict(x) as ReturnType<Tf["tensor"]>;
  const values = y.dataSync() as Float32Array;
  tf.dispose([x, y]);
  built.dispose();
  return values;
}

/** An example at a smaller input: the weights do not depend on it, and the test runs faster. */
const atSize = (name: string, size: number): string => read(join(EXAMPLES, `${name}.cnn`)).replace(/input image: \[\d+, \d+, 3\]/, `input image: [${size}, ${size}, 3]`);

/** The example at 64×64 or 96×96 where its layers allow (Inception v3 needs 75), else at its own size (a fixed-size flatten before its dense layers). */
function smallest(name: string): Case {
  for (const size of [64, 96]) {
    const text = atSize(name, size);
    if (!compile(text, { path: `${name}.cnn` }).diagnostics.some((d) => d.severity === "error")) return { name, text, size };
  }
  const text = read(join(EXAMPLES, `${name}.cnn`));
  return { name, text, size: Number(/input image: \[(\d+),/.exec(text)![1]) };
}

interface Case {
  name: string;
  text: string;
  size: number;
  /** A Python expression for a user's own module instead of torchvision.models.<name>. */
  module?: string;
}

/**
 * One example per kind of layer mapping: conv, batchnorm and dense with a projection
 * shortcut (resnet18); depthwise convolutions (mobilenet_v2); concatenated branches
 * (squeezenet1_1); grouped convolutions and squeeze-and-excitation gates (regnet_y_400mf);
 * layernorm and layer scale (convnext_tiny).
 */
const REPRESENTATIVE = ["resnet18", "mobilenet_v2", "squeezenet1_1", "regnet_y_400mf", "convnext_tiny"];
const EXHAUSTIVE = process.env["CNNC_EXHAUSTIVE"] === "1";
const TORCHVISION_CASES = (EXHAUSTIVE ? TORCHVISION_EXAMPLES : REPRESENTATIVE).map(smallest);
/** All 21 (VGG at 224×224 on the cpu backend) take far longer than vitest's default limits. */
const EXHAUSTIVE_TIMEOUT = 30 * 60_000;
/** Starting torch and calibrating the representative models' batchnorm takes minutes on a busy machine. */
const TORCHVISION_TIMEOUT = EXHAUSTIVE ? EXHAUSTIVE_TIMEOUT : 10 * 60_000;

const CASES: Case[] = [
  ...TORCHVISION_CASES,
  {
    name: "small",
    text: "model Small {\n  input image: [8, 8, 3]\n  conv 4, kernel: 3 -> batchnorm -> relu\n  flatten\n  dropout 0.5 -> dense 5\n}\n",
    size: 8,
    module: "nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Dropout(0.5), nn.Linear(144, 5))",
  },
];

/** Every case's state_dict and output from one Python process (starting torch is slow). */
beforeAll(() => {
  runTorchvision(
    CASES.map((c) => {
      const work = join(dir, c.name);
      mkdirSync(work);
      writeFileSync(join(work, `${c.name}.cnn`), c.text);
      writeInput(join(work, "input.bin"), [1, c.size, c.size, 3], 5);
      return { name: c.name, seed: 3, state_dict: join(work, "torchvision.pth"), input: join(work, "input.bin"), input_shape: [1, c.size, c.size, 3], output: join(work, "torchvision.bin"), output64: join(work, "torchvision64.bin"), ...(c.module ? { module: c.module } : {}), ...(TORCHVISION_KWARGS[c.name] ? { kwargs: TORCHVISION_KWARGS[c.name] } : {}) };
    }),
  );
}, TORCHVISION_TIMEOUT);

/**
 * The bound on a converted model's error: 1e-4, or twice torchvision's own float32 error
 * against its float64 forward where that is larger. Deep random-weight networks sum so many
 * terms that float32 itself is not exact to 1e-4: torchvision's ResNet-152 at 224×224 is
 * 6.5e-4 from its float64 result (bench/RESULTS.md, torchvision-float64), so no float32
 * implementation could be held to 1e-4 there.
 */
function tolerance(name: string): number {
  const exact = new Float64Array(Uint8Array.from(readFileSync(join(dir, name, "torchvision64.bin"))).buffer);
  const rounding = maxError(floats(join(dir, name, "torchvision.bin")), exact);
  return Math.max(1e-4, 2 * rounding);
}

/** Loads torchvision's state_dict with `cnnc convert` into tfjs and into model.py; both errors against torchvision's output. */
async function parity({ name, text, size }: Case): Promise<{ tfjs: number; torch: number; explain: string }> {
  const work = join(dir, name);
  const file = join(work, `${name}.cnn`);
  const shape = [1, size, size, 3];
  const input = floats(join(work, "input.bin"));
  const expected = floats(join(work, "torchvision.bin"));
  const toTfjs = await cnnc(["convert", file, "--from", join(work, "torchvision.pth"), "--to", join(work, "tfjs"), "--strict", "--explain"]);
  expect(toTfjs.code, toTfjs.stderr).toBe(0);
  const tfjsError = maxError(tfjsOutput(text, join(work, "tfjs"), input, shape), expected);
  const toTorch = await cnnc(["convert", file, "--from", join(work, "torchvision.pth"), "--to", join(work, "model.pt"), "--strict"]);
  expect(toTorch.code, toTorch.stderr).toBe(0);
  writeFileSync(join(work, "model.py"), emitModelPy({ ir: lowerText(text).ir, sourceFile: `${name}.cnn` }));
  const [result] = runPython([{ name, dir: work, state_dict: join(work, "model.pt"), input: join(work, "input.bin"), input_shape: shape, expected: join(work, "torchvision.bin") }]);
  return { tfjs: tfjsError, torch: result!.max_abs_error!, explain: toTfjs.stdout };
}

describe("torchvision's own state_dicts load by structure", () => {
  for (const c of CASES.filter((c) => c.module === undefined)) {
    it(`${c.name}: equals torchvision's forward in tfjs and in model.py`, async () => {
      const { tfjs, torch, explain } = await parity(c);
      expect(tfjs).toBeLessThan(tolerance(c.name));
      expect(torch).toBeLessThan(tolerance(c.name));
      expect(explain).not.toMatch(/fresh|unused/);
      if (c.name === "regnet_y_400mf") expect(explain).toMatch(/^conv_7 \(line 17\) +← trunk_output\.block1\.block1-0\.proj\.0 /m);
      if (c.name === "resnet18") expect(explain).toMatch(/^conv_8 \(line 14\) +← layer2\.0\.downsample\.0 +weight \[128, 64, 1, 1\]$/m);
    }, EXHAUSTIVE ? EXHAUSTIVE_TIMEOUT : undefined);
  }

  it("a user's own module that flattens NCHW: the dense layer's columns are reordered", async () => {
    const { tfjs, torch, explain } = await parity(CASES.find((c) => c.name === "small")!);
    expect(explain).toMatch(/^dense_1 \(line 5\) +← 5 +weight \[5, 144\], bias \[5\]$/m);
    expect(tfjs).toBeLessThan(1e-5);
    expect(torch).toBeLessThan(1e-5);
  });
});

describe("a new head", () => {
  const headed = atSize("resnet18", 64).replace("dense 1000", "dense 10");
  let file: string;
  let weights: string;
  beforeAll(() => {
    const work = join(dir, "head");
    mkdirSync(work);
    file = join(work, "resnet18_10.cnn");
    writeFileSync(file, headed);
    writeInput(join(work, "input.bin"), [1, 64, 64, 3], 1);
    weights = join(work, "torchvision.pth");
    runTorchvision([{ name: "resnet18", seed: 4, state_dict: weights, input: join(work, "input.bin"), input_shape: [1, 64, 64, 3], output: join(work, "out.bin") }]);
  });

  it("loads every layer that fits and starts the head fresh, saying so", async () => {
    const result = await cnnc(["convert", file, "--from", weights, "--to", join(dir, "head", "tfjs")]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("warning[E0901]: dense_1 needs weight [10, 512], bias [10], but the state_dict's fc in its place has weight [1000, 512], bias [1000]");
    expect(result.stderr).toMatch(/resnet18_10\.cnn:\d+:\d+/);
    expect(result.stderr).toContain("warning[E0902]: 1 module of the state_dict fit no layer: fc (weight [1000, 512], bias [1000])");
    expect(result.stderr).toContain("loaded 40 layers by structure; 1 starts fresh");
  });

  it("--strict refuses, naming the layer, its line and both shapes", async () => {
    const result = await cnnc(["convert", file, "--from", weights, "--to", join(dir, "head", "strict"), "--strict"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error[E0901]: dense_1 needs weight [10, 512], bias [10], but the state_dict's fc in its place has weight [1000, 512], bias [1000]");
    const line = headed.split("\n").findIndex((l) => l.includes("dense 10")) + 1;
    expect(result.stderr).toContain(`resnet18_10.cnn:${line}:`);
    expect(result.stderr).toContain("not loaded");
  });

  it("a map file pins a layer, or starts it fresh on purpose", async () => {
    const map = join(dir, "head", "map.json");
    writeFileSync(map, JSON.stringify({ dense_1: null }));
    const fresh = await cnnc(["convert", file, "--from", weights, "--to", join(dir, "head", "mapped"), "--map", map, "--explain"]);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.stderr).not.toContain("E0901");
    expect(fresh.stdout).toMatch(/^dense_1 \(line \d+\) +fresh +\(the map file starts it fresh\)$/m);
    writeFileSync(map, JSON.stringify({ dense_1: "layer4.1.bn2" }));
    const wrong = await cnnc(["convert", file, "--from", weights, "--to", join(dir, "head", "wrong"), "--map", map]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("error[E0903]: the map file maps `dense_1` (line");
    writeFileSync(map, JSON.stringify({ dense_9: "fc" }));
    expect((await cnnc(["convert", file, "--from", weights, "--to", join(dir, "head", "wrong"), "--map", map])).stderr).toContain("`dense_9`, which is no layer with weights");
  });

  it("the weights of another network are an error", async () => {
    const result = await cnnc(["convert", join(EXAMPLES, "lenet5.cnn"), "--from", weights, "--to", join(dir, "head", "lenet")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error[E0904]: no layer of this model matches a module of the state_dict");
  });
});
