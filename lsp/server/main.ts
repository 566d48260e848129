// The language server's entry point: `node dist/lsp/server/main.js --stdio`, and what
// `cnnc lsp --stdio` runs. It speaks LSP on standard input and output, so nothing else may
// write to standard output.

import { pathToFileURL } from "node:url";
import { startStdioServer } from "./server.js";

export function runLanguageServer(): void {
  startStdioServer();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) runLanguageServer();
