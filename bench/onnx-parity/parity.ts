// Runs the same model in tfjs and, as the ONNX model `cnnc build --target onnx` writes, in
// ONNX Runtime (onnxruntime-web's WebAssembly build, in Node), with the same weights; and
// checks the ONNX files with onnx.checker (Debian's python3-onnx).

import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-web";
import type { Tf } from "../../src/runtime/tf.js";
import { compile } from "../../src/compile.js";
import { exampleSize } from "../../src/driver.js";
import { nodeHost } from "../../src/host/node.js";
import { buildIr } from "../../src/ir/build.js";
import type { IrGraph } from "../../src/ir/ir.js";
import { buildTfjsModel } from "../../src/emit/tfjs-build.js";
import { serializeModel } from "../../src/emit/tfjs-save.js";
import { tfjsToTorchState } from "../../src/convert/convert.js";
import { lowerToOnnx } from "../../src/emit/onnx/lowering.js";
import { encodeModel } from "../../src/emit/onnx/proto.js";
import { PYTHON, random, randomiseWeights, type LoweredModel } from "../pytorch-parity/parity.js";

// One thread: Node has no cross-origin isolation to give the threaded build its workers.
ort.env.wasm.numThreads = 1;

/** An example's last model as IR, its symbolic sizes (if any) set to the example sizes the CLI uses. */
export function exampleIr(path: string): { ir: IrGraph; sizes: Map<string, number> } {
  const text = readFileSync(path, "utf8");
  const symbolic = compile(text, { path, host: nodeHost }).models.at(-1)!;
  const sizes = new Map([...(symbolic.sizes?.sets ?? [])].map(([name, set]) => [name, exampleSize(set)] as [string, number]));
  return { ir: buildIr(compile(text, { path, sizes, host: nodeHost }).models.at(-1)!, text), sizes };
}

export interface OnnxParity {
  name: string;
  onnxNodes: number;
  bytes: number;
  maxAbsError: number;
  maxAbsOutput: number;
  /** The ONNX file, for onnx.checker. */
  path: string;
}

/** NHWC [N, H, W, C] to NCHW, or back (`inverse`), for a batch of feature maps. */
export function transposeChannels(data: Float32Array, shape: readonly number[], inverse = false): Float32Array {
  if (shape.length !== 4) return data;
  const [n, h, w, c] = shape as [number, number, number, number];
  const out = new Float32Array(data.length);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let k = 0; k < c; k++) {
          const nhwc = ((b * h + y) * w + x) * c + k;
          const nchw = ((b * c + k) * h + y) * w + x;
          if (inverse) out[nhwc] = data[nchw]!;
          else out[nchw] = data[nhwc]!;
        }
  return out;
}

/** Builds the tfjs model with random statistics, its ONNX model from the same weights, and compares outputs on one random batch. */
export async function onnxParity(tf: Tf, name: string, lowered: LoweredModel, dir: string, seed = 7, batch = 2): Promise<OnnxParity> {
  const model = buildTfjsModel(tf, lowered.spec);
  try {
    randomiseWeights(tf, model, seed);
    const files = await serializeModel(tf, model);
    const weights = tfjsToTorchState(lowered.ir, lowered.spec, files["model.json"], files["weights.bin"]);
    const onnx = lowerToOnnx(lowered.ir, { weights });
    const bytes = encodeModel(onnx);
    const path = join(dir, `${name}.onnx`);
    writeFileSync(path, bytes);

    const next = random(seed + 1);
    const shape = [batch, ...lowered.ir.input.shape];
    const values = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => next() * 2 - 1);
    const input = tf.tensor(values, shape);
    const output = model.predict(input) as ReturnType<Tf["tensor"]>;
    const expected = (await output.data()) as Float32Array;
    tf.dispose([input, output]);

    const session = await ort.InferenceSession.create(bytes);
    try {
      const onnxShape = shape.length === 4 ? [shape[0]!, shape[3]!, shape[1]!, shape[2]!] : shape;
      const feeds = { [session.inputNames[0]!]: new ort.Tensor("float32", transposeChannels(values, shape), onnxShape) };
      const results = await session.run(feeds);
      const got = results[session.outputNames[0]!]!.data as Float32Array;
      const actual = transposeChannels(got, [batch, ...lowered.ir.output.shape], true);
      if (actual.length !== expected.length) throw new Error(`${name}: ONNX Runtime gives ${actual.length} outputs, tfjs ${expected.length}`);
      let maxAbsError = 0;
      let maxAbsOutput = 0;
      for (let i = 0; i < expected.length; i++) {
        const error = Math.abs(actual[i]! - expected[i]!);
        // A NaN must fail the comparison, not vanish in Math.max.
        maxAbsError = Number.isNaN(error) ? Infinity : Math.max(maxAbsError, error);
        maxAbsOutput = Math.max(maxAbsOutput, Math.abs(expected[i]!));
      }
      return { name, onnxNodes: onnx.graph.nodes.length, bytes: bytes.length, maxAbsError, maxAbsOutput, path };
    } finally {
      await session.release();
    }
  } finally {
    model.dispose();
  }
}

/** onnx.checker's verdict on each file ("ok" or its message), in one Python process. */
export function checkOnnxFiles(paths: readonly string[]): string[] {
  const script = [
    "import json, sys, onnx",
    "out = []",
    "for path in json.load(sys.stdin):",
    "    try:",
    "        onnx.checker.check_model(onnx.load(path), full_check=True)",
    "        out.append('ok')",
    "    except Exception as error:",
    "        out.append(str(error).strip().splitlines()[0] if str(error).strip() else repr(error))",
    "print(json.dumps(out))",
  ].join("\n");
  return JSON.parse(execFileSync(PYTHON, ["-c", script], { input: JSON.stringify(paths), encoding: "utf8" })) as string[];
}
