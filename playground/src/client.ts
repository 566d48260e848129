// The page's side of the worker protocol: sends each new text, answers requests by id, and
// hands diagnostics and reports to whoever listens.

import type { ArtifactResult, PageCompletion, PageDiagnostic, PageInlayHint, PageToken, ModelReport, Reply, Request } from "./protocol.js";

type Pending = (reply: Reply) => void;
type WithoutId<T> = T extends { id: number } ? Omit<T, "id" | "version"> : never;

export class CompilerClient {
  private readonly worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** The version of the last text sent. */
  version = 0;
  onDiagnostics: (version: number, diagnostics: PageDiagnostic[], hints: PageInlayHint[], millis: number) => void = () => {};
  onReport: (version: number, report: ModelReport | undefined, tokens: PageToken[], error: string | undefined) => void = () => {};

  constructor() {
    this.worker.onmessage = (event: MessageEvent<Reply>) => {
      const reply = event.data;
      if (reply.kind === "diagnostics") this.onDiagnostics(reply.version, reply.diagnostics, reply.hints, reply.millis);
      else if (reply.kind === "report") this.onReport(reply.version, reply.report, reply.tokens, reply.error);
      else {
        const resolve = this.pending.get(reply.id);
        this.pending.delete(reply.id);
        resolve?.(reply);
      }
    };
  }

  update(text: string, model?: string, expand?: boolean): number {
    this.version++;
    this.send({ kind: "update", version: this.version, text, ...(model !== undefined ? { model } : {}), ...(expand !== undefined ? { expand } : {}) });
    return this.version;
  }

  private send(request: Request): void {
    this.worker.postMessage(request);
  }

  private request(request: WithoutId<Request>): Promise<Reply> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.send({ ...request, id, version: this.version } as Request);
    });
  }

  async hover(offset: number): Promise<{ from: number; to: number; markdown: string } | undefined> {
    const reply = await this.request({ kind: "hover", offset });
    return reply.kind === "hover" ? reply.result : undefined;
  }

  async complete(offset: number): Promise<{ from: number; to: number; items: PageCompletion[] } | undefined> {
    const reply = await this.request({ kind: "complete", offset });
    return reply.kind === "complete" ? reply.result : undefined;
  }

  async format(): Promise<{ text?: string; error?: string }> {
    const reply = await this.request({ kind: "format" });
    if (reply.kind === "format") return reply;
    return { error: reply.kind === "failed" ? reply.error : "no answer" };
  }

  async artifacts(what: "train" | "typescript" | "pytorch", model?: string): Promise<ArtifactResult> {
    const reply = await this.request({ kind: "artifacts", what, ...(model !== undefined ? { model } : {}) });
    if (reply.kind === "artifacts") return reply.result;
    return { ok: false, error: reply.kind === "failed" ? reply.error : "no answer" };
  }
}
