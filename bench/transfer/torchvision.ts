// Loads torchvision's own seeded state_dict for every reference example that torchvision
// has, by structure, with `cnnc convert` (whose key names are torchvision's, not cnnc's),
// and records the largest difference between torchvision's forward and cnnc's, in tfjs and
// in the generated model.py. Rewrites the torchvision-weights section of bench/RESULTS.md
// after each model. Needs /usr/bin/python3 with torch and torchvision; the big models take
// minutes each (they are run at 224×224, batch 1).
//
// Run with `npm run bench:torchvision` (or `npx tsx bench/transfer/torchvision.ts`); name
// models (`npm run bench:torchvision -- vgg16 resnet152`) to run only those (`--float64` adds
// torchvision's float64 forward as the exact reference, into a section of its own): the rows already
// recorded for the others are kept, so a long recording can be made a few models at a time.

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile } from "../../src/compile.js";
import { buildIr } from "../../src/ir/build.js";
import { lowerToTfjs } from "../../src/emit/tfjs-lowering.js";
import { buildTfjsModel } from "../../src/emit/tfjs-build.js";
import { emitModelPy } from "../../src/emit/pytorch/model.js";
import { readTfjsWeights, writeWeights } from "../../src/convert/convert.js";
import { loadTfjs } from "../../src/runtime/backend.js";
import { replaceSection, ROOT } from "../common.js";
import { random, runPython, runTorchvision, TORCHVISION_EXAMPLES, TORCHVISION_KWARGS } from "../pytorch-parity/parity.js";

const float64 = process.argv.includes("--float64");
const only = process.argv.slice(2).filter((a) => a !== "--float64");
const unknown = only.filter((n) => !TORCHVISION_EXAMPLES.includes(n));
if (unknown.length > 0) {
  process.stderr.write(`not a reference example torchvision has: ${unknown.join(", ")} (one of ${TORCHVISION_EXAMPLES.join(", ")})\n`);
  process.exit(1);
}

const RESULTS = join(ROOT, "bench", "RESULTS.md");
const HEADER = "| torchvision model | input | modules matched | tfjs max abs error | model.py max abs error | max abs output | tfjs relative error |";
const HEADER64 = "| torchvision model | input | torchvision float32 − float64 | tfjs − float64 | tfjs − torchvision float32 | max abs output |";
const rowName = (row: string): string => row.split("|")[1]!.trim();
/** The rows already recorded with a table's columns, by model: a run of a few models keeps the others'. */
const recorded = (sectionName = "torchvision-weights", header = HEADER): Map<string, string> => {
  const text = existsSync(RESULTS) ? readFileSync(RESULTS, "utf8") : "";
  const section = text.slice(text.indexOf(`<!-- ${sectionName}:begin -->`), text.indexOf(`<!-- ${sectionName}:end -->`));
  if (!section.includes(header)) return new Map();
  const columns = header.split("|").length;
  const rows = section.split("\n").filter((l) => l.startsWith("| ") && l.split("|").length === columns && TORCHVISION_EXAMPLES.includes(rowName(l)));
  return new Map(rows.map((r) => [rowName(r), r]));
};

const { tf } = await loadTfjs("wasm");
const record = (name: string, row: string): void => {
  const rows = recorded().set(name, row);
  const missing = TORCHVISION_EXAMPLES.filter((n) => !rows.has(n));
  const body = [
    "## torchvision-weights",
    "",
    "`cnnc convert examples/NAME.cnn --from torchvision.pth --strict` on the state_dict of `torchvision.models.NAME(weights=None)` (torchvision 0.14, seed 3) saved with `torch.save(model.state_dict())`: matched by structure (torchvision's key names), every layer loaded and every tensor used. Batchnorm's parameters would otherwise be their constant defaults, which would hide a swapped mapping, so they are set the way training sets them: γ uniform in [0.5, 1.5) and β in [−0.2, 0.2) at random, then the running mean and variance measured as a cumulative average (`momentum=None`, batchnorm alone in train mode) over 3 batches of 4 random inputs like the test's; every statistic differs from its default and the activations stay normalised through depth, as with real pretrained weights (all other weights are torchvision's own random initialisation, not ImageNet's). The error is the largest absolute difference from torchvision's own eval-mode forward on one uniform random input in [−1, 1) at the example's size, batch 1: the tfjs model (wasm backend, NHWC) and the generated model.py (NCHW) with the converted weights; the relative error is the tfjs error over the largest absolute output. `npm run bench:torchvision [-- NAME…]` (busy machine; the errors do not depend on the load). An error over 1e-4 is float32's, not the mapping's: the float64 table below measures it against the exact forward. The same check at reduced input sizes is a test: five representative examples in CI, all 21 with `CNNC_EXHAUSTIVE=1 npx vitest run test/pytorch/torchvision.test.ts`.",
    "",
    HEADER,
    "|---|---|---:|---:|---:|---:|---:|",
    ...TORCHVISION_EXAMPLES.filter((n) => rows.has(n)).map((n) => rows.get(n)!),
    ...(missing.length > 0 ? ["", `Not recorded yet: ${missing.join(", ")}.`] : []),
  ].join("\n");
  replaceSection(RESULTS, "torchvision-weights", body);
};
const record64 = (name: string, row: string): void => {
  const rows = recorded("torchvision-float64", HEADER64).set(name, row);
  const body = [
    "### The same forward in float64",
    "",
    "`npm run bench:torchvision -- --float64 NAME…` also runs torchvision's forward in float64 (`model.double()`, same weights and input) and measures each float32 result against it: how far float32 itself is from the exact output, for torchvision and for tfjs. Where torchvision's own float32 error is over 1e-4, no float32 implementation can be held to 1e-4 of it; test/pytorch/torchvision.test.ts bounds the error by 1e-4 or twice torchvision's own float32 error, whichever is larger.",
    "",
    HEADER64,
    "|---|---|---:|---:|---:|---:|",
    ...TORCHVISION_EXAMPLES.filter((n) => rows.has(n)).map((n) => rows.get(n)!),
  ].join("\n");
  replaceSection(RESULTS, "torchvision-float64", body);
};
for (const name of TORCHVISION_EXAMPLES.filter((n) => only.length === 0 || only.includes(n))) {
  const file = join(ROOT, "examples", `${name}.cnn`);
  const text = readFileSync(file, "utf8");
  const result = compile(text, { path: file });
  const ir = buildIr(result.models.at(-1)!, text);
  const dir = mkdtempSync(join(tmpdir(), "cnnc-torchvision-bench-"));
  try {
    const shape = [1, ...ir.input.shape];
    const next = random(5);
    const input = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => next() * 2 - 1);
    writeFileSync(join(dir, "input.bin"), input);
    runTorchvision([{ name, seed: 3, state_dict: join(dir, "torchvision.pth"), input: join(dir, "input.bin"), input_shape: shape, output: join(dir, "torchvision.bin"), ...(float64 ? { output64: join(dir, "torchvision64.bin") } : {}), ...(TORCHVISION_KWARGS[name] ? { kwargs: TORCHVISION_KWARGS[name] } : {}) }]);
    const expected = new Float32Array(Uint8Array.from(readFileSync(join(dir, "torchvision.bin"))).buffer);
    const cli = (to: string): string => execFileSync(process.execPath, [join(ROOT, "dist", "src", "cli", "bin.js"), "convert", file, "--from", join(dir, "torchvision.pth"), "--to", to, "--strict", "--explain"], { encoding: "utf8", maxBuffer: 64 << 20 });
    const explained = cli(join(dir, "tfjs"));
    cli(join(dir, "model.pt"));
    const modules = explained.split("\n").filter((l) => l.includes("←")).length;
    const model = buildTfjsModel(tf, lowerToTfjs(ir));
    writeWeights(tf, model, readTfjsWeights(readFileSync(join(dir, "tfjs", "model.json"), "utf8"), readFileSync(join(dir, "tfjs", "weights.bin"))));
    const x = tf.tensor(input, shape);
    const y = model.predict(x) as ReturnType<typeof tf.tensor>;
    const output = y.dataSync();
    const tfjsError = Math.max(...Array.from(output, (v, i) => Math.abs(v - expected[i]!)));
    tf.dispose([x, y]);
    model.dispose();
    writeFileSync(join(dir, "model.py"), emitModelPy({ ir, sourceFile: `${name}.cnn` }));
    const [torch] = runPython([{ name, dir, state_dict: join(dir, "model.pt"), input: join(dir, "input.bin"), input_shape: shape, expected: join(dir, "torchvision.bin") }]);
    const maxOutput = Math.max(...Array.from(expected, Math.abs));
    const row = `| ${name} | ${shape[1]}×${shape[2]} | ${modules} | ${tfjsError.toExponential(2)} | ${torch!.max_abs_error!.toExponential(2)} | ${maxOutput.toFixed(2)} | ${(tfjsError / maxOutput).toExponential(1)} |`;
    process.stdout.write(row + "\n");
    record(name, row);
    if (float64) {
      const exact = new Float64Array(Uint8Array.from(readFileSync(join(dir, "torchvision64.bin"))).buffer);
      const from = (a: ArrayLike<number>, b: ArrayLike<number>): string => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!))).toExponential(2);
      const row64 = `| ${name} | ${shape[1]}×${shape[2]} | ${from(expected, exact)} | ${from(output, exact)} | ${tfjsError.toExponential(2)} | ${maxOutput.toFixed(2)} |`;
      process.stdout.write(row64 + "\n");
      record64(name, row64);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
