// Soak: 2,000 random edits in one session with the built server, each followed by random
// requests at random places. The server must stay up, answer every request with a
// well-formed result (no error responses, every range inside the document), and publish
// diagnostics that equal the checker's for the final text.

import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { TextDocument } from "vscode-languageserver-textdocument";
import { compile } from "../../src/compile.js";
import { EXAMPLES, read } from "../helpers.js";
import { LspClient, type Position, type Range } from "./client.js";
import { seededRandom } from "../../src/data/random.js";

const EDITS = 2_000;
const URI = "file:///soak/model.cnn";
const SNIPPETS = ["conv 8, kernel: 3", " -> relu", "\n", "\n  ", "{", "}", "(", ")", "[", "]", ",", ":", "residual {", "} shortcut auto", "Basic(64)", " as skip", "concat skip", "from skip", "repeat 2 {", "dense 10", "global avgpool", "flatten", "x", "64", "-", "/* c */", "// c\n", '"', "#", "let a = 3\n", "for c in [1, 2] {", "expect [8, 8, 3]", "padding: same", "é", "😀"];
const REQUESTS = ["hover", "completion", "inlayHint", "signatureHelp", "definition", "references", "prepareRename", "documentSymbol", "foldingRange", "semanticTokens", "formatting", "codeAction", "documentHighlight"] as const;

/** A small deterministic generator, so a failure can be replayed. */
const random = seededRandom;

describe("a long editing session", () => {
  it(`survives ${EDITS.toLocaleString("en-US")} random edits with well-formed answers`, async () => {
    const next = random(20261128);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
    const start = read(join(EXAMPLES, "resnet18.cnn")) + "\n" + read(join(EXAMPLES, "unet.cnn"));
    let document = TextDocument.create(URI, "cnn", 1, start);
    const client = new LspClient();
    const problems: string[] = [];
    await client.initialize();
    await client.open(URI, start, 1);

    const inside = (range: Range | undefined, what: string): void => {
      if (range === undefined) return;
      for (const p of [range.start, range.end]) {
        const valid = Number.isInteger(p.line) && Number.isInteger(p.character) && p.line >= 0 && p.line < document.lineCount && p.character >= 0;
        const clamped = valid ? document.positionAt(document.offsetAt(p)) : undefined;
        if (!valid || clamped!.line !== p.line || clamped!.character !== p.character) problems.push(`${what}: position ${JSON.stringify(p)} outside the document (version ${document.version})`);
      }
    };
    const randomPosition = (): Position => document.positionAt(Math.floor(next() * (document.getText().length + 1)));

    /** How many answers of each kind had content: the session must exercise every feature. */
    const answered = new Map<string, number>();
    const ask = async (kind: (typeof REQUESTS)[number]): Promise<void> => {
      const result = await answer(kind);
      if (result !== null && !(Array.isArray(result) && result.length === 0) && !(typeof result === "object" && "data" in result && (result as { data: unknown[] }).data.length === 0)) answered.set(kind, (answered.get(kind) ?? 0) + 1);
    };
    const answer = async (kind: (typeof REQUESTS)[number]): Promise<unknown> => {
      const textDocument = { uri: URI };
      const position = randomPosition();
      const checkRanges = (items: unknown, what: string): unknown => {
        if (!Array.isArray(items)) problems.push(`${what}: not a list`);
        else for (const item of items as { range?: Range; location?: { range: Range }; textEdit?: { range: Range } }[]) inside(item.range ?? item.textEdit?.range, what);
        return items;
      };
      switch (kind) {
        case "hover": {
          const hover = await client.request<{ contents: { value: string }; range: Range } | null>("textDocument/hover", { textDocument, position });
          if (hover !== null && typeof hover.contents.value !== "string") problems.push("hover without text");
          inside(hover?.range, "hover");
          return hover;
        }
        case "completion":
          return checkRanges(await client.request("textDocument/completion", { textDocument, position }), "completion");
        case "inlayHint": {
          const hints = await client.request<{ position: Position; label: string }[]>("textDocument/inlayHint", { textDocument, range: { start: document.positionAt(0), end: document.positionAt(document.getText().length) } });
          for (const hint of hints) inside({ start: hint.position, end: hint.position }, "inlay hint");
          return hints;
        }
        case "signatureHelp": {
          const help = await client.request<{ signatures: { label: string; parameters: { label: [number, number] }[] }[] } | null>("textDocument/signatureHelp", { textDocument, position });
          for (const signature of help?.signatures ?? []) for (const p of signature.parameters) if (p.label[1] > signature.label.length) problems.push("signature parameter outside its label");
          return help;
        }
        case "definition": {
          const target = await client.request<{ range: Range } | null>("textDocument/definition", { textDocument, position });
          inside(target?.range, "definition");
          return target;
        }
        case "references":
          return checkRanges(await client.request("textDocument/references", { textDocument, position, context: { includeDeclaration: true } }), "references");
        case "documentHighlight":
          return checkRanges(await client.request("textDocument/documentHighlight", { textDocument, position }), "highlight");
        case "prepareRename": {
          const prepared = await client.request<{ range: Range } | null>("textDocument/prepareRename", { textDocument, position });
          inside(prepared?.range, "prepareRename");
          return prepared;
        }
        case "documentSymbol": {
          const visit = (symbols: { range: Range; selectionRange: Range; children?: unknown[] }[]): void => {
            for (const s of symbols) {
              inside(s.range, "symbol");
              inside(s.selectionRange, "symbol selection");
              visit((s.children ?? []) as typeof symbols);
            }
          };
          const symbols = await client.request<Parameters<typeof visit>[0]>("textDocument/documentSymbol", { textDocument });
          visit(symbols);
          return symbols;
        }
        case "foldingRange": {
          const ranges = await client.request<{ startLine: number; endLine: number }[]>("textDocument/foldingRange", { textDocument });
          for (const r of ranges) if (!(r.startLine < r.endLine && r.endLine < document.lineCount)) problems.push(`folding range ${JSON.stringify(r)}`);
          return ranges;
        }
        case "semanticTokens": {
          const tokens = await client.request<{ data: number[] }>("textDocument/semanticTokens/full", { textDocument });
          if (tokens.data.length % 5 !== 0 || tokens.data.some((n) => !Number.isInteger(n) || n < 0)) problems.push("malformed semantic tokens");
          return tokens;
        }
        case "formatting":
          return checkRanges(await client.request("textDocument/formatting", { textDocument, options: { tabSize: 2, insertSpaces: true } }), "formatting");
        case "codeAction": {
          // Half the time a cursor, half the time the whole document.
          const at = randomPosition();
          const range = next() < 0.5 ? { start: at, end: at } : { start: document.positionAt(0), end: document.positionAt(document.getText().length) };
          const actions = await client.request<{ edit: { changes: Record<string, { range: Range }[]> } }[]>("textDocument/codeAction", { textDocument, range, context: { diagnostics: [] } });
          for (const action of actions) for (const edit of action.edit.changes[URI] ?? []) inside(edit.range, "code action edit");
          return actions;
        }
      }
    };

    for (let i = 0; i < EDITS; i++) {
      const text = document.getText();
      const roll = next();
      let change: { range: Range; text: string } | { text: string };
      if (roll < 0.01) change = { text: pick([start, "", text.slice(0, text.length >> 1)]) };
      else {
        const from = Math.floor(next() * (text.length + 1));
        const remove = text.length > 3000 || roll < 0.35 ? Math.floor(next() * 12) : 0;
        const insert = roll < 0.35 && text.length <= 3000 ? "" : pick(SNIPPETS);
        change = { range: { start: document.positionAt(from), end: document.positionAt(Math.min(text.length, from + remove)) }, text: insert };
      }
      document = TextDocument.update(document, [change], document.version + 1);
      await client.change(URI, document.version, [change]);
      // Bursts of edits without waiting, as fast typing sends them; then a few requests at once.
      if (next() < 0.5) await Promise.all(Array.from({ length: 1 + Math.floor(next() * 3) }, () => ask(pick(REQUESTS))));
      if (client.exitCode !== undefined) throw new Error(`the server exited with ${client.exitCode} after edit ${i}:\n${client.stderr}`);
      // Now and then, and at the end, the published diagnostics must be the checker's, place for place.
      if (i % 200 === 199 || i === EDITS - 1) {
        const published = await client.diagnosticsFor(URI, document.version);
        const expected = compile(document.getText()).diagnostics.map((d) => [d.code, document.positionAt(d.span.start), document.positionAt(d.span.end)]);
        expect(published.diagnostics.map((d) => [d.code, d.range.start, d.range.end]), `after edit ${i}`).toEqual(expected);
      }
    }

    expect(problems.slice(0, 10)).toEqual([]);
    // Formatting is exempt: random edits leave syntax errors, and the formatter declines those.
    for (const kind of REQUESTS) if (kind !== "formatting") expect(answered.get(kind) ?? 0, kind).toBeGreaterThan(0);
    expect(client.logs.filter((l) => l.type === 1).map((l) => l.message.slice(0, 500))).toEqual([]);
    expect(await client.shutdown()).toBe(0);
  });
});
