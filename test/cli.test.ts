// End-to-end tests of the built CLI, run as a subprocess exactly as a user runs it.

import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { CLI, ROOT } from "./helpers.js";

function cnnc(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...env } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("cnnc check", () => {
  it("exits 0 on a clean file", () => {
    const result = cnnc(["check", "examples/lenet5.cnn"]);
    expect(result).toMatchObject({ status: 0, stderr: "" });
    expect(result.stdout).toContain("no errors");
  });

  it("exits 1 with a rustc-style message on errors, without colour when piped", () => {
    const result = cnnc(["check", "examples/errors/seed_channels.cnn"]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("error[E0301]: conv expects 64 input channels");
    expect(result.stdout).toContain("--> examples/errors/seed_channels.cnn:8:");
    expect(result.stdout).toContain("^^");
    expect(result.stdout).not.toContain("\x1b[");
  });

  it("--json prints only JSON with 0-based LSP positions", () => {
    const result = cnnc(["check", "--json", "examples/errors/seed_channels.cnn"]);
    expect(result.status).toBe(1);
    const parsed = JSON.parse(result.stdout) as { diagnostics: { file: string; code: string; range: { start: { line: number; character: number } }; related: unknown[] }[] };
    expect(parsed.diagnostics).toHaveLength(1);
    const [d] = parsed.diagnostics;
    expect(d).toMatchObject({ file: "examples/errors/seed_channels.cnn", code: "E0301", range: { start: { line: 7 } } });
    expect(d!.related.length).toBeGreaterThan(0);
  });

  it("checks several files and exits 1 if any has errors", () => {
    expect(cnnc(["check", "examples/lenet5.cnn", "examples/errors/seed_channels.cnn"]).status).toBe(1);
    expect(cnnc(["check", "examples/lenet5.cnn", "examples/resnet18.cnn"]).status).toBe(0);
  });

  it("exits 2 on a missing file, with a message and no stack trace", () => {
    const result = cnnc(["check", "does/not/exist.cnn"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe("error: cannot read does/not/exist.cnn: no such file\n");
  });

  it("exits 2 on a usage error", () => {
    expect(cnnc(["check"]).status).toBe(2);
    expect(cnnc(["frobnicate"]).status).toBe(2);
    expect(cnnc(["summary", "examples/lenet5.cnn", "--param", "oops"]).status).toBe(2);
  });
});

describe("cnnc summary", () => {
  it("prints a table with totals", () => {
    const result = cnnc(["summary", "examples/lenet5.cnn"]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("conv_1 (conv)");
    expect(result.stdout).toMatch(/Trainable params:\s+61,706/);
  });

  it("--json prints the documented fields", () => {
    const result = cnnc(["summary", "--json", "examples/resnet18.cnn"]);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ model: "ResNet18", input: [224, 224, 3], output: [1000], params: { trainable: 11_689_512, nonTrainable: 9_600, total: 11_699_112 }, macs: 1_814_073_344 });
    expect(summary.layers[1]).toMatchObject({ name: "conv_1", op: "conv", outputShape: [112, 112, 64], params: 9408, macs: 118_013_952 });
    expect(typeof summary.layers[1].line).toBe("number");
  });

  it("--param overrides a model parameter", () => {
    const base = JSON.parse(cnnc(["summary", "--json", "examples/visual_intelligence.cnn"]).stdout);
    const more = JSON.parse(cnnc(["summary", "--json", "examples/visual_intelligence.cnn", "--param", "complexity=5"]).stdout);
    expect(more.output).toEqual([21, 21, 128]);
    expect(more.params.trainable - base.params.trainable).toBe(2 * (3 * 3 * 128 * 128 + 128 + 256));
  });

  it("--model picks a model and reports an unknown one", () => {
    const dir = mkdtempSync(join(tmpdir(), "cnnc-"));
    const file = join(dir, "two.cnn");
    writeFileSync(file, "model A {\n  input x: [4]\n  dense 2\n}\nmodel B {\n  input x: [4]\n  dense 3\n}\n");
    expect(JSON.parse(cnnc(["summary", "--json", "--model", "A", file]).stdout).output).toEqual([2]);
    expect(JSON.parse(cnnc(["summary", "--json", file]).stdout).output).toEqual([3]);
    expect(cnnc(["summary", "--model", "C", file]).status).toBe(2);
  });

  it("refuses to summarise a broken file and exits 1", () => {
    const result = cnnc(["summary", "examples/errors/seed_channels.cnn"]);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("E0301");
  });
});

describe("symbolic sizes on the command line", () => {
  it("summary prints expressions and the accepted sizes in words", () => {
    const result = cnnc(["summary", "examples/symbolic/fcn.cnn"]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("[H/2, W/2, 32]");
    expect(result.stdout).toContain("H must be a multiple of 32 and at least 32");
    // The same count as the model instantiated at that size.
    const at224 = JSON.parse(cnnc(["summary", "examples/symbolic/fcn.cnn", "--shape", "H=224,W=224", "--json"]).stdout) as { macs: number };
    expect(result.stdout).toContain(`MACs:                 depend on H and W: ${at224.macs.toLocaleString("en-US")} at H=224, W=224`);
  });

  it("--shape instantiates the sizes, and explains a size the model does not accept", () => {
    const good = cnnc(["summary", "examples/symbolic/fcn.cnn", "--shape", "H=224,W=256", "--json"]);
    expect(good.status).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ input: [224, 256, 3], output: [224, 256, 21] });
    const bad = cnnc(["check", "examples/symbolic/fcn.cnn", "--shape", "H=225,W=224"]);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain("error[E0705]: H = 225 is not a size model `FCN` accepts: H must be a multiple of 32 and at least 32");
    expect(bad.stdout).toContain("use an accepted size such as H=224");
    const malformed = cnnc(["summary", "examples/symbolic/fcn.cnn", "--shape", "H=big"]);
    expect(malformed.status).toBe(2);
    expect(malformed.stderr).toContain("expected NAME=SIZE pairs");
  });

  it("build refuses a symbolic model with the sizes it accepts, and builds it with --shape", () => {
    const out = mkdtempSync(join(tmpdir(), "cnnc-symbolic-"));
    const refused = cnnc(["build", "examples/symbolic/unet.cnn", "--target", "ir", "-o", out]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain("has symbolic input sizes (H, W): H must be a multiple of 16 and at least 16");
    expect(refused.stderr).toContain("--shape H=224,W=224");
    expect(existsSync(join(out, "unet.ir.json"))).toBe(false);
    const built = cnnc(["build", "examples/symbolic/unet.cnn", "--target", "ir", "-o", out, "--shape", "H=224,W=224"]);
    expect(built.status).toBe(0);
    expect(existsSync(join(out, "unet.ir.json"))).toBe(true);
  });
});

describe("cnnc build", () => {
  it("reports what tfjs cannot express at the layer's line, and writes nothing", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "cnnc-")), "out");
    const text = "model G {\n  input x: [16, 16, 8]\n  conv 16, kernel: 3, stride: 2, dilation: 2\n}\n";
    const file = join(dirname(dir), "strided_dilated.cnn");
    writeFileSync(file, text);
    for (const target of ["tfjs", "ts"]) {
      const result = cnnc(["build", file, "--target", target, "-o", dir]);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain("error[E0601]: tfjs cannot combine a stride above 1 with a dilation above 1");
      expect(result.stderr).toContain(":3:3");
      expect(existsSync(dir)).toBe(false);
    }
  });
});

describe("cnnc train with no flags", () => {
  it("creates the default runs/ folder in a fresh checkout", () => {
    const cwd = mkdtempSync(join(tmpdir(), "cnnc-train-"));
    const result = spawnSync(process.execPath, [CLI, "train", join(ROOT, "examples", "lenet5.cnn"), "--epochs", "1"], { cwd, encoding: "utf8" });
    expect(result.status).toBe(0);
    for (const file of ["model.json", "weights.bin", "history.json", "history.svg"]) expect(existsSync(join(cwd, "runs", "lenet5", file))).toBe(true);
  });
});

describe("cnnc explain and ops", () => {
  it("explains a code", () => {
    const result = cnnc(["explain", "E0302"]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("shortcut auto");
    expect(cnnc(["explain", "E9999"]).status).toBe(2);
  });
  it("lists every op", () => {
    const result = cnnc(["ops"]);
    expect(result.stdout).toContain("conv filters, kernel");
    expect(result.stdout).toContain("global avgpool");
  });
});
