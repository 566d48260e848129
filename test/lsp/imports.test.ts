// End to end over stdio: the built server on a workspace whose files import each other.
// Definition jumps into the imported file, references and rename cover the declaring file
// and its importers (open or only on disk), diagnostics inside an imported file are
// published for that file, and an edit to an imported file re-checks its importer.
// Run `npx tsc -p .` first (`npm test` does).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { LspClient, type Range } from "./client.js";

const BLOCKS = `/// A 3x3 convolution with batchnorm and ReLU.
block stage(channels, stride = 1) {
  conv channels, kernel: 3, stride: stride, padding: 1, bias: false -> batchnorm -> relu
}
`;

const MAIN = `import { stage } from "./blocks"

model Net {
  input image: [32, 32, 3]
  stage(16)
  stage(32, stride: 2)
  global avgpool
  dense 10
}
`;

// Only on disk, never opened: it imports \`stage\` under another name.
const OTHER = `import { stage as Level } from "../lib/blocks.cnn"

model Other {
  input image: [8, 8, 3]
  Level(4)
}
`;

const pos = (line: number, character: number) => ({ line, character });

let root: string;
let client: LspClient;
let mainUri: string;
let blocksUri: string;
let otherUri: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "cnnc-lsp-imports-"));
  mkdirSync(join(root, "lib"));
  mkdirSync(join(root, "apps"));
  writeFileSync(join(root, "lib", "blocks.cnn"), BLOCKS);
  writeFileSync(join(root, "lib", "main.cnn"), MAIN);
  writeFileSync(join(root, "apps", "other.cnn"), OTHER);
  mainUri = pathToFileURL(join(root, "lib", "main.cnn")).href;
  blocksUri = pathToFileURL(join(root, "lib", "blocks.cnn")).href;
  otherUri = pathToFileURL(join(root, "apps", "other.cnn")).href;
  client = new LspClient();
  const rootUri = pathToFileURL(root).href;
  await client.request("initialize", { processId: process.pid, rootUri, workspaceFolders: [{ uri: rootUri, name: "project" }], capabilities: {} });
  await client.connection.sendNotification("initialized", {});
  await client.open(mainUri, MAIN, 1);
});

afterAll(async () => {
  if (client.exitCode === undefined) client.child.kill();
});

describe("a workspace whose files import each other", () => {
  it("checks the importing file against the imported one on disk", async () => {
    expect((await client.diagnosticsFor(mainUri, 1)).diagnostics).toEqual([]);
  });

  it("goes from a call of an imported block to its declaration in the other file", async () => {
    const definition = await client.request<{ uri: string; range: Range }>("textDocument/definition", { textDocument: { uri: mainUri }, position: pos(4, 3) });
    expect(definition).toEqual({ uri: blocksUri, range: { start: pos(1, 6), end: pos(1, 11) } });
    const fromImport = await client.request<{ uri: string }>("textDocument/definition", { textDocument: { uri: mainUri }, position: pos(0, 10) });
    expect(fromImport.uri).toBe(blocksUri);
  });

  it("shows an imported block's signature, doc and origin on hover", async () => {
    const hover = await client.request<{ contents: { value: string } }>("textDocument/hover", { textDocument: { uri: mainUri }, position: pos(5, 3) });
    expect(hover.contents.value).toContain("block stage(channels, stride = 1)");
    expect(hover.contents.value).toContain("A 3x3 convolution with batchnorm and ReLU.");
    expect(hover.contents.value).toContain("imported from `./blocks`");
    expect(hover.contents.value).toContain("`[32, 32, 16]` → `[16, 16, 32]`");
  });

  it("finds references in the declaring file and in every importer, open or not", async () => {
    const references = await client.request<{ uri: string; range: Range }[]>("textDocument/references", { textDocument: { uri: mainUri }, position: pos(4, 3), context: { includeDeclaration: true } });
    const where = references.map((r) => [r.uri, r.range.start.line, r.range.start.character]);
    expect(where).toEqual(
      expect.arrayContaining([
        [blocksUri, 1, 6],
        [mainUri, 0, 9],
        [mainUri, 4, 2],
        [mainUri, 5, 2],
        [otherUri, 0, 9],
        [otherUri, 4, 2],
      ]),
    );
  });

  it("renames across files with one workspace edit, leaving an alias and its uses alone", async () => {
    const edit = await client.request<{ changes: Record<string, { range: Range; newText: string }[]> }>("textDocument/rename", { textDocument: { uri: mainUri }, position: pos(5, 3), newName: "unit" });
    const lines = (uri: string) => (edit.changes[uri] ?? []).map((e) => [e.range.start.line, e.range.start.character, e.newText]);
    expect(lines(blocksUri)).toEqual([[1, 6, "unit"]]);
    expect(lines(mainUri)).toEqual([
      [0, 9, "unit"],
      [4, 2, "unit"],
      [5, 2, "unit"],
    ]);
    expect(lines(otherUri)).toEqual([[0, 9, "unit"]]);
    await expect(client.request("textDocument/rename", { textDocument: { uri: mainUri }, position: pos(5, 3), newName: "conv" })).rejects.toThrow("`conv` is a layer kind");
  });

  it("publishes an error that lies in the imported file for that file, once it is open", async () => {
    await client.open(blocksUri, BLOCKS, 1);
    expect((await client.diagnosticsFor(blocksUri, 1)).diagnostics).toEqual([]);
    // State the input channels: right for the first call (3), wrong for the second (16).
    const edited = BLOCKS.replace("bias: false", "bias: false, in_channels: 3");
    const before = client.diagnostics.length;
    await client.change(blocksUri, 2, [{ text: edited }]);
    const published = await client.waitFor((p) => p.uri === blocksUri && p.version === 2 && p.diagnostics.length > 0, before);
    const column = edited.split("\n")[2]!.indexOf("in_channels: 3") + "in_channels: ".length;
    expect(published.diagnostics[0]).toMatchObject({ code: "E0301", range: { start: pos(2, column) } });
    expect(published.diagnostics[0]!.message).toContain("the incoming tensor [32, 32, 16] has 16");
    expect(published.diagnostics[0]!.relatedInformation!.some((r) => r.location.uri === mainUri)).toBe(true);
    // The importer is checked again against the unsaved buffer; its own text has no error.
    const main = await client.waitFor((p) => p.uri === mainUri, before);
    expect(main.diagnostics).toEqual([]);
  });

  it("shows an error of a closed imported file at the import", async () => {
    writeFileSync(join(root, "lib", "broken.cnn"), "block broken(c) {\n  conv c, kernal: 3\n}\n");
    const text = `import { broken } from "./broken"\n\nmodel B {\n  input image: [8, 8, 3]\n  broken(4)\n}\n`;
    const uri = pathToFileURL(join(root, "lib", "b.cnn")).href;
    await client.open(uri, text, 1);
    const published = await client.diagnosticsFor(uri, 1);
    expect(published.diagnostics.map((d) => [d.code, d.range.start.line, d.range.start.character])).toEqual([["E0202", 0, 23]]);
    expect(published.diagnostics[0]!.message).toMatch(/^broken\.cnn:2:11: /);
    expect(published.diagnostics[0]!.relatedInformation![0]!.location.uri).toBe(pathToFileURL(join(root, "lib", "broken.cnn")).href);
  });

  it("shuts down cleanly", async () => {
    expect(await client.shutdown()).toBe(0);
    expect(client.stderr).toBe("");
    expect(client.logs.filter((l) => l.type === 1)).toEqual([]);
  });
});
