// The built CLI on files that import others, run from a working folder that is not the
// files' own: imports resolve from the file the command reads, and broken imports give
// file:line messages and exit 1, never a stack trace.

import { beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI } from "./helpers.js";

let project: string;
let elsewhere: string;

function cnnc(args: string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), "cnnc-imports-"));
  elsewhere = mkdtempSync(join(tmpdir(), "cnnc-cwd-"));
  mkdirSync(join(project, "nets"));
  mkdirSync(join(project, "common"));
  writeFileSync(join(project, "common", "stages.cnn"), `import { basic } from "std/resnet"\n\n/// The stem's width.\nlet stem_width = 16\n\n/// Two basic blocks, the first downsampling.\nblock stage(channels) {\n  basic(channels, stride: 2)\n  basic(channels)\n}\n`);
  writeFileSync(
    join(project, "nets", "small.cnn"),
    `import { stage, stem_width } from "../common/stages"\n\nmodel Small {\n  input image: [32, 32, 3]\n  conv stem_width, kernel: 3, padding: 1, bias: false -> batchnorm -> relu\n  stage(32)\n  global avgpool\n  dense 10\n}\n`,
  );
  writeFileSync(join(project, "nets", "broken.cnn"), `import { stage, stem } from "../common/stages"\nimport { head } from "./heads.cnn"\n\nmodel Broken {\n  input image: [32, 32, 3]\n  stage(32)\n}\n`);
});

describe("cnnc on a file with imports, from another working folder", () => {
  it("check resolves imports from the file's folder", () => {
    const result = cnnc(["check", join(project, "nets", "small.cnn")], elsewhere);
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain("no errors");
    expect(result.status).toBe(0);
  });

  it("summary counts the imported blocks' layers and shows them at the line of their call", () => {
    const result = cnnc(["summary", "--json", join(project, "nets", "small.cnn")], elsewhere);
    expect(result.status).toBe(0);
    const summary = JSON.parse(result.stdout) as { output: number[]; params: { trainable: number }; layers: { op: string; line: number; block: string[] }[] };
    expect(summary.output).toEqual([10]);
    const stageLayers = summary.layers.filter((l) => l.block[0] === "stage");
    expect(stageLayers.length).toBeGreaterThan(0);
    expect(new Set(stageLayers.map((l) => l.line))).toEqual(new Set([6]));
    expect(stageLayers[0]!.block).toEqual(["stage", "basic"]);
  });

  it("build writes the IR and PyTorch from an importing file", () => {
    const out = join(elsewhere, "out");
    expect(cnnc(["build", join(project, "nets", "small.cnn"), "--target", "ir", "-o", out], elsewhere).status).toBe(0);
    const ir = JSON.parse(readFileSync(join(out, "small.ir.json"), "utf8")) as { nodes: { block: string[] }[] };
    expect(ir.nodes.some((n) => n.block.join("/") === "stage/basic")).toBe(true);
    expect(cnnc(["build", join(project, "nets", "small.cnn"), "--target", "pytorch", "-o", join(out, "torch")], elsewhere).status).toBe(0);
    expect(readFileSync(join(out, "torch", "model.py"), "utf8")).toContain("class Small");
  });

  it("check exits 1 on broken imports with file:line messages and no stack trace", () => {
    const result = cnnc(["check", "nets/broken.cnn"], project);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("error[E0803]: `../common/stages.cnn` has no block or constant named `stem`");
    expect(result.stdout).toContain("--> nets/broken.cnn:1:17");
    expect(result.stdout).toContain("= help: it declares `stage`, `stem_width`");
    expect(result.stdout).toContain(`error[E0801]: cannot find \`./heads.cnn\`: there is no file at ${join(project, "nets", "heads.cnn")}`);
    expect(result.stdout).toContain("--> nets/broken.cnn:2:22");
    expect(result.stdout).not.toMatch(/\n\s+at /);
    expect(result.stderr).toBe("");
  });

  it("check --json names the imported file of a diagnostic inside it", () => {
    writeFileSync(join(project, "common", "bad.cnn"), `block bad(c) {\n  conv c, kernal: 3\n}\n`);
    writeFileSync(join(project, "nets", "uses_bad.cnn"), `import { bad } from "../common/bad"\n\nmodel M {\n  input image: [8, 8, 3]\n  bad(4)\n}\n`);
    const result = cnnc(["check", "--json", "nets/uses_bad.cnn"], project);
    expect(result.status).toBe(1);
    const parsed = JSON.parse(result.stdout) as { diagnostics: { file: string; code: string; range: { start: { line: number } }; related: { file?: string }[] }[] };
    const inside = parsed.diagnostics.filter((d) => d.file === "common/bad.cnn");
    expect(inside.length).toBeGreaterThan(0);
    expect(inside[0]!.range.start.line).toBe(1);
    expect(inside[0]!.related.some((r) => r.file === "nets/uses_bad.cnn")).toBe(true);
  });
});
