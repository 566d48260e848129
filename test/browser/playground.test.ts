// The playground in real Chromium: the site is built from the current sources and served
// by `cnnc playground`'s server; the test loads it, types a shape error and sees its
// diagnostic at the right line, fixes it and sees the summary update (the figures `cnnc
// summary` gives for the same text), uses hover, completion, inlay shapes and formatting,
// downloads the TypeScript module (equal to `cnnc build --target ts`), opens the graph
// (clicking a box shows its line), and trains LeNet-5 for one epoch on a subset on a GPU
// backend (WebGL here). Screenshots of each stage are kept in test/.generated/playground/.

import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { buildPlayground, serveSite, type PlaygroundServer } from "../../src/cli/playground.js";
import { compile } from "../../src/compile.js";
import { summarize } from "../../src/summary/summary.js";
import { ROOT } from "../helpers.js";
import { chromiumArgs, CHROMIUM } from "./chromium.js";
import { chromium } from "playwright-core";

const SHOTS = join(ROOT, "test", ".generated", "playground");
const LENET = readFileSync(join(ROOT, "examples", "lenet5.cnn"), "utf8");

let browser: Browser;
let server: PlaygroundServer;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  const site = mkdtempSync(join(tmpdir(), "cnnc-playground-"));
  expect(await buildPlayground(site)).toBe(true);
  server = await serveSite(site, { host: "127.0.0.1", port: 0 });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: chromiumArgs() });
  page = await browser.newPage({ viewport: { width: 1400, height: 860 }, acceptDownloads: true });
  page.on("pageerror", (error) => pageErrors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") pageErrors.push(message.text());
  });
  await page.goto(server.url);
  await page.waitForFunction(() => (window as unknown as { cnncPlayground?: { usableAt?: number } }).cnncPlayground?.usableAt !== undefined);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** The editor's text. */
const editorText = (): Promise<string> => page.evaluate(() => (window as unknown as { cnncPlayground: { text(): string } }).cnncPlayground.text());

/** Waits until the page shows the diagnostics and the summary of the text it has now. */
async function settled(): Promise<void> {
  await page.waitForFunction(() => {
    const state = (window as unknown as { cnncPlayground: { textVersion: number; shownVersion: number; reportVersion: number } }).cnncPlayground;
    return state.textVersion > 0 && state.shownVersion === state.textVersion && state.reportVersion === state.textVersion;
  });
}

/** Puts the cursor at the end of a 1-based line of the editor (Home then goes to its first non-blank). */
async function cursorAtEndOf(line: number): Promise<void> {
  await page.locator(".cm-content").click();
  await page.keyboard.press("Control+Home");
  for (let i = 1; i < line; i++) await page.keyboard.press("ArrowDown");
  await page.keyboard.press("End");
}

/** The total parameters `cnnc summary` gives for a text. */
function expectedTotal(text: string): number {
  const result = compile(text);
  return summarize(result.models[result.models.length - 1]!, text).params.total;
}

describe("the playground in Chromium", () => {
  it("loads with the first example, its summary, inlay shapes and no errors", async () => {
    await settled();
    expect(await editorText()).toBe(LENET);
    await expect.poll(() => page.getByTestId("summary").textContent()).toContain(expectedTotal(LENET).toLocaleString("en-US"));
    expect(await page.getByTestId("summary").textContent()).toContain("Training memory (batch 64, adam)");
    await expect.poll(() => page.getByTestId("status").textContent()).toContain("no problems");
    const hints = await page.locator(".cm-inlay-hint").allTextContents();
    expect(hints).toContain("→ [14, 14, 6]");
    await page.screenshot({ path: join(SHOTS, "1-loaded.png") });
    expect(pageErrors).toEqual([]);
  });

  it("shows a shape error at its line as it is typed, and the updated summary once it is fixed", async () => {
    // Line 7 is `conv 16, kernel: 5 -> tanh -> avgpool 2`; state the wrong input channels.
    await cursorAtEndOf(7);
    await page.keyboard.press("Home");
    for (let i = 0; i < "conv 16, kernel: 5".length; i++) await page.keyboard.press("ArrowRight");
    await page.keyboard.type(", in_channels: 8");
    await settled();
    await expect.poll(() => page.getByTestId("status").textContent()).toContain("1 error — line 7: conv expects 8 input channels");
    const marked = page.locator(".cm-line", { has: page.locator(".cm-lintRange-error") });
    await expect.poll(() => marked.count()).toBe(1);
    expect(await marked.textContent()).toContain("conv 16, kernel: 5, in_channels: 8");
    expect(await page.locator(".cm-lintRange-error").textContent()).toBe("8");
    await page.screenshot({ path: join(SHOTS, "2-shape-error.png") });

    // Fix it, and widen the second dense layer (line 10): the summary follows.
    await page.keyboard.press("Backspace");
    await page.keyboard.type("6");
    await cursorAtEndOf(10);
    await page.keyboard.press("Home");
    for (let i = 0; i < "dense 8".length; i++) await page.keyboard.press("ArrowRight");
    await page.keyboard.press("Delete");
    await page.keyboard.type("6");
    await settled();
    const text = await editorText();
    expect(text).toContain("dense 86 -> tanh");
    await expect.poll(() => page.getByTestId("status").textContent()).toContain("no problems");
    await expect.poll(() => page.getByTestId("summary").textContent()).toContain(expectedTotal(text).toLocaleString("en-US"));
    await expect.poll(() => page.locator("table.layers").textContent()).toContain("[86]");
    await page.screenshot({ path: join(SHOTS, "3-fixed.png") });
  });

  it("answers hovers and completions from the language server's functions, and formats", async () => {
    await page.locator(".cm-line", { hasText: "conv 6, kernel: 5" }).getByText("conv", { exact: true }).first().hover();
    const tooltip = page.locator(".cm-tooltip-hover");
    await expect.poll(() => tooltip.textContent()).toContain("[32, 32, 1]");
    await expect.poll(() => tooltip.textContent()).toContain("[28, 28, 6]");
    await page.screenshot({ path: join(SHOTS, "4-hover.png") });
    await page.mouse.move(5, 5);

    await cursorAtEndOf(8);
    await page.keyboard.type(" -> sig");
    const completions = page.locator(".cm-tooltip-autocomplete");
    await expect.poll(() => completions.textContent()).toContain("sigmoid");
    await page.screenshot({ path: join(SHOTS, "5-completion.png") });
    await page.keyboard.press("Escape");
    for (let i = 0; i < " -> sig".length; i++) await page.keyboard.press("Backspace");

    // Indent a line wrongly; Format restores `cnnc fmt`'s layout.
    await cursorAtEndOf(10);
    await page.keyboard.press("Home");
    await page.keyboard.type("      ");
    await page.getByRole("button", { name: "Format" }).click();
    await expect.poll(editorText).toContain("\n  dense 86 -> tanh\n");
    await settled();
  });

  it("downloads the TypeScript module `cnnc build --target ts` writes", async () => {
    const { emitTypeScript } = await import("../../src/emit/typescript.js");
    const { buildIr } = await import("../../src/ir/build.js");
    const { lowerToTfjs } = await import("../../src/emit/tfjs-lowering.js");
    const text = await editorText();
    const result = compile(text);
    const model = result.models[0]!;
    const ir = buildIr(model, text, result.trains[0]);
    const expected = await emitTypeScript({ spec: lowerToTfjs(ir, { seed: ir.train?.seed ?? 42 }), ir, sourceFile: "playground.cnn", doc: model.decl.doc, train: ir.train });
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("download-ts").click()]);
    expect(download.suggestedFilename()).toBe("LeNet5.ts");
    expect(readFileSync(await download.path(), "utf8")).toBe(expected);
  });

  it("draws the graph of `cnnc graph`; clicking a box shows its line", async () => {
    await page.getByTestId("tab-graph").click();
    const boxes = page.locator("#graph g.node[data-line]");
    await expect.poll(() => boxes.count()).toBeGreaterThan(5);
    const box = page.locator('#graph g.node[data-line="9"]').first();
    expect(await box.textContent()).toContain("[120]");
    await box.click();
    await expect.poll(() => page.locator(".cm-activeLine").textContent()).toContain("dense 120 -> tanh");
    await page.screenshot({ path: join(SHOTS, "6-graph.png") });
  });

  it("trains one epoch on a GPU backend with a live chart and reports the test accuracy", async () => {
    await page.getByTestId("tab-train").click();
    await page.getByTestId("images").fill("640");
    await page.getByTestId("epochs").fill("1");
    await page.getByTestId("train-button").click();
    const log = page.getByTestId("train-log");
    await expect.poll(() => log.getAttribute("data-status"), { timeout: 300_000, interval: 1000 }).toBe("finished");
    // A GPU backend: WebGPU where Chromium offers an adapter, else WebGL (SwiftShader here).
    expect(await log.textContent()).toMatch(/^backend: (webgpu|webgl)$/m);
    const accuracy = Number(await log.getAttribute("data-test-accuracy"));
    // Ten classes: chance is 0.1; one epoch over 640 images gets well past it.
    expect(accuracy).toBeGreaterThan(0.3);
    // A point per step: 640 images less the declaration's 10% validation split, in batches of 64.
    const points = (await page.locator("#chart path.line.loss").getAttribute("d"))!.split(" ");
    expect(points).toHaveLength(Math.ceil((640 * 0.9) / 64));
    expect(points.every((p) => /^[ML][\d.]+,[\d.]+$/.test(p))).toBe(true);
    await page.screenshot({ path: join(SHOTS, "7-trained.png") });
    expect(pageErrors).toEqual([]);
  }, 300_000);
});
