// Benchmark: check + summary time for every example and for a generated 10,000-layer
// file, against building the same model as a tfjs LayersModel (IR → layers API) in the
// same run. Prints a Markdown table and rewrites the compile section of bench/RESULTS.md.
//
// Run with `npm run bench` (after `npm run build`).

import { readdirSync, readFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { compile } from "../../src/compile.js";
import { buildIr } from "../../src/ir/build.js";
import { buildTfjsModel } from "../../src/emit/tfjs-build.js";
import { LoweringError, lowerToTfjs } from "../../src/emit/tfjs-lowering.js";
import { summarize } from "../../src/summary/summary.js";
import { loadTfjs } from "../../src/runtime/backend.js";
import { generatedModel, median, replaceSection, ROOT } from "../common.js";

const examplesDir = join(ROOT, "examples");

function checkAndSummarize(text: string): number {
  const result = compile(text);
  const model = result.models[result.models.length - 1]!;
  return summarize(model, text).params.total;
}

function time(fn: () => unknown, runs: number, warmup: number): number {
  for (let i = 0; i < warmup; i++) fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

async function main(): Promise<void> {
  const { tf, backend } = await loadTfjs("cpu");
  const cases: { name: string; text: string; tfRuns: number }[] = readdirSync(examplesDir)
    .filter((f) => f.endsWith(".cnn"))
    .sort()
    .map((f) => ({ name: f.replace(/\.cnn$/, ""), text: readFileSync(join(examplesDir, f), "utf8"), tfRuns: 3 }));
  cases.push({ name: "generated, 1,000 layers", text: generatedModel(1_000), tfRuns: 1 });
  cases.push({ name: "generated, 10,000 layers", text: generatedModel(10_000), tfRuns: 1 });

  // All check timings first, so tfjs's large allocations do not disturb them; every case is
  // run before any is measured, so the JIT has seen the whole compiler.
  for (let round = 0; round < 20; round++) for (const c of cases) checkAndSummarize(c.text);
  const checks = cases.map((c) => ({ layers: compile(c.text).models.at(-1)!.nodes.length, ms: time(() => checkAndSummarize(c.text), c.tfRuns === 1 ? 20 : 200, 20) }));
  const rows: string[] = [];
  cases.forEach((c, i) => {
    const { layers, ms: checkMs } = checks[i]!;
    let tfCell: string;
    let ratioCell: string;
    try {
      const tfMs = time(() => {
        const result = compile(c.text);
        const model = buildTfjsModel(tf, lowerToTfjs(buildIr(result.models.at(-1)!, c.text)));
        model.dispose();
      }, c.tfRuns, 1);
      tfCell = tfMs.toFixed(0);
      ratioCell = `${(tfMs / checkMs).toFixed(0)}×`;
    } catch (error) {
      // tfjs-layers walks the graph recursively: lowering refuses models deeper than it can take.
      tfCell = error instanceof LoweringError ? `refused (${error.code}): ${error.message}` : `fails: ${(error as Error).name}: ${(error as Error).message}`;
      ratioCell = "—";
    }
    const row = `| ${c.name} | ${layers.toLocaleString("en-US")} | ${checkMs.toFixed(2)} | ${tfCell} | ${ratioCell} |`;
    rows.push(row);
    process.stdout.write(row + "\n");
  });
  const table = [
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}, tfjs backend \`${backend}\`. Medians: check + summary over 200 warm runs (20 for the generated files); the tfjs build (compile, IR, lowering, \`tf.model\` with weight initialisation) over 3 runs after a warm-up (1 for the generated file).`,
    "",
    "| model | layers | check + summary (ms) | tfjs build (ms) | build ÷ check |",
    "|---|---:|---:|---:|---:|",
    ...rows,
  ].join("\n");
  replaceSection(join(ROOT, "bench", "RESULTS.md"), "compile", table);
}

await main();
