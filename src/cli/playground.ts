// `cnnc playground`: serves the playground (the static site `npm run playground:build`
// writes to dist-playground/) from a plain Node http server on 127.0.0.1. Nothing is
// fetched from the network: the page, the compiler, tfjs and the data set are local files.
// In a checkout where the site was never built, it is built first with Vite.

import { existsSync, readFileSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, resolve, sep } from "node:path";
import type { Command } from "commander";
import { packageRoot } from "../runtime/package-root.js";
import { CliUsageError } from "./options.js";

export const PLAYGROUND_DIR = "dist-playground";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".map": "application/json",
  // The page decompresses the data itself: sent as a plain file, not with Content-Encoding.
  ".gz": "application/gzip",
};

export interface PlaygroundServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Serves the built site in `root` on host:port (port 0: any free port). */
export function serveSite(root: string, options: { host: string; port: number }): Promise<PlaygroundServer> {
  const base = resolve(root);
  const server = createServer((request, response) => {
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { Allow: "GET, HEAD" }).end();
      return;
    }
    let path: string;
    try {
      path = decodeURIComponent(new URL(request.url ?? "/", "http://localhost").pathname);
    } catch {
      response.writeHead(400).end();
      return;
    }
    const file = resolve(base, "." + normalize(path.endsWith("/") ? `${path}index.html` : path));
    if ((file !== base && !file.startsWith(base + sep)) || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" }).end(`not found: ${path}\n`);
      return;
    }
    const body = readFileSync(file);
    response.writeHead(200, { "Content-Type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream", "Content-Length": body.byteLength, "Cache-Control": "no-cache" });
    response.end(request.method === "HEAD" ? undefined : body);
  });
  return new Promise((resolvePromise, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      reject(error.code === "EADDRINUSE" ? new CliUsageError(`port ${options.port} on ${options.host} is in use: pick another with --port, or --port 0 for any free one`) : error);
    });
    server.listen(options.port, options.host, () => {
      const { port } = server.address() as AddressInfo;
      resolvePromise({
        url: `http://${options.host}:${port}/`,
        server,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

/**
 * Builds the playground from its sources with Vite (a development dependency, so only in a
 * checkout) into `outDir`; false when Vite or the sources are not there.
 */
export async function buildPlayground(outDir: string): Promise<boolean> {
  const root = packageRoot();
  const config = root === undefined ? undefined : join(root, "playground", "vite.config.ts");
  if (config === undefined || !existsSync(config)) return false;
  let vite: typeof import("vite");
  try {
    vite = await import("vite");
  } catch {
    return false;
  }
  await vite.build({ configFile: config, logLevel: "warn", build: { outDir, emptyOutDir: true } });
  return true;
}

/** The built site's folder, building it first in a checkout where it is missing. */
export async function playgroundSite(log: (line: string) => void): Promise<string> {
  const root = packageRoot();
  if (root === undefined) throw new CliUsageError("cannot find the cnnc package folder");
  const site = join(root, PLAYGROUND_DIR);
  if (existsSync(join(site, "index.html"))) return site;
  log(`building the playground into ${site} …`);
  if (!(await buildPlayground(site))) throw new CliUsageError(`the playground is not built (${site} is missing): run \`npm run playground:build\` in a checkout of cnnc`);
  return site;
}

export function registerPlaygroundCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command("playground")
    .description("serve the playground (editor, summary, graph, training in the browser) on this machine")
    .option("--port <n>", "the port to listen on (0: any free port)", (value) => {
      const port = Number(value);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliUsageError(`--port expects a whole number from 0 to 65535, found \`${value}\``);
      return port;
    }, 8213)
    .option("--host <address>", "the address to listen on", "127.0.0.1")
    .action(async (options: { port: number; host: string }) => {
      const site = await playgroundSite((line) => process.stderr.write(`${line}\n`));
      const served = await serveSite(site, options);
      process.stdout.write(`cnnc playground: ${served.url}  (serving ${site}; Ctrl-C to stop)\n`);
      await new Promise<void>((done) => process.once("SIGINT", () => void served.close().then(done)));
      setExit(0);
    });
}
