// Headless Chromium for browser tests: Debian's /usr/bin/chromium driven by playwright-core
// (no browser download), and a static file server on 127.0.0.1 for the page under test.
// Headless WebGL runs on SwiftShader there: the real shaders on the CPU.

import { createServer, type Server } from "node:http";
import { readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { extname, join, normalize } from "node:path";
import { chromium, type Browser } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

export function chromiumInstalled(): boolean {
  return existsSync(CHROMIUM);
}

/**
 * Flags from /work/shared/reference/browser-notes.md: SwiftShader for WebGL without a GPU,
 * and no background networking (this machine's network is closed). `gpu: true` leaves the
 * GPU to Chromium instead, for a machine that has one.
 */
export function chromiumArgs(options: { gpu?: boolean } = {}): string[] {
  const quiet = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run", "--enable-unsafe-webgpu"];
  return options.gpu ? [...quiet, "--ignore-gpu-blocklist", "--enable-features=Vulkan"] : [...quiet, "--use-angle=swiftshader", "--enable-unsafe-swiftshader"];
}

/** Runs `use` with a fresh headless Chromium (playwright gives it an empty profile), closed afterwards. */
export async function withChromium<T>(use: (browser: Browser) => Promise<T>, options: { gpu?: boolean } = {}): Promise<T> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: chromiumArgs(options) });
  try {
    return await use(browser);
  } finally {
    await browser.close();
  }
}

const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".wasm": "application/wasm", ".json": "application/json", ".bin": "application/octet-stream" };

/** Serves a folder's files on 127.0.0.1 at a free port. */
export async function serveFolder(folder: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url ?? "/", "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
    const file = join(folder, path.endsWith("/") ? `${path}index.html` : path);
    readFile(file).then(
      (body) => response.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(body),
      () => response.writeHead(404).end(),
    );
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the test server has no port");
  return { url: `http://127.0.0.1:${address.port}/`, close: () => new Promise<void>((done) => server.close(() => done())) };
}
