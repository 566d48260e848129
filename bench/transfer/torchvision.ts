// Loads torchvision's own seeded state_dict for every reference example that torchvision
// has, by structure, with `cnnc convert` (whose key names are torchvision's, not cnnc's),
// and records the largest difference between torchvision's forward and cnnc's, in tfjs and
// in the generated model.py. Rewrites the torchvision-weights section of bench/RESULTS.md.
// Needs /usr/bin/python3 with torch and torchvision; several minutes (the models are run at
// 224×224, batch 1).
//
// Run with `npm run bench:torchvision` (or `npx tsx bench/transfer/torchvision.ts`).

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
import { random, runPython, runTorchvision } from "../pytorch-parity/parity.js";

/** The reference examples torchvision 0.14 has, by torchvision.models name, cheapest first (a stopped run keeps its rows). */
const EXAMPLES = [
  "squeezenet1_1", "mobilenet_v2", "shufflenet_v2_x1_0", "mnasnet1_0", "mobilenet_v3_large", "regnet_y_400mf", "resnet18", "efficientnet_b0",
  "alexnet", "googlenet", "resnet34", "densenet121", "convnext_tiny", "resnet50", "resnext50_32x4d", "inception_v3", "efficientnet_v2_s",
  "wide_resnet50_2", "resnet152", "vgg16", "vgg16_bn",
];
/** Constructor arguments that give the network the example describes (no auxiliary classifiers). */
const KWARGS: Record<string, Record<string, unknown>> = { googlenet: { aux_logits: false, init_weights: false }, inception_v3: { aux_logits: false, init_weights: false } };
const only = process.argv.slice(2);

const { tf } = await loadTfjs("wasm");
const rows: string[] = [];
const record = (): void => {
  const missing = EXAMPLES.filter((n) => !rows.some((r) => r.startsWith(`| ${n} |`)));
  const body = [
    "## torchvision-weights",
    "",
    "`cnnc convert examples/NAME.cnn --from torchvision.pth --strict` on the state_dict of `torchvision.models.NAME(weights=None)` (torchvision 0.14, seed 3, batchnorm affine parameters and running statistics randomised) saved with `torch.save(model.state_dict())`: matched by structure (torchvision's key names), every layer loaded and every tensor used. The error is the largest absolute difference from torchvision's own eval-mode forward on one uniform random input in [−1, 1) at the example's size (224×224; Inception v3 299×299), batch 1: the tfjs model (wasm backend, NHWC) and the generated model.py (NCHW) with the converted weights. `npm run bench:torchvision` (busy machine; the errors do not depend on the load).",
    "",
    "| torchvision model | modules matched | tfjs max abs error | model.py max abs error | max abs output |",
    "|---|---:|---:|---:|---:|",
    ...rows,
    ...(missing.length > 0 ? ["", `Not run in this recording (the run was stopped): ${missing.join(", ")}.`] : []),
  ].join("\n");
  replaceSection(join(ROOT, "bench", "RESULTS.md"), "torchvision-weights", body);
};
for (const name of EXAMPLES.filter((n) => only.length === 0 || only.includes(n))) {
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
    runTorchvision([{ name, seed: 3, state_dict: join(dir, "torchvision.pth"), input: join(dir, "input.bin"), input_shape: shape, output: join(dir, "torchvision.bin"), ...(KWARGS[name] ? { kwargs: KWARGS[name] } : {}) }]);
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
    rows.push(`| ${name} | ${modules} | ${tfjsError.toExponential(2)} | ${torch!.max_abs_error!.toExponential(2)} | ${maxOutput.toFixed(2)} |`);
    process.stdout.write(rows.at(-1)! + "\n");
    if (only.length === 0) record();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
if (only.length === 0) record();
