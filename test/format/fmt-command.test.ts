// `cnnc fmt` through the command registration, and the prettier plugin through prettier's
// API and its command line: both give the printer's text.

import { describe, expect, it, beforeEach } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import * as prettier from "prettier";
import { registerEditorCommands } from "../../src/cli/editor.js";
import { formatText } from "../../src/format/printer.js";
import * as plugin from "../../src/format/prettier-plugin.js";
import { ROOT } from "../helpers.js";

const MESSY = "model M{\ninput x:[8,8,3]\n  conv(4,kernel:3)->relu   // keep me\n}\n";
const TIDY = "model M {\n  input x: [8, 8, 3]\n  conv(4, kernel: 3) -> relu   // keep me\n}\n";
const BROKEN = "model M {\n  input x: [8, 8,\n}\n";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "cnnc-fmt-"));
});

/** Runs `cnnc fmt …` through the registered command, capturing output and the exit code. */
async function fmt(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let code = 0;
  let out = "";
  let err = "";
  const program = new Command().exitOverride().configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
  registerEditorCommands(program, (c) => (code = c));
  const write = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
  try {
    await program.parseAsync(["fmt", ...args], { from: "user" });
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeErr;
  }
  return { code, out, err };
}

describe("cnnc fmt", () => {
  it("rewrites unformatted files in place and leaves formatted ones alone", async () => {
    writeFileSync(join(dir, "a.cnn"), MESSY);
    writeFileSync(join(dir, "b.cnn"), TIDY);
    const result = await fmt([join(dir, "a.cnn"), join(dir, "b.cnn")]);
    expect(result).toEqual({ code: 0, out: `formatted ${join(dir, "a.cnn")}\n`, err: "" });
    expect(readFileSync(join(dir, "a.cnn"), "utf8")).toBe(TIDY);
    expect(readFileSync(join(dir, "b.cnn"), "utf8")).toBe(TIDY);
  });

  it("--check lists unformatted files, changes nothing and exits 1", async () => {
    writeFileSync(join(dir, "a.cnn"), MESSY);
    const result = await fmt(["--check", join(dir, "a.cnn")]);
    expect(result.code).toBe(1);
    expect(result.out).toBe(`${join(dir, "a.cnn")}: not formatted\n`);
    expect(readFileSync(join(dir, "a.cnn"), "utf8")).toBe(MESSY);
  });

  it("--check exits 0 when everything is formatted", async () => {
    writeFileSync(join(dir, "b.cnn"), TIDY);
    expect(await fmt(["--check", join(dir, "b.cnn")])).toEqual({ code: 0, out: `${join(dir, "b.cnn")}: formatted\n`, err: "" });
  });

  it("leaves a file with syntax errors as it is, shows the errors and exits 1", async () => {
    writeFileSync(join(dir, "c.cnn"), BROKEN);
    const result = await fmt([join(dir, "c.cnn")]);
    expect(result.code).toBe(1);
    expect(result.err).toContain("error[E0101]");
    expect(result.err).toContain("not formatted: fix the syntax errors first");
    expect(readFileSync(join(dir, "c.cnn"), "utf8")).toBe(BROKEN);
  });

  it("exits 2 on a file it cannot read, after formatting the others", async () => {
    writeFileSync(join(dir, "a.cnn"), MESSY);
    mkdirSync(join(dir, "folder.cnn"));
    const result = await fmt([join(dir, "missing.cnn"), join(dir, "folder.cnn"), join(dir, "a.cnn")]);
    expect(result.code).toBe(2);
    expect(result.err).toBe(`error: cannot read ${join(dir, "missing.cnn")}: no such file\nerror: cannot read ${join(dir, "folder.cnn")}: it is a directory\n`);
    expect(readFileSync(join(dir, "a.cnn"), "utf8")).toBe(TIDY);
  });
});

describe("the prettier plugin", () => {
  it("formats through prettier's API exactly as the printer does", async () => {
    const text = readFileSync(join(ROOT, "examples", "mobilenet_v2.cnn"), "utf8");
    const expected = formatText(text);
    expect(await prettier.format(text, { parser: "cnn", plugins: [plugin] })).toBe(expected.ok ? expected.text : "");
    expect(await prettier.format(MESSY, { filepath: "model.cnn", plugins: [plugin] })).toBe(TIDY);
  });

  it("reports syntax errors with their place", async () => {
    // Prettier colours its code frame when it thinks the terminal supports it (CI=true does), so compare without colour.
    const message = await prettier.format(BROKEN, { parser: "cnn", plugins: [plugin] }).then(
      () => "",
      (error: Error) => error.message.replace(/\x1b\[[0-9;]*m/g, ""),
    );
    expect(message).toMatch(/expected a value, found `}`\n[^]*> 3 \| }/);
  });

  it("works from prettier's command line with --write and --check", () => {
    const file = join(dir, "model.cnn");
    writeFileSync(file, MESSY);
    const prettierBin = join(ROOT, "node_modules", "prettier", "bin", "prettier.cjs");
    const pluginPath = join(ROOT, "dist", "src", "format", "prettier-plugin.js");
    const check = spawnSync(process.execPath, [prettierBin, "--plugin", pluginPath, "--check", file], { encoding: "utf8" });
    expect(check.status).toBe(1);
    execFileSync(process.execPath, [prettierBin, "--plugin", pluginPath, "--write", file], { encoding: "utf8" });
    expect(readFileSync(file, "utf8")).toBe(TIDY);
  });
});
