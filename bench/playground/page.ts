// Benchmark: the playground in Chromium. How long until the page is usable (the first
// example's diagnostics in the editor), how long from a keystroke to its diagnostics in the
// editor on bench/lsp's 1,000-line file, and how large the bundle is. The site is built
// from the current sources and served by `cnnc playground`'s server; Chromium is Debian's,
// driven by playwright-core. Prints a Markdown table and rewrites the playground section of
// bench/RESULTS.md.
//
// Run with `npm run build && npm run bench:playground`.

import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { Page } from "playwright-core";
import { buildPlayground, serveSite } from "../../src/cli/playground.js";
import { compile } from "../../src/compile.js";
import { analysisOf } from "../../src/ide/analysis.js";
import { IncrementalChecker } from "../../src/ide/incremental.js";
import { inlayHints } from "../../src/ide/inlay-hints.js";
import { withChromium } from "../../test/browser/chromium.js";
import { ROOT, replaceSection } from "../common.js";
import { thousandLineFile } from "../lsp/run.js";

const LOADS = 5;
const EDITS = 200;
const WARMUP = 20;

interface PlaygroundState {
  keystrokeToDiagnostics: number[];
  checkMillis: number[];
  usableAt?: number;
  shownVersion: number;
  text(): string;
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Every file of the built site with its size and gzipped size, in bytes. */
function siteFiles(dir: string, prefix = ""): { name: string; bytes: number; gzip: number }[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return siteFiles(path, `${prefix}${name}/`);
    const content = readFileSync(path);
    return [{ name: `${prefix}${name}`, bytes: content.byteLength, gzip: gzipSync(content).byteLength }];
  });
}

const state = (page: Page): Promise<{ samples: number; shown: number }> =>
  page.evaluate(() => {
    const s = (window as unknown as { cnncPlayground: PlaygroundState }).cnncPlayground;
    return { samples: s.keystrokeToDiagnostics.length, shown: s.shownVersion };
  });

/** Types one key and waits until its diagnostics are in the editor; returns the page's own timings of it: in all, and the worker's check. */
async function keystroke(page: Page, key: string): Promise<[number, number]> {
  const before = await state(page);
  await page.keyboard.press(key);
  await page.waitForFunction((count) => (window as unknown as { cnncPlayground: PlaygroundState }).cnncPlayground.keystrokeToDiagnostics.length > count, before.samples, { polling: "raf" });
  return page.evaluate(() => {
    const s = (window as unknown as { cnncPlayground: PlaygroundState }).cnncPlayground;
    return [s.keystrokeToDiagnostics.at(-1)!, s.checkMillis.at(-1)!];
  });
}

/**
 * The baseline, in the same run: the same edits checked in this Node process by the
 * language server's incremental checker, with the inlay shapes, and no browser.
 */
function nodeBaseline(text: string, offset: number, typed: string): number[] {
  const checker = new IncrementalChecker();
  checker.check(text);
  const samples: number[] = [];
  for (let i = 0; i < WARMUP + EDITS; i++) {
    const version = i % 2 === 0 ? text.slice(0, offset) + typed + text.slice(offset) : text;
    const start = performance.now();
    inlayHints(analysisOf(checker.check(version)));
    if (i >= WARMUP) samples.push(performance.now() - start);
  }
  return samples;
}

async function main(): Promise<void> {
  const site = mkdtempSync(join(tmpdir(), "cnnc-playground-bench-"));
  if (!(await buildPlayground(site))) throw new Error("cannot build the playground: run this from a checkout with its development dependencies");
  const files = siteFiles(site);
  const server = await serveSite(site, { host: "127.0.0.1", port: 0 });
  try {
    await withChromium(async (browser) => {
      // Page loads, each in a fresh context (an empty cache).
      const usable: number[] = [];
      // The files a load fetches before the page is usable: the rest is fetched on Train or a download.
      const fetchedFirst = new Set<string>();
      for (let i = 0; i < LOADS; i++) {
        const context = await browser.newContext({ viewport: { width: 1400, height: 860 } });
        const page = await context.newPage();
        page.on("request", (request) => fetchedFirst.add(new URL(request.url()).pathname.slice(1) || "index.html"));
        await page.goto(server.url);
        await page.waitForFunction(() => (window as unknown as { cnncPlayground?: PlaygroundState }).cnncPlayground?.usableAt !== undefined);
        usable.push(await page.evaluate(() => (window as unknown as { cnncPlayground: PlaygroundState }).cnncPlayground.usableAt!));
        await context.close();
      }

      // Typing in the 1,000-line file: a digit of a filter count in the middle, changed and changed back.
      const { text, parts } = thousandLineFile();
      const context = await browser.newContext({ viewport: { width: 1400, height: 860 } });
      const page = await context.newPage();
      await page.goto(server.url);
      await page.waitForFunction(() => (window as unknown as { cnncPlayground?: PlaygroundState }).cnncPlayground?.usableAt !== undefined);
      await page.locator(".cm-content").click();
      await page.keyboard.press("Control+a");
      await page.keyboard.insertText(text);
      await page.waitForFunction((expected) => (window as unknown as { cnncPlayground: PlaygroundState }).cnncPlayground.text() === expected, text);
      const lines = text.split("\n");
      const line = lines.findIndex((l, i) => i > lines.length / 2 && /^\s+conv \d+/.test(l));
      // The cursor after the first digit of the filter count (Home goes to the line's first non-blank, `conv`).
      await page.keyboard.press("Control+Home");
      for (let i = 0; i < line; i++) await page.keyboard.press("ArrowDown");
      await page.keyboard.press("Home");
      for (let i = 0; i < "conv 1".length; i++) await page.keyboard.press("ArrowRight");
      const run = async (typed: string): Promise<{ total: number[]; check: number[] }> => {
        const samples = { total: [] as number[], check: [] as number[] };
        for (let i = 0; i < WARMUP + EDITS; i++) {
          const [total, check] = await keystroke(page, i % 2 === 0 ? typed : "Backspace");
          if (i < WARMUP) continue;
          samples.total.push(total);
          samples.check.push(check);
        }
        return samples;
      };
      const valid = await run("7");
      const broken = await run("(");
      const offset = lines.slice(0, line).reduce((sum, l) => sum + l.length + 1, 0) + lines[line]!.indexOf("conv ") + "conv 1".length;
      const baseline = { valid: nodeBaseline(text, offset, "7"), broken: nodeBaseline(text, offset, "(") };
      const diagnosticsShown = (await page.locator(".cm-lint-marker").count()) > 0;
      await context.close();

      const checked = compile(text);
      const layers = checked.models.reduce((sum, m) => sum + m.nodes.length, 0);
      const kb = (bytes: number): string => `${(bytes / 1024).toLocaleString("en-US", { maximumFractionDigits: 0 })} KiB`;
      const group = (what: string, test: (name: string) => boolean): string => {
        const chosen = files.filter((f) => test(f.name));
        return `| ${what} | ${chosen.length} | ${kb(chosen.reduce((s, f) => s + f.bytes, 0))} | ${kb(chosen.reduce((s, f) => s + f.gzip, 0))} |`;
      };
      const ms = (n: number): string => n.toFixed(1);
      const body = [
        `Busy machine (other work running): ${cpus().length} × ${cpus()[0]?.model.trim() ?? "unknown CPU"}, Node ${process.version}, Debian's Chromium (headless, SwiftShader WebGL) through playwright-core. The site is built from the current sources (\`npm run playground:build\`) and served from 127.0.0.1 by \`cnnc playground\`'s server.`,
        "",
        `Typing: the 1,000-line file of bench/lsp (${parts.length} example architectures, ${checked.models.length} models, ${layers.toLocaleString("en-US")} layers after unrolling) pasted into the editor, then ${EDITS} one-key edits of a filter count in the middle of the file after ${WARMUP} warm-up edits (a digit typed and deleted), each timed in the page from the editor's change to that version's diagnostics and inlay shapes being in the editor (the check runs in the worker with the language server's incremental checker). The baseline, measured in the same run, is the same edits checked in Node in process: the difference is what the worker, the messages and the editor add. Second row: every other version has a syntax error (\`(\` typed and deleted). Target: p95 < 30 ms.${diagnosticsShown ? "" : " (No diagnostics were drawn at the end: check the run.)"}`,
        "",
        "| measure | p50 (ms) | p95 (ms) |",
        "|---|---:|---:|",
        `| keystroke → diagnostics in the editor (valid edits) | ${ms(percentile(valid.total, 50))} | ${ms(percentile(valid.total, 95))} |`,
        `| … of which the check in the worker | ${ms(percentile(valid.check, 50))} | ${ms(percentile(valid.check, 95))} |`,
        `| keystroke → diagnostics in the editor, every other version a syntax error | ${ms(percentile(broken.total, 50))} | ${ms(percentile(broken.total, 95))} |`,
        `| … of which the check in the worker | ${ms(percentile(broken.check, 50))} | ${ms(percentile(broken.check, 95))} |`,
        `| baseline: the same valid edits checked in Node, in process, with inlay shapes | ${ms(percentile(baseline.valid, 50))} | ${ms(percentile(baseline.valid, 95))} |`,
        `| baseline: the same edits with syntax errors, in Node | ${ms(percentile(baseline.broken, 50))} | ${ms(percentile(baseline.broken, 95))} |`,
        `| ratio, valid edits: page ÷ Node baseline | ${(percentile(valid.total, 50) / percentile(baseline.valid, 50)).toFixed(1)}× | ${(percentile(valid.total, 95) / percentile(baseline.valid, 95)).toFixed(1)}× |`,
        `| page usable: navigation start → first diagnostics of LeNet-5 in the editor (${LOADS} loads, empty cache) | ${ms(percentile(usable, 50))} | ${ms(percentile(usable, 95))} |`,
        "",
        "Bundle (dist-playground/): what the page loads before it is usable, what it loads only to train or download (tfjs, prettier), and the data set.",
        "",
        "| part | files | size | gzipped |",
        "|---|---:|---:|---:|",
        group("fetched before the page is usable: page, editor, compiler worker", (n) => fetchedFirst.has(n)),
        group("fetched on Train or a download: tfjs, prettier (for the TypeScript module)", (n) => !n.startsWith("data/") && !fetchedFirst.has(n)),
        group("Fashion-MNIST subset (gzipped IDX, fetched on Train)", (n) => n.startsWith("data/")),
      ].join("\n");
      process.stdout.write(body + "\n");
      replaceSection(join(ROOT, "bench", "RESULTS.md"), "playground", `## Playground: typing, loading and bundle size in Chromium\n\n\`npm run build && npm run bench:playground\`\n\n${body}`);
    });
  } finally {
    await server.close();
  }
}

await main();
