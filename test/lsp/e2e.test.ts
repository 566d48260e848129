// End to end: the built server (`node dist/lsp/server/main.js --stdio`) driven over stdio by
// a JSON-RPC client, through a session an editor would have: open, edit, ask, fix, format.
// Run `npx tsc -p .` first (`npm test` does).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT } from "../helpers.js";
import { LspClient, type PublishedDiagnostics, type Range } from "./client.js";

const URI = "file:///work/model.cnn";
const TEXT = `block Stage(channels, stride = 1) {
  conv channels, kernel: 3, stride: stride, padding: 1 -> batchnorm -> relu
}

model Net {
  input image: [32, 32, 3]
  Stage(16) as early
  Stage(32, stride: 2)
  global avgpool
  dense 10
}
`;

const pos = (line: number, character: number) => ({ line, character });
const doc = { textDocument: { uri: URI } };

let client: LspClient;
let version = 1;

beforeAll(async () => {
  client = new LspClient();
  const init = await client.initialize();
  expect(init.capabilities).toMatchObject({ textDocumentSync: { openClose: true, change: 2 }, hoverProvider: true, inlayHintProvider: { resolveProvider: false }, renameProvider: { prepareProvider: true } });
  await client.open(URI, TEXT, version);
});

afterAll(async () => {
  if (client.exitCode === undefined) client.child.kill();
});

describe("a session with the built server", () => {
  it("publishes no diagnostics for a correct file on open", async () => {
    expect((await client.diagnosticsFor(URI, 1)).diagnostics).toEqual([]);
  });

  it("publishes the checker's diagnostics, with related information, after an incremental change", async () => {
    // Replace `global avgpool` (line 8) with nothing: dense then gets a feature map.
    await client.change(URI, ++version, [{ range: { start: pos(8, 2), end: pos(8, 16) }, text: "relu" }]);
    const published: PublishedDiagnostics = await client.diagnosticsFor(URI, version);
    expect(published.diagnostics).toHaveLength(1);
    const [diagnostic] = published.diagnostics;
    expect(diagnostic).toMatchObject({ code: "E0307", severity: 1, range: { start: pos(9, 2), end: pos(9, 10) } });
    expect(diagnostic!.message).toContain("dense needs a flat [features] input, but gets [16, 16, 32]");
    expect(diagnostic!.relatedInformation).toEqual([{ location: { uri: URI, range: { start: pos(8, 2), end: pos(8, 6) } }, message: "the input [16, 16, 32] comes from here" }]);
  });

  it("offers the fix as a code action, and applying it clears the diagnostic", async () => {
    const actions = await client.request<{ title: string; edit: { changes: Record<string, { range: Range; newText: string }[]> } }[]>("textDocument/codeAction", { ...doc, range: { start: pos(9, 2), end: pos(9, 2) }, context: { diagnostics: [] } });
    expect(actions.map((a) => a.title)).toEqual(["Insert `flatten`"]);
    const edits = actions[0]!.edit.changes[URI]!;
    await client.change(URI, ++version, edits.map((e) => ({ range: e.range, text: e.newText })));
    expect((await client.diagnosticsFor(URI, version)).diagnostics).toEqual([]);
  });

  it("answers a hover with shapes and counts", async () => {
    const hover = await client.request<{ contents: { kind: string; value: string }; range: Range }>("textDocument/hover", { ...doc, position: pos(7, 3) });
    expect(hover.contents.kind).toBe("markdown");
    expect(hover.contents.value).toContain("`[32, 32, 16]` → `[16, 16, 32]`");
    expect(hover.range).toEqual({ start: pos(7, 2), end: pos(7, 7) });
  });

  it("answers inlay hints with the shape after each line", async () => {
    const hints = await client.request<{ position: { line: number; character: number }; label: string }[]>("textDocument/inlayHint", { ...doc, range: { start: pos(0, 0), end: pos(12, 0) } });
    expect(hints.map((h) => [h.position.line, h.label])).toEqual([
      [1, "→ [32, 32, 16]"],
      [6, "→ [32, 32, 16]"],
      [7, "→ [16, 16, 32]"],
      [8, "→ [16, 16, 32]"],
      [9, "→ [10]"],
    ]);
  });

  it("completes layer names mid-edit on a broken line", async () => {
    await client.change(URI, ++version, [{ range: { start: pos(9, 12), end: pos(9, 12) }, text: " -> so" }]);
    const items = await client.request<{ label: string; textEdit: { range: Range; newText: string } }[]>("textDocument/completion", { ...doc, position: pos(9, 18) });
    const softmax = items.find((i) => i.label === "softmax");
    expect(softmax?.textEdit).toEqual({ range: { start: pos(9, 16), end: pos(9, 18) }, newText: "softmax" });
    expect(items.map((i) => i.label)).toContain("Stage");
  });

  it("answers signature help inside a block call", async () => {
    const help = await client.request<{ signatures: { label: string }[]; activeParameter: number }>("textDocument/signatureHelp", { ...doc, position: pos(7, 12) });
    expect(help.signatures[0]!.label).toBe("Stage(channels, stride = 1)");
    expect(help.activeParameter).toBe(1);
  });

  it("goes to a block's definition and finds its references", async () => {
    const definition = await client.request<{ uri: string; range: Range }>("textDocument/definition", { ...doc, position: pos(6, 3) });
    expect(definition).toEqual({ uri: URI, range: { start: pos(0, 6), end: pos(0, 11) } });
    const references = await client.request<{ range: Range }[]>("textDocument/references", { ...doc, position: pos(0, 7), context: { includeDeclaration: true } });
    expect(references.map((r) => r.range.start.line)).toEqual([0, 6, 7]);
  });

  it("renames a block everywhere, and refuses a keyword", async () => {
    const prepared = await client.request<{ range: Range; placeholder: string }>("textDocument/prepareRename", { ...doc, position: pos(7, 3) });
    expect(prepared).toEqual({ range: { start: pos(7, 2), end: pos(7, 7) }, placeholder: "Stage" });
    const edit = await client.request<{ changes: Record<string, { range: Range; newText: string }[]> }>("textDocument/rename", { ...doc, position: pos(7, 3), newName: "Level" });
    expect(edit.changes[URI]!.map((e) => [e.range.start.line, e.newText])).toEqual([[0, "Level"], [6, "Level"], [7, "Level"]]);
    await expect(client.request("textDocument/rename", { ...doc, position: pos(7, 3), newName: "repeat" })).rejects.toThrow("`repeat` is a keyword");
  });

  it("formats the whole document", async () => {
    await client.change(URI, ++version, [{ text: "model M{\ninput x:[4]\n  dense 2->softmax\n}\n" }]);
    const edits = await client.request<{ range: Range; newText: string }[]>("textDocument/formatting", { ...doc, options: { tabSize: 2, insertSpaces: true } });
    expect(edits).toEqual([{ range: { start: pos(0, 0), end: pos(4, 0) }, newText: "model M {\n  input x: [4]\n  dense 2 -> softmax\n}\n" }]);
  });

  it("answers document symbols, folding ranges and semantic tokens", async () => {
    const symbols = await client.request<{ name: string; children: { name: string }[] }[]>("textDocument/documentSymbol", doc);
    expect(symbols.map((s) => [s.name, s.children.map((c) => c.name)])).toEqual([["M", ["input x", "dense", "softmax"]]]);
    expect(await client.request("textDocument/foldingRange", doc)).toEqual([{ startLine: 0, endLine: 2 }]);
    const tokens = await client.request<{ data: number[] }>("textDocument/semanticTokens/full", doc);
    expect(tokens.data.length % 5).toBe(0);
    expect(tokens.data.slice(0, 5)).toEqual([0, 0, 5, 0, 0]);
  });

  it("answers for a file nested past the limit: the nesting error, and the declarations before it", async () => {
    const deepUri = "file:///work/deep.cnn";
    const deep = `block Twice(c) {\n  conv c, kernel: 1 -> conv c, kernel: 1\n}\nmodel Deep {\n  input x: [8, 8, 3]\n  let widths = ${"[".repeat(30_000)}4${"]".repeat(30_000)}\n}\n`;
    await client.open(deepUri, deep, 1);
    expect((await client.diagnosticsFor(deepUri, 1)).diagnostics.map((d) => d.code)).toEqual(["E0103"]);
    const symbols = await client.request<{ name: string }[]>("textDocument/documentSymbol", { textDocument: { uri: deepUri } });
    expect(symbols.map((s) => s.name)).toEqual(["Twice"]);
    const hover = await client.request<{ contents: { value: string } } | null>("textDocument/hover", { textDocument: { uri: deepUri }, position: pos(5, 40) });
    expect(hover).toBeNull();
  });

  it("shuts down cleanly on shutdown and exit", async () => {
    expect(await client.shutdown()).toBe(0);
    expect(client.stderr).toBe("");
    expect(client.logs.filter((l) => l.type === 1)).toEqual([]);
  });
});

describe("the `cnnc lsp --stdio` command", () => {
  it("starts the same server through registerEditorCommands", async () => {
    // A tiny `cnnc` with only the editor commands, as main.ts registers them.
    const editor = pathToFileURL(join(ROOT, "dist", "src", "cli", "editor.js")).href;
    const commander = pathToFileURL(join(ROOT, "node_modules", "commander", "esm.mjs")).href;
    const entry = `import { Command } from ${JSON.stringify(commander)}; import { registerEditorCommands } from ${JSON.stringify(editor)};
      const program = new Command(); registerEditorCommands(program, () => {}); await program.parseAsync(["lsp", "--stdio"], { from: "user" });`;
    const viaCli = new LspClient(["--input-type=module", "-e", entry]);
    const init = await viaCli.initialize();
    expect(init.capabilities).toHaveProperty("inlayHintProvider");
    await viaCli.open("file:///cli.cnn", "model M {\n  input x: [4]\n  dense 2\n}\n");
    expect((await viaCli.diagnosticsFor("file:///cli.cnn", 1)).diagnostics).toEqual([]);
    expect(await viaCli.shutdown()).toBe(0);
  });
});
