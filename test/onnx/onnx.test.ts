// The ONNX target: representative models against tfjs in ONNX Runtime (onnxruntime-web's
// WebAssembly build) and through onnx.checker (Debian's python3-onnx); then the CLI's
// weights, layouts, symbolic sizes and errors. Every example: `npm run bench:onnx-parity`.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-web";
import { loadTfjs } from "../../src/runtime/backend.js";
import type { Tf } from "../../src/runtime/tf.js";
import { buildTfjsModel } from "../../src/emit/tfjs-build.js";
import { fileLoadHandler } from "../../src/emit/tfjs-save.js";
import { checkOnnxFiles, onnxParity, transposeChannels, type OnnxParity } from "../../bench/onnx-parity/parity.js";
import { lowerCase } from "../pytorch/parity-run.js";
import { lowerText } from "../tfjs-helpers.js";
import { compile } from "../../src/compile.js";
import { buildIr } from "../../src/ir/build.js";
import { lowerToTfjs } from "../../src/emit/tfjs-lowering.js";
import { CLI, ROOT } from "../helpers.js";
import { runTorchvision } from "../../bench/pytorch-parity/parity.js";
import { FROZEN_MODEL } from "../train/fixtures.js";

const TOLERANCE = 1e-4;

function cnnc(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Names, dimensions and opset of an ONNX file, as the onnx package reads them. */
function describeOnnx(path: string): { opset: number; inputs: (number | string)[][]; outputs: (number | string)[][]; nodes: string[]; initializers: string[] } {
  const script = [
    "import json, sys, onnx",
    "m = onnx.load(sys.argv[1])",
    "dims = lambda v: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]",
    "print(json.dumps({'opset': m.opset_import[0].version, 'inputs': [dims(v) for v in m.graph.input], 'outputs': [dims(v) for v in m.graph.output],",
    "  'nodes': [n.name for n in m.graph.node], 'initializers': [t.name for t in m.graph.initializer]}))",
  ].join("\n");
  return JSON.parse(execFileSync("/usr/bin/python3", ["-c", script, path], { encoding: "utf8" })) as ReturnType<typeof describeOnnx>;
}

async function runOnnx(path: string, data: Float32Array, dims: number[]): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(readFileSync(path));
  try {
    const results = await session.run({ [session.inputNames[0]!]: new ort.Tensor("float32", data, dims) });
    const output = results[session.outputNames[0]!]!;
    return { data: output.data as Float32Array, dims: output.dims };
  } finally {
    await session.release();
  }
}

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  return a.reduce((max, x, i) => Math.max(max, Math.abs(x - b[i]!)), 0);
}

const inputOf = (length: number, seed: number): Float32Array => Float32Array.from({ length }, (_, i) => Math.sin(i * 0.37 + seed));

let tf: Tf;
let dir: string;
beforeAll(async () => {
  ({ tf } = await loadTfjs("wasm"));
  dir = mkdtempSync(join(tmpdir(), "cnnc-onnx-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("ONNX models compute the tfjs model's function", () => {
  // Every lowering rule (test/pytorch/cases/), the classic sequence, and a squeeze-and-excitation mobile net.
  const names = ["ops_spatial", "ops_flat", "ops_modern", "lenet5", "squeezenet1_1", "efficientnet_b0"];
  const results = new Map<string, OnnxParity>();
  let verdicts: string[] = [];
  beforeAll(async () => {
    for (const name of names) results.set(name, await onnxParity(tf, name, lowerCase(name), dir));
    verdicts = checkOnnxFiles(names.map((name) => results.get(name)!.path));
  }, 300_000);

  for (const [i, name] of names.entries()) {
    it(`${name}: onnx.checker passes, ONNX Runtime agrees within ${TOLERANCE}`, () => {
      expect(verdicts[i]).toBe("ok");
      expect(results.get(name)!.maxAbsError).toBeLessThan(TOLERANCE);
    });
  }
});

describe("cnnc build --target onnx", () => {
  it("writes opset 17 with the summary's layer names and the PyTorch target's weight names; --seed makes it byte-identical", () => {
    const a = join(dir, "lenet-a");
    const b = join(dir, "lenet-b");
    expect(cnnc(["build", "examples/lenet5.cnn", "--target", "onnx", "-o", a, "--seed", "3", "--backend", "cpu"])).toMatchObject({ status: 0, stdout: `wrote ${join(a, "model.onnx")}\n` });
    expect(cnnc(["build", "examples/lenet5.cnn", "--target", "onnx", "-o", b, "--seed", "3", "--backend", "cpu"]).status).toBe(0);
    expect(readFileSync(join(a, "model.onnx")).equals(readFileSync(join(b, "model.onnx")))).toBe(true);
    const described = describeOnnx(join(a, "model.onnx"));
    const summary = JSON.parse(cnnc(["summary", "examples/lenet5.cnn", "--json"]).stdout) as { layers: { name: string }[] };
    const layers = summary.layers.map((l) => l.name).filter((n) => n !== "image");
    // Each layer is one node named after it, but flatten's move to channels last comes first.
    expect(described.nodes.filter((n) => !n.includes("/"))).toEqual(layers);
    expect(described.nodes).toContain("flatten_1/to_nhwc");
    expect(described).toMatchObject({ opset: 17, inputs: [["N", 1, 32, 32]], outputs: [["N", 10]] });
    expect(described.initializers.slice(0, 2)).toEqual(["conv_1.weight", "conv_1.bias"]);
  });

  it("takes the weights of a saved tfjs model or of a PyTorch state_dict, with the same result", async () => {
    const tfjsDir = join(dir, "resnet-tfjs");
    const source = "examples/resnet20.cnn";
    expect(cnnc(["build", source, "--target", "tfjs", "-o", tfjsDir, "--seed", "5", "--backend", "cpu"]).status).toBe(0);
    const pt = join(dir, "resnet.pt");
    expect(cnnc(["convert", source, "--from", tfjsDir, "--to", pt]).status).toBe(0);
    const fromTfjs = join(dir, "resnet-onnx-tfjs");
    const fromTorch = join(dir, "resnet-onnx-pt");
    expect(cnnc(["build", source, "--target", "onnx", "-o", fromTfjs, "--weights", tfjsDir]).status).toBe(0);
    expect(cnnc(["build", source, "--target", "onnx", "-o", fromTorch, "--weights", pt]).status).toBe(0);
    expect(readFileSync(join(fromTfjs, "model.onnx")).equals(readFileSync(join(fromTorch, "model.onnx")))).toBe(true);

    // The tfjs model as saved, on the same input.
    const model = await tf.loadLayersModel(fileLoadHandler(tf, readFileSync(join(tfjsDir, "model.json"), "utf8"), readFileSync(join(tfjsDir, "weights.bin"))));
    const shape = [2, 32, 32, 3];
    const values = inputOf(shape.reduce((p, x) => p * x, 1), 1);
    const input = tf.tensor(values, shape);
    const output = model.predict(input) as ReturnType<Tf["tensor"]>;
    const expected = (await output.data()) as Float32Array;
    tf.dispose([input, output]);
    model.dispose();
    const got = await runOnnx(join(fromTfjs, "model.onnx"), transposeChannels(values, shape), [2, 3, 32, 32]);
    expect(maxAbsDifference(got.data, expected)).toBeLessThan(TOLERANCE);
  });

  it("takes a foreign state_dict matched by structure, as `cnnc train --init` does (--explain, --strict), and names the frozen layers in its metadata", () => {
    const source = join(dir, "frozen.cnn");
    writeFileSync(source, FROZEN_MODEL);
    writeFileSync(join(dir, "frozen-input.bin"), new Float32Array(64));
    // The same stem, pretrained elsewhere with a 10-class head: the 3-class head starts as --seed makes it.
    const pt = join(dir, "pretrained.pt");
    const module = "nn.Sequential(nn.Conv2d(1, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU(), nn.Conv2d(4, 4, 1), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 10))";
    runTorchvision([{ name: "pretrained", module, seed: 2, state_dict: pt, input: join(dir, "frozen-input.bin"), input_shape: [1, 8, 8, 1], output: join(dir, "frozen-output.bin") }]);
    const out = join(dir, "frozen-onnx");
    const built = cnnc(["build", source, "--target", "onnx", "-o", out, "--weights", pt, "--seed", "3", "--backend", "cpu", "--explain"]);
    expect(built.status, built.stderr).toBe(0);
    expect(built.stdout).toMatch(/^conv_1 \(line 2\) +← 0 +weight \[4, 1, 3, 3\]$/m);
    expect(built.stderr).toContain("warning[E0901]: dense_1 needs weight [3, 64], bias [3], but the state_dict's 6 in its place has weight [10, 64], bias [10]");
    expect(built.stderr).toContain("loaded 3 layers by structure; 1 starts fresh");
    const script = [
      "import json, sys, onnx, torch",
      "from onnx import numpy_helper",
      "m = onnx.load(sys.argv[1]); state = torch.load(sys.argv[2])",
      "init = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}",
      "pairs = {'conv_1.weight': '0.weight', 'batchnorm_1.running_var': '1.running_var', 'conv_2.bias': '3.bias'}",
      "print(json.dumps({'metadata': {p.key: p.value for p in m.metadata_props}, 'loaded': all((init[a] == state[b].numpy()).all() for a, b in pairs.items())}))",
    ].join("\n");
    const read = JSON.parse(execFileSync("/usr/bin/python3", ["-c", script, join(out, "model.onnx"), pt], { encoding: "utf8" })) as { metadata: Record<string, string>; loaded: boolean };
    expect(read.loaded).toBe(true);
    expect(read.metadata["frozen"]).toBe("conv_1,batchnorm_1,conv_2");

    const strict = cnnc(["build", source, "--target", "onnx", "-o", join(dir, "frozen-strict"), "--weights", pt, "--strict"]);
    expect(strict.status).toBe(1);
    expect(strict.stderr).toContain("error[E0901]: dense_1 needs weight [3, 64]");
    expect(strict.stderr).toContain("frozen.cnn:13:");
  });

  it("--input-layout nhwc takes channels-last images and computes the same", async () => {
    const nchw = join(dir, "ops-nchw");
    const nhwc = join(dir, "ops-nhwc");
    const source = "test/pytorch/cases/ops_spatial.cnn";
    expect(cnnc(["build", source, "--target", "onnx", "-o", nchw, "--seed", "1", "--backend", "cpu"]).status).toBe(0);
    expect(cnnc(["build", source, "--target", "onnx", "-o", nhwc, "--seed", "1", "--backend", "cpu", "--input-layout", "nhwc"]).status).toBe(0);
    expect(describeOnnx(join(nhwc, "model.onnx")).inputs).toEqual([["N", 17, 15, 3]]);
    const shape = [1, 17, 15, 3];
    const values = inputOf(17 * 15 * 3, 2);
    const a = await runOnnx(join(nchw, "model.onnx"), transposeChannels(values, shape), [1, 3, 17, 15]);
    const b = await runOnnx(join(nhwc, "model.onnx"), values, shape);
    expect(b.dims).toEqual(a.dims);
    expect(maxAbsDifference(a.data, b.data)).toBe(0);
  });

  it("gives a symbolic model one graph with named sizes, equal to tfjs at every size", async () => {
    const text = ["model Tiny {", "  input image: [H, W, 3]", "  conv 8, kernel: 3, padding: 1 -> batchnorm -> relu", "  maxpool 2", "  conv 4, kernel: 3, padding: 1", "  upsample 2, mode: bilinear", "}", ""].join("\n");
    const file = join(dir, "tiny.cnn");
    writeFileSync(file, text);
    const tfjsDir = join(dir, "tiny-tfjs");
    expect(cnnc(["build", file, "--target", "tfjs", "-o", tfjsDir, "--seed", "4", "--backend", "cpu", "--shape", "H=16,W=16"]).status).toBe(0);
    const out = join(dir, "tiny-onnx");
    expect(cnnc(["build", file, "--target", "onnx", "-o", out, "--weights", tfjsDir]).status).toBe(0);
    expect(describeOnnx(join(out, "model.onnx"))).toMatchObject({ inputs: [["N", 3, "H", "W"]], outputs: [["N", 4, "2*floor(H/2)", "2*floor(W/2)"]] });
    const saved = await tf.loadLayersModel(fileLoadHandler(tf, readFileSync(join(tfjsDir, "model.json"), "utf8"), readFileSync(join(tfjsDir, "weights.bin"))));
    for (const [h, w] of [[16, 16], [11, 20]] as const) {
      const compiled = compile(text, { sizes: new Map([["H", h], ["W", w]]) });
      const model = buildTfjsModel(tf, lowerToTfjs(buildIr(compiled.models[0]!, text)));
      model.setWeights(saved.getWeights());
      const shape = [1, h, w, 3];
      const values = inputOf(h * w * 3, h);
      const input = tf.tensor(values, shape);
      const output = model.predict(input) as ReturnType<Tf["tensor"]>;
      const expected = (await output.data()) as Float32Array;
      const got = await runOnnx(join(out, "model.onnx"), transposeChannels(values, shape), [1, 3, h, w]);
      expect(got.dims).toEqual([1, 4, 2 * Math.floor(h / 2), 2 * Math.floor(w / 2)]);
      expect(maxAbsDifference(transposeChannels(got.data, [1, ...output.shape.slice(1)] as number[], true), expected)).toBeLessThan(TOLERANCE);
      tf.dispose([input, output]);
      model.dispose();
    }
    saved.dispose();
  });

  it("refuses a symbolic model whose graph depends on the size (E0620), naming the layer and the --shape fix", () => {
    const file = join(dir, "same.cnn");
    writeFileSync(file, ["model Same {", "  input image: [H, W, 3]", "  conv 8, kernel: 3, stride: 2, padding: same", "  global avgpool", "}", ""].join("\n"));
    const result = cnnc(["build", file, "--target", "onnx", "-o", join(dir, "same-onnx")]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("error[E0620]: the ONNX form of `conv_1` differs between the accepted sizes H=224,W=224 and H=225,W=225");
    expect(result.stderr).toContain(":3:3");
    expect(result.stderr).toContain("--shape H=224,W=224");
    expect(cnnc(["build", file, "--target", "onnx", "-o", join(dir, "same-onnx"), "--shape", "H=225,W=224", "--backend", "cpu"]).status).toBe(0);
  });

  it("refuses weights of another model, and the ONNX options on other targets", () => {
    const lenetDir = join(dir, "lenet-tfjs");
    expect(cnnc(["build", "examples/lenet5.cnn", "-o", lenetDir, "--seed", "1", "--backend", "cpu"]).status).toBe(0);
    const wrong = cnnc(["build", "examples/resnet20.cnn", "--target", "onnx", "-o", join(dir, "wrong"), "--weights", lenetDir]);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/^error: .*lenet-tfjs: the tfjs model has no weight conv_1\/kernel|^error: .*lenet-tfjs: the tfjs weight conv_1\/kernel has shape/);
    const misuse = cnnc(["build", "examples/lenet5.cnn", "--target", "pytorch", "-o", join(dir, "py"), "--weights", lenetDir]);
    expect(misuse).toMatchObject({ status: 2, stderr: "error: --weights applies to --target onnx only\n" });
    expect(cnnc(["build", "examples/lenet5.cnn", "--target", "onnx", "-o", join(dir, "explain"), "--explain"])).toMatchObject({ status: 2, stderr: "error: --explain applies to the weights of --weights FILE.pt\n" });
  });
});

describe("lowerings tfjs cannot express", () => {
  it("average pooling with windows past the edge (ceil mode) and with `same` padding equals PyTorch's model.py", async () => {
    const text = ["model Ceil {", "  input image: [9, 8, 2]", "  avgpool 3, stride: 2, padding: 1, ceil_mode: true", "  avgpool 2, stride: 2, padding: same, ceil_mode: true", "}", ""].join("\n");
    const compiled = compile(text);
    const ir = buildIr(compiled.models[0]!, text);
    const { lowerToOnnx } = await import("../../src/emit/onnx/lowering.js");
    const { encodeModel } = await import("../../src/emit/onnx/proto.js");
    const { emitModelPy } = await import("../../src/emit/pytorch/model.js");
    const path = join(dir, "ceil.onnx");
    writeFileSync(path, encodeModel(lowerToOnnx(ir, { weights: new Map() })));
    writeFileSync(join(dir, "model.py"), emitModelPy({ ir, sourceFile: "ceil.cnn" }));
    const input = inputOf(2 * 9 * 8, 5);
    const got = await runOnnx(path, input, [1, 2, 9, 8]);
    const script = ["import json, sys, torch", "sys.path.insert(0, sys.argv[1])", "from model import build_model", "x = torch.tensor(json.load(sys.stdin)).reshape(1, 2, 9, 8)", "print(json.dumps(build_model().eval()(x).flatten().tolist()))"].join("\n");
    const expected = Float32Array.from(JSON.parse(execFileSync("/usr/bin/python3", ["-c", script, dir], { input: JSON.stringify(Array.from(input)), encoding: "utf8" })) as number[]);
    expect(got.dims).toEqual([1, 2, ...ir.output.shape.slice(0, 2)]);
    expect(maxAbsDifference(got.data, expected)).toBeLessThan(1e-6);
    expect(checkOnnxFiles([path])).toEqual(["ok"]);
  });
});

describe("text models lower for ONNX like the examples", () => {
  it("a flat-input model keeps [N, features]", async () => {
    const lowered = lowerText("model Flat {\n  input x: [6]\n  dense 4 -> relu\n  dense 3 -> softmax\n}\n", 1);
    const result = await onnxParity(tf, "flat_input", lowered, dir);
    expect(result.maxAbsError).toBeLessThan(TOLERANCE);
    expect(describeOnnx(result.path)).toMatchObject({ inputs: [["N", 6]], outputs: [["N", 3]] });
  });
});
