// A real JSON-RPC client for the built language server: spawns `node dist/lsp/server/main.js
// --stdio` and talks to it over its standard input and output, as an editor does.

import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { join } from "node:path";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from "vscode-jsonrpc/node";
import { ROOT } from "../helpers.js";

export const SERVER = join(ROOT, "dist", "lsp", "server", "main.js");

export interface PublishedDiagnostics {
  uri: string;
  version?: number;
  diagnostics: { range: Range; severity?: number; code?: string | number; message: string; relatedInformation?: { location: { uri: string; range: Range }; message: string }[] }[];
}

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export class LspClient {
  readonly child: ChildProcessWithoutNullStreams;
  readonly connection: MessageConnection;
  readonly diagnostics: PublishedDiagnostics[] = [];
  readonly logs: { type: number; message: string }[] = [];
  stderr = "";
  exitCode: number | null | undefined;
  private waiters: { predicate: (p: PublishedDiagnostics) => boolean; resolve: (p: PublishedDiagnostics) => void }[] = [];

  constructor(args: string[] = [SERVER, "--stdio"]) {
    this.child = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "pipe"] });
    this.child.stderr.on("data", (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.child.on("exit", (code) => (this.exitCode = code));
    this.connection = createMessageConnection(new StreamMessageReader(this.child.stdout), new StreamMessageWriter(this.child.stdin));
    this.connection.onNotification("textDocument/publishDiagnostics", (params: PublishedDiagnostics) => {
      this.diagnostics.push(params);
      this.waiters = this.waiters.filter((w) => {
        if (!w.predicate(params)) return true;
        w.resolve(params);
        return false;
      });
    });
    this.connection.onNotification("window/logMessage", (params: { type: number; message: string }) => this.logs.push(params));
    this.connection.listen();
  }

  async initialize(): Promise<{ capabilities: Record<string, unknown> }> {
    const result = await this.connection.sendRequest<{ capabilities: Record<string, unknown> }>("initialize", { processId: process.pid, rootUri: null, capabilities: {} });
    await this.connection.sendNotification("initialized", {});
    return result;
  }

  /** The next diagnostics published for a document version. */
  diagnosticsFor(uri: string, version: number): Promise<PublishedDiagnostics> {
    const seen = this.diagnostics.find((d) => d.uri === uri && d.version === version);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ predicate: (p) => p.uri === uri && p.version === version, resolve }));
  }

  /** The first diagnostics published from index `from` of the log on that satisfy a predicate. */
  waitFor(predicate: (p: PublishedDiagnostics) => boolean, from = 0): Promise<PublishedDiagnostics> {
    const seen = this.diagnostics.slice(from).find(predicate);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ predicate, resolve }));
  }

  open(uri: string, text: string, version = 1): Promise<void> {
    return this.connection.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "cnn", version, text } });
  }

  change(uri: string, version: number, changes: ({ range: Range; text: string } | { text: string })[]): Promise<void> {
    return this.connection.sendNotification("textDocument/didChange", { textDocument: { uri, version }, contentChanges: changes });
  }

  request<T>(method: string, params: unknown): Promise<T> {
    return this.connection.sendRequest<T>(method, params);
  }

  async shutdown(): Promise<number | null> {
    await this.connection.sendRequest("shutdown");
    await this.connection.sendNotification("exit");
    const code = await new Promise<number | null>((resolve) => {
      if (this.exitCode !== undefined) resolve(this.exitCode);
      else this.child.on("exit", (c) => resolve(c));
    });
    this.connection.dispose();
    return code;
  }
}
