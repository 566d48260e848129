// The package's `cnnc` is the CLI bundled by scripts/bundle-cli.mjs. Bundled into a fresh
// folder here, it must behave exactly as the unbundled CLI (dist/src/cli/bin.js) that
// the other end-to-end tests run: same output, same exit status, also where the
// Chevrotain parser, a lazily loaded command or a dependency left outside is needed.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { CLI, ROOT } from "./helpers.js";
// @ts-expect-error: a plain ES module script, without types
import { bundleCli } from "../scripts/bundle-cli.mjs";

let dir: string;
let bundled: string;

beforeAll(async () => {
  // Inside the repository, so that the bundle finds node_modules as the installed one does.
  dir = mkdtempSync(join(ROOT, "dist", "bundle-test-"));
  await (bundleCli as (outdir: string) => Promise<void>)(dir);
  bundled = join(dir, "cnnc.js");
}, 60_000);

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

function run(cli: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [cli, ...args], { cwd: ROOT, encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("the bundled cnnc", () => {
  it("is the package's bin", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { bin: { cnnc: string } };
    expect(pkg.bin.cnnc).toBe("dist/bundle/cnnc.js");
  });

  it("loads no package from node_modules at start-up: heavy ones (elkjs, tfjs, prettier) wait for the commands that use them", () => {
    // The modules cnnc.js loads before any command runs: it and the chunks it imports statically.
    const seen = new Set<string>();
    const outside = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      // esbuild puts a module's static imports first, after the shebang and the banner's line.
      const text = readFileSync(join(dir, file), "utf8").replace(/^(#!.*\n)?.*__cnncCreateRequire.*\n/, "");
      const head = /^(?:\s*import\s*(?:[^;"']*?from\s*)?"[^"]+";?)*/.exec(text)![0];
      for (const m of head.matchAll(/"([^"]+)"/g)) {
        const target = m[1]!;
        if (target.startsWith("./")) visit(target.slice(2));
        else if (!target.startsWith("node:")) outside.add(target);
      }
    };
    visit("cnnc.js");
    expect([...outside]).toEqual([]);
    expect(seen.size).toBeGreaterThan(1);
  });

  it("does not run the Chevrotain parser or Chevrotain at start-up: only text with a syntax error needs them", async () => {
    // Unminified, esbuild names each module it initialises lazily (`var init_x = __esm({ "path"() {…} })`)
    // and runs an eagerly loaded one's initialiser at the top level of a chunk (`init_x();`, unindented).
    const readable = join(dir, "readable");
    await (bundleCli as (outdir: string, options: { minify: boolean }) => Promise<void>)(readable, { minify: false });
    const text = readdirSync(readable).filter((f) => f.endsWith(".js")).map((f) => readFileSync(join(readable, f), "utf8")).join("\n");
    const lazy = [...text.matchAll(/^var (init_\w+) = __esm\(\{\n\s*"([^"]+)"/gm)].map((m) => ({ init: m[1]!, path: m[2]! }));
    const eager = new Set([...text.matchAll(/^(init_\w+)\(\);$/gm)].map((m) => m[1]!));
    const parser = lazy.filter((m) => m.path === "dist/src/syntax/parser.js" || m.path.startsWith("node_modules/chevrotain/"));
    expect(parser.map((m) => m.path)).toContain("dist/src/syntax/parser.js");
    expect(parser.length).toBeGreaterThan(10);
    expect(parser.filter((m) => eager.has(m.init)).map((m) => m.path)).toEqual([]);
  }, 60_000);

  const cases: string[][] = [
    ["check", "examples/resnet50.cnn", "examples/lenet5.cnn"],
    ["check", "examples/errors/seed_channels.cnn"],
    ["check", "--json", "examples/errors/missing_comma_between_arguments.cnn", "examples/errors/input_missing_colon.cnn"],
    ["summary", "examples/efficientnet_b0.cnn"],
    ["graph", "examples/lenet5.cnn"],
    ["explain", "E0301"],
    ["ops"],
    ["fmt", "--check", "examples/lenet5.cnn"],
  ];
  for (const args of cases) {
    it(`gives what the unbundled CLI gives for \`cnnc ${args.join(" ")}\``, () => {
      const reference = run(CLI, args);
      expect(reference.stdout.length + reference.stderr.length).toBeGreaterThan(0);
      expect(run(bundled, args)).toEqual(reference);
    });
  }

  it("writes the TypeScript target as the unbundled CLI does (prettier, loaded from node_modules)", () => {
    const out = (cli: string, name: string): string => {
      const target = join(dir, name);
      expect(run(cli, ["build", "examples/lenet5.cnn", "--target", "ts", "--out", target]).status).toBe(0);
      return readdirSync(target)
        .sort()
        .map((file) => `${file}\n${readFileSync(join(target, file), "utf8")}`)
        .join("\n");
    };
    expect(out(bundled, "ts-bundled")).toBe(out(CLI, "ts-reference"));
  });

  it("trains with cnnc's gradient kernels, as the unbundled CLI does", () => {
    const out = join(dir, "run");
    const result = run(bundled, ["train", "examples/lenet5.cnn", "--epochs", "1", "--out", out]);
    expect(result.status).toBe(0);
    expect(result.stdout + result.stderr).toContain("cnnc's training kernels registered");
  });
});
