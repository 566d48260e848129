// Which side of an ONNX-vs-tfjs difference is off? For each example named (default: every
// one), the weights and input of bench/onnx-parity (seed 7, one image) run in tfjs (wasm),
// in ONNX Runtime with its graph optimisations (Conv+BN/Add fusions) on and off, and in
// model.py in float64 (PyTorch), which is exact to far below float32's rounding: each
// float32 result's distance from it shows whether the ONNX graph computes another function
// or only rounds differently. Rewrites the onnx-float64 section of bench/RESULTS.md.
// Needs /usr/bin/python3 with torch.
//
// Run with `npm run bench:onnx-float64 [-- resnet152 lenet5 …]`.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-web";
import { lowerToTfjs } from "../../src/emit/tfjs-lowering.js";
import { loadTfjs } from "../../src/runtime/backend.js";
import { lowerToOnnx } from "../../src/emit/onnx/lowering.js";
import { encodeModel } from "../../src/emit/onnx/proto.js";
import { readTorchStateDict } from "../../src/convert/torch-file.js";
import { replaceSection, ROOT } from "../common.js";
import { PYTHON, prepareParity } from "../pytorch-parity/parity.js";
import { exampleIr, transposeChannels } from "./parity.js";

ort.env.wasm.numThreads = 1;

/** The job's model.py on its input in float64, written as little-endian float64 NHWC. */
const FLOAT64 = `
import importlib.util, json, sys
import numpy as np, torch
job = json.loads(sys.argv[1])
spec = importlib.util.spec_from_file_location("reference", job["dir"] + "/model.py")
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
model = module.build_model()
model.load_state_dict(torch.load(job["state_dict"]))
model = model.double().eval()
x = torch.from_numpy(np.fromfile(job["input"], dtype="<f4").reshape(job["input_shape"])).double()
with torch.no_grad():
    y = model(x.permute(0, 3, 1, 2) if x.dim() == 4 else x)
if y.dim() == 4:
    y = y.permute(0, 2, 3, 1)
y.contiguous().numpy().astype("<f8").tofile(job["dir"] + "/float64.bin")
`;

const floats = (bytes: Buffer): Float32Array => new Float32Array(Uint8Array.prototype.slice.call(bytes).buffer);
const doubles = (bytes: Buffer): Float64Array => new Float64Array(Uint8Array.prototype.slice.call(bytes).buffer);
const maxAbsDifference = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
};

interface Row {
  file: string;
  maxAbsOutput: number;
  onnxVsTfjs: number;
  tfjs: number;
  onnx: number;
  onnxUnoptimised: number;
}

const { tf } = await loadTfjs("wasm");
const wanted = process.argv.slice(2);
const files = readdirSync(join(ROOT, "examples"))
  .filter((f) => f.endsWith(".cnn") && (wanted.length === 0 || wanted.includes(f.replace(/\.cnn$/, ""))))
  .sort();
const dir = mkdtempSync(join(tmpdir(), "cnnc-onnx-float64-"));
const rows: Row[] = [];
try {
  for (const file of files) {
    const { ir } = exampleIr(join(ROOT, "examples", file));
    const name = file.replace(/\.cnn$/, "");
    const job = await prepareParity(tf, name, { ir, spec: lowerToTfjs(ir, { seed: 1 }) }, join(dir, name));
    const input = floats(readFileSync(job.input));
    const tfjs = floats(readFileSync(job.expected));
    execFileSync(PYTHON, ["-c", FLOAT64, JSON.stringify(job)]);
    const exact = doubles(readFileSync(join(job.dir, "float64.bin")));
    const bytes = encodeModel(lowerToOnnx(ir, { weights: readTorchStateDict(readFileSync(job.state_dict)) }));
    const shape = job.input_shape;
    const onnxShape = shape.length === 4 ? [shape[0]!, shape[3]!, shape[1]!, shape[2]!] : shape;
    const onnx: Record<string, Float32Array> = {};
    for (const level of ["all", "disabled"] as const) {
      const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: level });
      const results = await session.run({ [session.inputNames[0]!]: new ort.Tensor("float32", transposeChannels(input, shape), onnxShape) });
      onnx[level] = transposeChannels(results[session.outputNames[0]!]!.data as Float32Array, [1, ...ir.output.shape], true);
      await session.release();
    }
    rows.push({
      file,
      maxAbsOutput: Math.max(...Array.from(exact, Math.abs)),
      onnxVsTfjs: maxAbsDifference(onnx["all"]!, tfjs),
      tfjs: maxAbsDifference(tfjs, exact),
      onnx: maxAbsDifference(onnx["all"]!, exact),
      onnxUnoptimised: maxAbsDifference(onnx["disabled"]!, exact),
    });
    rmSync(join(dir, name), { recursive: true, force: true });
    process.stdout.write(`${file}: ${JSON.stringify(rows.at(-1))}\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// The ONNX model is right when it agrees with tfjs within 1e-4, or else is at least as close to the exact result as tfjs is.
const verdict = (r: Row): string => (r.onnxVsTfjs < 1e-4 ? "ok: within 1e-4 of tfjs" : r.onnx <= r.tfjs ? "ok: closer to float64 than tfjs" : "DIFFERS");
const e = (x: number): string => x.toExponential(2);
const body = [
  "## onnx-float64",
  "",
  `\`npm run build && npm run bench:onnx-float64${wanted.length > 0 ? ` -- ${wanted.join(" ")}` : ""}\``,
  "",
  "Where ONNX Runtime and tfjs disagree, which one is off? The weights and input of onnx-parity (seed 7, one image of uniform noise in [−1, 1)) run in tfjs (wasm), in ONNX Runtime (onnxruntime-web 1.30) with its graph optimisations on (its default: Conv+BatchNorm, Conv+Add fusions) and off, and in model.py in float64 (PyTorch 1.13): the exact result, to far below float32's rounding. Each column is a float32 result's largest distance from it. The check: the ONNX model agrees with tfjs within 1e-4, or else is at least as close to the exact result as tfjs is.",
  "",
  "| example | max abs output | ONNX − tfjs | tfjs − float64 | ONNX − float64 | ONNX unoptimised − float64 | check |",
  "|---|---:|---:|---:|---:|---:|---|",
  ...rows.map((r) => `| ${r.file} | ${r.maxAbsOutput.toFixed(2)} | ${e(r.onnxVsTfjs)} | ${e(r.tfjs)} | ${e(r.onnx)} | ${e(r.onnxUnoptimised)} | ${verdict(r)} |`),
].join("\n");
replaceSection(join(ROOT, "bench", "RESULTS.md"), "onnx-float64", body);
if (rows.some((r) => verdict(r) === "DIFFERS")) process.exitCode = 1;
