// Records, for every example (the symbolic ones at an accepted size near 224), whether its
// ONNX model passes onnx.checker and the largest difference between its output in ONNX
// Runtime (onnxruntime-web, WebAssembly) and the tfjs model's with the same weights on one
// random batch of two. Rewrites the onnx-parity section of bench/RESULTS.md.
// Needs /usr/bin/python3 with onnx (Debian's python3-onnx).
//
// Run with `npm run bench:onnx-parity` (node on the compiled file) or `npx tsx bench/onnx-parity/run.ts`.

import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lowerToTfjs } from "../../src/emit/tfjs-lowering.js";
import { loadTfjs } from "../../src/runtime/backend.js";
import { replaceSection, ROOT } from "../common.js";
import { checkOnnxFiles, exampleIr, onnxParity, type OnnxParity } from "./parity.js";

const { tf } = await loadTfjs("wasm");
const dir = mkdtempSync(join(tmpdir(), "cnnc-onnx-bench-"));
const files = [
  ...readdirSync(join(ROOT, "examples")).filter((f) => f.endsWith(".cnn")),
  ...readdirSync(join(ROOT, "examples", "symbolic")).filter((f) => f.endsWith(".cnn")).map((f) => `symbolic/${f}`),
].sort();
const results: { file: string; sizes: string; parity?: OnnxParity; failure?: string }[] = [];
try {
  for (const file of files) {
    const { ir, sizes } = exampleIr(join(ROOT, "examples", file));
    const name = file.replace(/\.cnn$/, "").replace("/", "_");
    const sizeText = [...sizes].map(([n, v]) => `${n}=${v}`).join(", ");
    try {
      results.push({ file, sizes: sizeText, parity: await onnxParity(tf, name, { ir, spec: lowerToTfjs(ir, { seed: 1 }) }, dir) });
    } catch (error) {
      results.push({ file, sizes: sizeText, failure: (error as Error).message.split("\n")[0] });
    }
    process.stdout.write(`${file}: ${results.at(-1)!.parity?.maxAbsError ?? results.at(-1)!.failure}\n`);
  }
  const verdicts = checkOnnxFiles(results.filter((r) => r.parity).map((r) => r.parity!.path));
  const rows = results.map((r) => {
    if (r.failure !== undefined) return `| ${r.file} | ${r.sizes} | — | — | — | fails: ${r.failure} | — | — |`;
    const p = r.parity!;
    return `| ${r.file} | ${r.sizes} | ${p.onnxNodes} | ${(p.bytes / 1e6).toFixed(1)} | ${verdicts.shift()} | ${p.maxAbsError.toExponential(2)} | ${p.maxAbsOutput.toFixed(2)} | ${(p.maxAbsError / p.maxAbsOutput).toExponential(1)} |`;
  });
  const body = [
    "## onnx-parity",
    "",
    "`npm run build && npm run bench:onnx-parity`",
    "",
    "The ONNX model (opset 17, NCHW) of every example against its tfjs model (wasm backend) with the same weights: seeded Glorot kernels, random biases and batchnorm statistics, one uniform random batch of two in [−1, 1). ONNX Runtime is onnxruntime-web 1.30 (WebAssembly, one thread) in Node; the checker is Debian's python3-onnx 1.12 with `full_check`. Weights go through `cnnc convert`'s tfjs → state_dict path, as `cnnc build --target onnx --weights` does. Symbolic examples at the sizes shown (`cnnc build` writes one graph for all their sizes). The differences are float32 rounding, which grows with depth and with the outputs' size: the last column relates them, and onnx-float64 below measures both sides against the exact (float64) result.",
    "",
    "| example | sizes | ONNX nodes | MB | onnx.checker | max abs error | max abs output | error ÷ output |",
    "|---|---|---:|---:|---|---:|---:|---:|",
    ...rows,
  ].join("\n");
  replaceSection(join(ROOT, "bench", "RESULTS.md"), "onnx-parity", body);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
