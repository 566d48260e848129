// cnnc as its users get it: `npm pack`'s tarball installed in a fresh Vite project
// (test/browser/app/) that imports examples/lenet5.cnn through cnnc/vite. The project
// type-checks with cnnc/client's types and builds; a broken .cnn fails the build (Vite
// and esbuild) with file:line and the rendered diagnostic. The built page then runs in
// headless Chromium: on webgl (and webgpu where there is an adapter) LeNet-5's loss falls, and its
// predictions with the seeded initial weights equal Node's wasm run within 1e-4.
//
// One npm install, one Vite build and one browser run: about two minutes on a busy 2-core
// machine. The screenshot is left at test/.generated/vite-app/lenet5-browser.png.

import { beforeAll, describe, expect, it } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { fitDataset } from "../../src/data/dataset.js";
import { readIdxPair } from "../../src/data/idx.js";
import { loadTfjs } from "../../src/runtime/backend.js";
import { EXAMPLES, read, ROOT } from "../helpers.js";
import { CHROMIUM, chromiumInstalled, serveFolder, withChromium } from "./chromium.js";

const APP = join(ROOT, "test", ".generated", "vite-app");
const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");
const IMAGES = 1024;
const PROBE = 8;
const SHAPE = [32, 32, 1] as const;
const VERSIONS = JSON.parse(read(join(ROOT, "package.json"))) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

function sh(command: string, args: string[], cwd = APP): { status: number | null; output: string } {
  const run = spawnSync(command, args, { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" } });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** The first images of the built-in Fashion-MNIST subset, padded to LeNet-5's 32×32 and scaled to [0, 1], with one-hot labels. */
function fashionBatch(): { x: Float32Array; y: Float32Array } {
  const train = readIdxPair(join(ROOT, "data", "fashion-mnist-subset"), "train")!;
  const fitted = fitDataset(train, [...SHAPE], "pad");
  const size = SHAPE[0] * SHAPE[1] * SHAPE[2];
  const x = fitted.x.slice(0, IMAGES * size).map((v) => v / fitted.pixelMax);
  const y = new Float32Array(IMAGES * 10);
  if (fitted.labels.kind !== "index") throw new Error("Fashion-MNIST has class-index labels");
  for (let i = 0; i < IMAGES; i++) y[i * 10 + fitted.labels.values[i]!] = 1;
  return { x, y };
}

beforeAll(() => {
  if (!chromiumInstalled()) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
  rmSync(APP, { recursive: true, force: true });
  mkdirSync(APP, { recursive: true });
  // The tarball of the build `npm test` just made (pretest), as `npm publish` would upload it.
  const packed = JSON.parse(execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", APP], { cwd: ROOT, encoding: "utf8" })) as { filename: string }[];
  cpSync(join(ROOT, "test", "browser", "app"), APP, { recursive: true });
  cpSync(join(EXAMPLES, "lenet5.cnn"), join(APP, "src", "lenet5.cnn"));
  const tfjs = VERSIONS.dependencies["@tensorflow/tfjs"]!;
  writeFileSync(
    join(APP, "package.json"),
    JSON.stringify({
      name: "cnnc-vite-app",
      private: true,
      type: "module",
      dependencies: { cnnc: `file:./${packed[0]!.filename}`, "@tensorflow/tfjs": tfjs, "@tensorflow/tfjs-backend-webgpu": tfjs },
      devDependencies: { vite: VERSIONS.devDependencies.vite },
    }),
  );
  const { x, y } = fashionBatch();
  mkdirSync(join(APP, "public"));
  writeFileSync(join(APP, "public", "x.bin"), x);
  writeFileSync(join(APP, "public", "y.bin"), y);
  const install = sh("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline"]);
  if (install.status !== 0) throw new Error(`npm install failed:\n${install.output}`);
}, 600_000);

describe("a Vite project with cnnc installed from its tarball", () => {
  it("ships a package without benchmark code, with a licence, and with source maps only beside their sources", () => {
    const pkg = join(APP, "node_modules", "cnnc");
    expect(existsSync(join(pkg, "LICENSE"))).toBe(true);
    expect(existsSync(join(pkg, "dist", "bench"))).toBe(false);
    const maps = readdirSync(join(pkg, "dist"), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".map"));
    expect(maps.length).toBeGreaterThan(0);
    for (const map of maps.slice(0, 20)) {
      const { sources, sourcesContent } = JSON.parse(read(join(pkg, "dist", map))) as { sources: string[]; sourcesContent?: string[] };
      expect(sourcesContent?.length, map).toBe(sources.length);
    }
  });

  it("type-checks against cnnc/client and builds the page", () => {
    const typeCheck = sh(process.execPath, [TSC, "-p", APP]);
    expect(typeCheck.output).toBe("");
    const build = sh(process.execPath, [join(APP, "node_modules", "vite", "bin", "vite.js"), "build"]);
    expect(build.status, build.output).toBe(0);
    expect(existsSync(join(APP, "dist", "index.html"))).toBe(true);
    expect(existsSync(join(APP, "dist", "x.bin"))).toBe(true);
  }, 300_000);

  it("fails the build of a broken .cnn with file:line and the rendered diagnostic, in Vite and in esbuild", async () => {
    mkdirSync(join(APP, "broken"), { recursive: true });
    writeFileSync(join(APP, "broken", "broken.cnn"), "model Broken {\n  input x: [8]\n  conv 4, kernel: 3\n}\n");
    writeFileSync(join(APP, "broken", "main.js"), 'import { buildModel } from "./broken.cnn";\nconsole.log(buildModel);\n');
    writeFileSync(join(APP, "broken", "index.html"), '<script type="module" src="./main.js"></script>\n');
    const build = sh(process.execPath, [join(APP, "node_modules", "vite", "bin", "vite.js"), "build", "broken", "--config", "vite.config.mjs", "--outDir", join(APP, "dist-broken")]);
    expect(build.status).not.toBe(0);
    expect(build.output).toContain(`${join(APP, "broken", "broken.cnn")}:3:3`);
    expect(build.output).toContain("error[E0308]: conv needs a [height, width, channels] input, but gets [8]");
    expect(build.output).toContain("  = help:");
    expect(existsSync(join(APP, "dist-broken"))).toBe(false);

    // The dev server: the error Vite's overlay shows carries the plugin, the place and the rendered diagnostic as its frame.
    const vite = (await import(pathToFileURL(join(APP, "node_modules", "vite", "dist", "node", "index.js")).href)) as typeof import("vite");
    const server = await vite.createServer({ root: APP, configFile: join(APP, "vite.config.mjs"), server: { middlewareMode: true, ws: false }, appType: "custom", logLevel: "silent" });
    try {
      const overlay = await server.transformRequest("/broken/broken.cnn").then(
        () => undefined,
        (error: { plugin?: string; loc?: unknown; frame?: string; message: string }) => error,
      );
      expect(overlay?.plugin).toBe("cnnc");
      expect(overlay?.loc).toEqual({ file: join(APP, "broken", "broken.cnn"), line: 3, column: 3 });
      expect(overlay?.frame).toContain("error[E0308]");
      expect((await server.transformRequest("/src/lenet5.cnn?import"))?.code).toContain("export function buildModel()");
    } finally {
      await server.close();
    }

    const esbuild = (await import("esbuild")) as typeof import("esbuild");
    const plugin = (await import(pathToFileURL(join(APP, "node_modules", "cnnc", "dist", "src", "plugins", "esbuild.js")).href)) as typeof import("../../src/plugins/esbuild.js");
    const bundle = (entry: string) => esbuild.build({ entryPoints: [entry], bundle: true, write: false, format: "esm", external: ["@tensorflow/tfjs"], plugins: [plugin.default({ seed: 1 })], logLevel: "silent" });
    const good = await bundle(join(APP, "src", "main.ts"));
    expect(good.outputFiles[0]!.text).toContain("buildModel");
    const failure = await bundle(join(APP, "broken", "main.js")).then(
      () => undefined,
      (error: { errors: { text: string; location: { file: string; line: number; column: number } | null; notes: { text: string }[] }[] }) => error.errors[0],
    );
    // esbuild shows the file relative to its working folder.
    expect(failure?.location).toMatchObject({ file: expect.stringMatching(/broken\/broken\.cnn$/), line: 3, column: 2 });
    expect(failure?.text).toContain("E0308");
    expect(failure?.notes[0]!.text).toContain("--> ");
  }, 120_000);

  it("trains LeNet-5 on webgl and webgpu in Chromium, and predicts as Node's wasm run does", async () => {
    expect(existsSync(join(APP, "dist", "index.html"))).toBe(true);
    const server = await serveFolder(join(APP, "dist"));
    type Run = { requested: string; backend: string; predictions?: number[][]; losses?: number[]; msPerStep?: number; error?: string };
    let result: { runs?: Run[]; library?: { ok: boolean; total: number; missing: string[] }; error?: string; userAgent?: string };
    try {
      result = await withChromium(async (browser) => {
        const page = await browser.newPage({ viewport: { width: 900, height: 400 } });
        const errors: string[] = [];
        page.on("pageerror", (error) => errors.push(String(error)));
        await page.goto(server.url);
        await page.waitForFunction(() => "cnncResult" in window, undefined, { timeout: 300_000 });
        await page.screenshot({ path: join(APP, "lenet5-browser.png") });
        const found = (await page.evaluate(() => (window as unknown as { cnncResult: unknown }).cnncResult)) as typeof result;
        return errors.length > 0 ? { ...found, error: errors.join("\n") } : found;
      });
    } finally {
      await server.close();
    }
    expect(result.error).toBeUndefined();
    const runs = result.runs!;
    for (const run of runs) console.log(`browser backend ${run.requested}: ${run.error ?? `tf.getBackend() = ${run.backend}, loss ${run.losses![0]!.toFixed(4)} → ${run.losses!.at(-1)!.toFixed(4)}, ${run.msPerStep!.toFixed(0)} ms a step`}`);
    console.log(`screenshot: ${join(APP, "lenet5-browser.png")} (${result.userAgent})`);

    // `import { check, summarize } from "cnnc"` in the page: the browser entry, with the standard library built in.
    const probeText = 'import { basic } from "std/resnet"\nmodel Probe {\n  input image: [8, 8, 3]\n  basic(4)\n}\n';
    expect(result.library).toEqual({ ok: true, total: (await import("../../src/index.js")).summarize(probeText).params.total, missing: ["E0801"] });

    const webgl = runs.find((r) => r.requested === "webgl")!;
    expect(webgl.backend).toBe("webgl");
    // webgpu runs wherever the browser offers an adapter (headless Chromium 156 offers SwiftShader's).
    const webgpu = runs.find((r) => r.requested === "webgpu")!;
    if (webgpu.error !== "the browser offers no WebGPU adapter") expect(webgpu.error).toBeUndefined();
    const { tf } = await loadTfjs("wasm");
    const { buildModel } = (await import(pathToFileURL(join(APP, "node_modules", "cnnc", "dist", "src", "index.js")).href)) as typeof import("../../src/index.js");
    const model = await buildModel(read(join(EXAMPLES, "lenet5.cnn")), { tf, seed: 1 });
    const probe = tf.tensor4d(fashionBatch().x.slice(0, PROBE * SHAPE[0] * SHAPE[1]), [PROBE, ...SHAPE]);
    const expected = (model.predict(probe) as import("@tensorflow/tfjs").Tensor).arraySync() as number[][];
    tf.dispose([probe]);
    model.dispose();
    for (const run of runs.filter((r) => r.error === undefined)) {
      const losses = run.losses!;
      const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
      expect(mean(losses.slice(-3)), `${run.backend} losses ${losses.join(", ")}`).toBeLessThan(mean(losses.slice(0, 3)));
      const difference = Math.max(...expected.flatMap((row, i) => row.map((v, j) => Math.abs(v - run.predictions![i]![j]!))));
      console.log(`${run.backend} vs Node wasm: max |difference| of the predictions = ${difference.toExponential(2)}`);
      expect(difference).toBeLessThan(1e-4);
    }
  }, 400_000);
});
