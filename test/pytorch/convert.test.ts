// `cnnc convert`: tfjs weights to a PyTorch state_dict and back give the same bytes, a
// state_dict saved by real PyTorch loads into tfjs and computes the module's outputs, and
// names and doc comments from the source cannot inject code into model.py or train.py.
// Needs python3-torch.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { loadTfjs } from "../../src/runtime/backend.js";
import type { Tf } from "../../src/runtime/tf.js";
import { buildTfjsModel } from "../../src/emit/tfjs-build.js";
import { serializeModel } from "../../src/emit/tfjs-save.js";
import { emitPytorch } from "../../src/emit/pytorch.js";
import { matchTorchFile, modelWithWeights, readTfjsWeights, tfjsToTorchFile } from "../../src/convert/convert.js";
import { registerPytorchCommands } from "../../src/cli/pytorch.js";
import { EXAMPLES } from "../helpers.js";
import { lowerText } from "../tfjs-helpers.js";
import { lowerCase } from "./parity-run.js";
import { PYTHON, random, randomiseWeights, runPython } from "../../bench/pytorch-parity/parity.js";

let tf: Tf;
let dir: string;
beforeAll(async () => {
  tf = (await loadTfjs("cpu")).tf;
  dir = mkdtempSync(join(tmpdir(), "cnnc-convert-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function runCli(args: string[]): Promise<number> {
  let code = 0;
  const program = new Command().exitOverride();
  registerPytorchCommands(program, (c) => (code = c));
  const write = process.stdout.write;
  process.stdout.write = () => true;
  try {
    await program.parseAsync(args, { from: "user" });
  } finally {
    process.stdout.write = write;
  }
  return code;
}

describe("weights between tfjs and PyTorch", () => {
  for (const name of ["ops_spatial", "ops_flat", "mobilenet_v2"]) {
    it(`${name}: tfjs → state_dict → tfjs keeps every byte`, async () => {
      const { ir, spec } = lowerCase(name);
      const model = buildTfjsModel(tf, spec);
      randomiseWeights(tf, model, 3);
      const files = await serializeModel(tf, model);
      model.dispose();
      const { report, weights } = matchTorchFile(ir, spec, tfjsToTorchFile(ir, spec, files["model.json"], files["weights.bin"]));
      expect(report.matches.every((m) => m.how === "name")).toBe(true);
      const back = await modelWithWeights(tf, ir, spec, weights);
      expect(Buffer.from(back.tfjs["weights.bin"]).equals(Buffer.from(files["weights.bin"]))).toBe(true);
    });
  }

  it("a state_dict saved by PyTorch converts to a tfjs model with the same outputs", async () => {
    const file = join(import.meta.dirname, "cases", "ops_spatial.cnn");
    const lowered = lowerCase("ops_spatial");
    const work = join(dir, "from-torch");
    mkdirSync(work);
    writeFileSync(join(work, "model.py"), emitPytorch({ ir: lowered.ir, sourceFile: "ops_spatial.cnn" })["model.py"]);
    const next = random(11);
    const shape = [2, ...lowered.ir.input.shape];
    const input = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => next() * 2 - 1);
    writeFileSync(join(work, "input.bin"), input);
    runPython([{ name: "from_torch", dir: work, input: join(work, "input.bin"), input_shape: shape, save_state_dict: join(work, "torch.pt"), save_output: join(work, "torch-output.bin") }]);

    expect(await runCli(["convert", file, "--from", join(work, "torch.pt"), "--to", join(work, "tfjs")])).toBe(0);
    // The model is rebuilt from the IR rather than from model.json's topology: tfjs 4.22
    // drops separableConv2d's depthMultiplier when it serialises the layer's config.
    const model = buildTfjsModel(tf, lowered.spec);
    const weights = readTfjsWeights(readFileSync(join(work, "tfjs", "model.json"), "utf8"), readFileSync(join(work, "tfjs", "weights.bin")));
    for (const variable of model.weights) variable.write(tf.tensor(weights.get(variable.originalName)!.data as Float32Array, variable.shape as number[]));
    const output = (model.predict(tf.tensor(input, shape)) as ReturnType<Tf["tensor"]>).dataSync();
    const expected = new Float32Array(Uint8Array.from(readFileSync(join(work, "torch-output.bin"))).buffer);
    expect(output.length).toBe(expected.length);
    const error = Math.max(...Array.from(output, (v, i) => Math.abs(v - expected[i]!)));
    expect(error).toBeLessThan(1e-4);

    expect(await runCli(["convert", file, "--from", join(work, "tfjs"), "--to", join(work, "again.pt")])).toBe(0);
    const again = runPython([{ name: "again", dir: work, state_dict: join(work, "again.pt"), input: join(work, "input.bin"), input_shape: shape, expected: join(work, "torch-output.bin") }]);
    expect(again[0]!.max_abs_error).toBe(0);
  });

  it("reports a state_dict of another model", async () => {
    const work = join(dir, "mismatch");
    mkdirSync(work);
    const lenet = lowerText(readFileSync(join(EXAMPLES, "lenet5.cnn"), "utf8"));
    const model = buildTfjsModel(tf, lenet.spec);
    const files = await serializeModel(tf, model);
    model.dispose();
    writeFileSync(join(work, "lenet.pt"), tfjsToTorchFile(lenet.ir, lenet.spec, files["model.json"], files["weights.bin"]));
    const stderr = process.stderr.write;
    let message = "";
    process.stderr.write = (chunk: string | Uint8Array) => ((message += String(chunk)), true);
    try {
      expect(await runCli(["convert", join(EXAMPLES, "alexnet.cnn"), "--from", join(work, "lenet.pt"), "--to", join(work, "out")])).toBe(1);
    } finally {
      process.stderr.write = stderr;
    }
    expect(message).toContain("error[E0904]: no layer of this model matches a module of the state_dict");
  });
});

describe("generated Python is safe for any source", () => {
  it("escapes doc comments and renames layers that would replace nn.Module attributes", () => {
    const source = [
      '/// Ends a docstring: """ and \'\'\' and a backslash \\',
      "/// \u2028import os; os.system('echo injected')\r# not a comment",
      "model forward {",
      "  input self: [8, 8, 1]",
      "  conv 2, kernel: 3 as training",
      "  conv 2, kernel: 1 as x",
      "  add training -> flatten -> dense 3 as parameters",
      "}",
      "train forward {",
      "  optimizer: sgd(lr: 0.1)",
      "}",
    ].join("\n");
    const { ir, doc } = lowerText(source);
    const files = emitPytorch({ ir, sourceFile: "evil\".cnn\nimport os", doc });
    const work = join(dir, "safe");
    mkdirSync(work);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(work, name), text);
    const check = `
import ast, sys
sys.path.insert(0, ${JSON.stringify(work)})
for name in ["model.py", "train.py"]:
    tree = ast.parse(open(${JSON.stringify(work)} + "/" + name).read())
    calls = [n.func.attr for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)]
    assert "system" not in calls, name
import torch, model
m = model.build_model()
assert type(m).forward is not torch.nn.Module.forward
print(sum(p.numel() for p in m.parameters()), list(m(torch.zeros(2, 1, 8, 8)).shape), m.training)
`;
    const output = execFileSync(PYTHON, ["-c", check], { encoding: "utf8" }).trim();
    expect(output).toBe(`${ir.params.trainable} [2, 3] True`);
  });
});
