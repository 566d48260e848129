// Records, for every example, whether the generated PyTorch module has the summary's
// parameter count and the checker's output shape, and the largest difference between its
// output and the tfjs model's with the same weights on one random input (batch 1).
// Rewrites the pytorch-parity section of bench/RESULTS.md. Needs /usr/bin/python3 with torch.
//
// Run with `npx tsx bench/pytorch-parity/run.ts` (or node on the compiled file); name
// examples (`… run.ts convnext_tiny googlenet`) to rerun only their rows and keep the others.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile } from "../../src/compile.js";
import { buildIr } from "../../src/ir/build.js";
import { lowerToTfjs } from "../../src/emit/tfjs-lowering.js";
import { loadTfjs } from "../../src/runtime/backend.js";
import { replaceSection, ROOT } from "../common.js";
import { prepareParity, runPython } from "./parity.js";

const only = new Set(process.argv.slice(2).map((name) => `${name.replace(/\.cnn$/, "")}.cnn`));
const resultsFile = join(ROOT, "bench", "RESULTS.md");
/** The rows recorded before, by example file, kept for the examples not rerun. */
const previous = new Map([...readFileSync(resultsFile, "utf8").matchAll(/^\| (\S+\.cnn) \|.*$/gm)].map((m) => [m[1]!, m[0]]));
const { tf } = await loadTfjs("wasm");
const rows: string[] = [];
for (const file of readdirSync(join(ROOT, "examples")).filter((f) => f.endsWith(".cnn")).sort()) {
  if (only.size > 0 && !only.has(file)) {
    if (previous.has(file)) rows.push(previous.get(file)!);
    continue;
  }
  const text = readFileSync(join(ROOT, "examples", file), "utf8");
  const result = compile(text);
  const model = result.models.at(-1)!;
  const ir = buildIr(model, text);
  const dir = mkdtempSync(join(tmpdir(), "cnnc-parity-bench-"));
  try {
    const job = await prepareParity(tf, file.replace(/\.cnn$/, ""), { ir, spec: lowerToTfjs(ir, { seed: 1 }), doc: model.decl.doc }, dir);
    const [parity] = runPython([job]);
    const shapeOk = JSON.stringify(parity!.shape) === JSON.stringify(ir.output.shape);
    rows.push(`| ${file} | ${ir.params.trainable.toLocaleString("en")} | ${parity!.params === ir.params.trainable ? "yes" : `no (${parity!.params})`} | [${ir.output.shape.join(", ")}] | ${shapeOk ? "yes" : `no ([${parity!.shape.join(", ")}])`} | ${parity!.max_abs_error!.toExponential(2)} | ${parity!.max_abs_output!.toFixed(2)} |`);
    process.stdout.write(rows.at(-1)! + "\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const body = [
  "## pytorch-parity",
  "",
  "The generated PyTorch module (torch 1.13, /usr/bin/python3) against the tfjs model (wasm backend) with the same weights: seeded Glorot kernels, random biases and batchnorm statistics, one uniform random input in [−1, 1), batch 1, eval mode. Weights go through `cnnc convert`'s tfjs → state_dict path.",
  "",
  "| example | trainable params | PyTorch equal | output shape | PyTorch equal | max abs error | max abs output |",
  "|---|---:|---|---|---|---:|---:|",
  ...rows,
].join("\n");
replaceSection(resultsFile, "pytorch-parity", body);
