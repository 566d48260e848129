// `frozen { … }`: the layers inside (and in the blocks they call) keep their weights. The
// summary, the IR, hovers, the tfjs model (trainable: false, batchnorm on its running
// statistics), model.py (requires_grad False, eval-mode batchnorm) and `cnnc train`
// (the weights come out as they went in) all honour it; test/emit-ts.test.ts runs the
// TypeScript target's module.

import { describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile } from "../src/compile.js";
import { summarize, renderSummary } from "../src/summary/summary.js";
import { hover } from "../src/ide/hover.js";
import { buildTfjsModel } from "../src/emit/tfjs-build.js";
import { emitPytorch } from "../src/emit/pytorch.js";
import { loadTfjs } from "../src/runtime/backend.js";
import { readTfjsWeights } from "../src/convert/convert.js";
import { encodeNpy } from "../src/data/npy.js";
import { ROOT } from "./helpers.js";
import { lowerText } from "./tfjs-helpers.js";
import { withCursor } from "./ide/markers.js";
import { FROZEN_MODEL, patterns } from "./train/fixtures.js";


describe("frozen bodies", () => {
  it("mark the layers with weights inside them, also in called blocks, and count them apart", () => {
    const result = compile(FROZEN_MODEL);
    expect(result.diagnostics).toEqual([]);
    const model = result.models[0]!;
    expect(model.nodes.filter((n) => n.frozen).map((n) => n.name)).toEqual(["conv_1", "batchnorm_1", "conv_2"]);
    // conv 1→4 3x3 (36) + batchnorm (8) + conv 4→4 1x1 with bias (20) are frozen; dense 64→3 trains.
    expect(model.params).toEqual({ trainable: 195, frozen: 64, nonTrainable: 8, total: 267 });
    const summary = summarize(model, FROZEN_MODEL);
    expect(summary.layers.find((l) => l.name === "conv_1")).toMatchObject({ params: 36, trainable: 0, frozen: true });
    expect(summary.layers.find((l) => l.name === "relu_1")).not.toHaveProperty("frozen");
    const text = renderSummary(summary);
    expect(text).toMatch(/conv_1 \(conv, frozen\)/);
    expect(text).toMatch(/Frozen params: +64 /);
  });

  it("leave a model without them as it was: no frozen line in the summary", () => {
    const source = "model M {\n  input x: [4]\n  dense 2\n}\n";
    const model = compile(source).models[0]!;
    expect(model.params).toEqual({ trainable: 10, frozen: 0, nonTrainable: 0, total: 10 });
    expect(renderSummary(summarize(model, source))).not.toMatch(/Frozen/);
  });

  it("a named tensor inside a frozen body is visible after it", () => {
    const source = "model M {\n  input x: [8, 8, 2]\n  frozen {\n    conv 2, kernel: 1 as a\n  }\n  conv 2, kernel: 1\n  add a\n}\n";
    expect(compile(source).diagnostics).toEqual([]);
  });

  it("show in hovers: a frozen call, the keyword, and the model's counts", () => {
    const call = FROZEN_MODEL.replace("conv 4, kernel: 1", "<|>conv 4, kernel: 1");
    const { analysis, offset } = withCursor(call);
    expect(hover(analysis, offset)?.contents).toContain("params 20 (frozen)");
    const keyword = withCursor(FROZEN_MODEL.replace("frozen {", "fro<|>zen {"));
    expect(hover(keyword.analysis, keyword.offset)?.contents).toMatch(/^frozen: training keeps the weights/);
    const model = withCursor(FROZEN_MODEL.replace("model Tiny", "model Ti<|>ny"));
    expect(hover(model.analysis, model.offset)?.contents).toContain("(195 trainable, 64 frozen, 8 running statistics)");
  });

  it("build tfjs layers with trainable false whose batchnorm uses its running statistics in training", async () => {
    const { tf } = await loadTfjs("cpu");
    const { spec } = lowerText(FROZEN_MODEL, 1);
    expect(spec.layers.filter((l) => l.config["trainable"] === false).map((l) => l.name)).toEqual(["conv_1", "batchnorm_1", "conv_2"]);
    const model = buildTfjsModel(tf, spec);
    expect(model.trainableWeights.map((w) => w.originalName)).toEqual(["dense_1/kernel", "dense_1/bias"]);
    expect(model.countParams()).toBe(267);
    const x = tf.randomNormal([4, 8, 8, 1], 0, 1, "float32", 3);
    const training = model.apply(x, { training: true }) as ReturnType<typeof tf.zeros>;
    const inference = model.apply(x, { training: false }) as ReturnType<typeof tf.zeros>;
    expect(Array.from(training.dataSync())).toEqual(Array.from(inference.dataSync()));
    model.dispose();
  });

  it("emit model.py whose frozen layers get no gradient and keep batchnorm statistics in train()", () => {
    const { ir } = lowerText(FROZEN_MODEL);
    const dir = mkdtempSync(join(tmpdir(), "cnnc-frozen-"));
    writeFileSync(join(dir, "model.py"), emitPytorch({ ir, sourceFile: "tiny.cnn" })["model.py"]);
    const script = `
import sys, torch
sys.path.insert(0, ${JSON.stringify(dir)})
import model as m
net = m.build_model().train()
before = {k: v.clone() for k, v in net.state_dict().items()}
optimizer = torch.optim.SGD([p for p in net.parameters() if p.requires_grad], lr=0.5)
loss = net(torch.randn(4, 1, 8, 8)).sum()
loss.backward()
optimizer.step()
after = net.state_dict()
changed = sorted(k for k in before if not torch.equal(before[k], after[k]))
print(changed, net.batchnorm_1.training, net.training, sum(p.numel() for p in net.parameters() if p.requires_grad), m.FROZEN)
`;
    const output = execFileSync("/usr/bin/python3", ["-c", script], { encoding: "utf8" }).trim();
    expect(output).toBe("['dense_1.bias', 'dense_1.weight'] False True 195 64");
  });

  it("cnnc train leaves the frozen weights and batchnorm statistics as they were built", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cnnc-frozen-train-"));
    writeFileSync(join(dir, "tiny.cnn"), FROZEN_MODEL);
    const { x, y } = patterns(48);
    writeFileSync(join(dir, "x_train.npy"), encodeNpy([48, 8, 8], x));
    writeFileSync(join(dir, "y_train.npy"), encodeNpy([48], y));
    const out = join(dir, "run");
    const result = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "test", "train", "entry.ts"), "train", join(dir, "tiny.cnn"), "--data", dir, "--out", out, "--backend", "cpu", "--validation-split", "0"], { cwd: ROOT, encoding: "utf8" });
    expect(result.status, result.stderr).toBe(0);
    // The same seed builds the same initial weights in process.
    const { tf } = await loadTfjs("cpu");
    const model = buildTfjsModel(tf, lowerText(FROZEN_MODEL, 5).spec);
    const trained = readTfjsWeights(readFileSync(join(out, "model.json"), "utf8"), readFileSync(join(out, "weights.bin")));
    const changed = model.weights.filter((w) => !Array.from(w.read().dataSync()).every((v, i) => v === trained.get(w.originalName)!.data[i])).map((w) => w.originalName);
    expect(changed).toEqual(["dense_1/kernel", "dense_1/bias"]);
    model.dispose();
  });
});
