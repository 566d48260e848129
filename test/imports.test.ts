// Imports: how paths resolve, that each file is read and parsed once per compilation, that
// names keep the meaning of the file that declares them, and where spans of imported
// files land in the source map. Files come from an in-memory host.

import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { compile, type Compilation } from "../src/compile.js";
import { BUILT_IN_STDLIB, resolveImport, type SourceHost } from "../src/check/modules.js";
import { nodeHost, STDLIB_FOLDER } from "../src/host/node.js";
import { renderDiagnostics } from "../src/diagnostics/render.js";
import { STDLIB } from "./helpers.js";

/** A host over a fixed set of files that counts how often each is read. */
function memoryHost(files: Record<string, string>): SourceHost & { reads: Map<string, number> } {
  const reads = new Map<string, number>();
  return {
    reads,
    readFile(path) {
      reads.set(path, (reads.get(path) ?? 0) + 1);
      return files[path];
    },
    listCnnFiles(folder) {
      return Object.keys(files)
        .filter((p) => p.startsWith(folder + "/") && !p.slice(folder.length + 1).includes("/"))
        .map((p) => p.slice(folder.length + 1));
    },
  };
}

const NET = (call: string) => `model Net {\n  input image: [8, 8, 3]\n  ${call}\n}\n`;

function errors(result: Compilation): string[] {
  return result.diagnostics.map((d) => `${d.code} ${d.message}`);
}

describe("import paths", () => {
  it("resolve `./` and `../` from the importing file's folder, adding a missing `.cnn`", () => {
    expect(resolveImport("./blocks.cnn", "/p/net/main.cnn")).toMatchObject({ path: "/p/net/blocks.cnn" });
    expect(resolveImport("./blocks", "/p/net/main.cnn")).toMatchObject({ path: "/p/net/blocks.cnn" });
    expect(resolveImport("../common/layers", "/p/net/main.cnn")).toMatchObject({ path: "/p/common/layers.cnn" });
  });

  it("resolve `std/NAME` in the package's stdlib folder, and nowhere outside it", () => {
    expect(STDLIB_FOLDER).toBe(STDLIB);
    expect(nodeHost.stdlibFolder).toBe(STDLIB);
    expect(resolveImport("std/resnet", "/p/main.cnn", STDLIB)).toMatchObject({ path: join(STDLIB, "resnet.cnn"), name: "std/resnet.cnn", std: true });
    expect(resolveImport("std/resnet", "/p/main.cnn")).toMatchObject({ path: `${BUILT_IN_STDLIB}/resnet.cnn`, name: "std/resnet.cnn", std: true });
    expect(resolveImport("std/../package.json", "/p/main.cnn")).toMatchObject({ error: expect.stringContaining("outside the standard library") });
  });

  it("refuse bare and absolute paths, offering the relative form for a bare one", () => {
    expect(resolveImport("blocks.cnn", "/p/main.cnn")).toMatchObject({ replacement: "./blocks.cnn" });
    expect(resolveImport("/p/blocks.cnn", "/p/main.cnn")).toMatchObject({ error: expect.stringContaining("absolute path") });
  });

  it("load a relative file without its extension, and the standard library from the host or built in", () => {
    const host = memoryHost({ "/p/blocks.cnn": "block twice(c) {\n  conv c, kernel: 3, padding: 1\n  conv c, kernel: 3, padding: 1\n}\n" });
    const result = compile(`import { twice } from "./blocks"\n` + NET("twice(4)"), { path: "/p/main.cnn", host });
    expect(errors(result)).toEqual([]);
    expect(result.models[0]!.params.trainable).toBe(3 * 3 * 3 * 4 + 4 + 3 * 3 * 4 * 4 + 4);
    // A host with a standard library folder is read there; one without gets the texts built into cnnc.
    const main = `import { basic } from "std/resnet"\n` + NET("basic(8)");
    const onDisk = compile(main, { path: "/p/main.cnn", host: { readFile: (p) => (p.startsWith(STDLIB) ? nodeHost.readFile(p) : undefined), listCnnFiles: () => [], stdlibFolder: STDLIB } });
    const builtIn = compile(main, { path: "/p/main.cnn", host });
    for (const std of [onDisk, builtIn]) {
      expect(errors(std)).toEqual([]);
      expect(std.sources.map((s) => s.name)).toEqual(["main.cnn", "std/resnet.cnn"]);
    }
    expect(onDisk.sources[1]!.path).toBe(join(STDLIB, "resnet.cnn"));
    expect(builtIn.sources[1]!.path).toBe(`${BUILT_IN_STDLIB}/resnet.cnn`);
    expect(builtIn.models[0]!.params).toEqual(onDisk.models[0]!.params);
  });
});

describe("loading", () => {
  it("reads and parses a file imported along two paths (a diamond) once", () => {
    const host = memoryHost({
      "/p/left.cnn": `import { unit } from "./base.cnn"\nblock left(c) { unit(c) }\n`,
      "/p/right.cnn": `import { unit } from "./base.cnn"\nblock right(c) { unit(c) }\n`,
      "/p/base.cnn": `block unit(c) { conv c, kernel: 1 -> relu }\n`,
    });
    const result = compile(`import { left } from "./left.cnn"\nimport { right } from "./right.cnn"\n` + NET("left(4) -> right(4)"), { path: "/p/main.cnn", host });
    expect(errors(result)).toEqual([]);
    expect(host.reads.get("/p/base.cnn")).toBe(1);
    expect(result.sources.map((s) => s.name)).toEqual(["main.cnn", "left.cnn", "base.cnn", "right.cnn"]);
    // Both paths reach the same declaration, so the block is the same object.
    const [left, right] = [result.modules[1]!, result.modules[3]!];
    expect(left.blocks.get("unit")).toBe(right.blocks.get("unit"));
  });

  it("reports a cycle of three files once, at the import that closes it, naming the chain", () => {
    const host = memoryHost({
      "/p/b.cnn": `import { c } from "./c.cnn"\nblock b(n) { c(n) }\n`,
      "/p/c.cnn": `import { a } from "./main.cnn"\nblock c(n) { a(n) }\n`,
    });
    const main = `import { b } from "./b.cnn"\nblock a(n) { conv n, kernel: 1 }\n` + NET("b(4)");
    const result = compile(main, { path: "/p/main.cnn", host });
    expect(errors(result)).toEqual(["E0802 import cycle: main.cnn → b.cnn → c.cnn → main.cnn"]);
    const { file, span } = result.locate(result.diagnostics[0]!.span);
    expect(file.name).toBe("c.cnn");
    expect(file.text.slice(span.start, span.end)).toBe(`import { a } from "./main.cnn"`);
  });

  it("suggests a close file name in the same folder for a missing file", () => {
    const host = memoryHost({ "/p/blocks.cnn": "block unit(c) { relu }\n" });
    const result = compile(`import { unit } from "./block.cnn"\n` + NET("unit(3)"), { path: "/p/main.cnn", host });
    expect(errors(result)).toEqual(["E0801 cannot find `./block.cnn`: there is no file at /p/block.cnn"]);
    expect(result.diagnostics[0]!.fixes[0]!.edits[0]!.newText).toBe('"./blocks.cnn"');
  });
});

describe("names across files", () => {
  it("keep the meaning of the file that declares them: its constants and its blocks", () => {
    const host = memoryHost({
      "/p/lib.cnn": `let width = 6\nblock inner(c) { conv c, kernel: 1 }\nblock outer() { inner(width) }\n`,
    });
    // The importer has its own `inner` and `width`; `outer` still uses lib.cnn's.
    const main = `import { outer } from "./lib.cnn"\nlet width = 99\nblock inner(c) { dense c }\n` + NET("outer()");
    const result = compile(main, { path: "/p/main.cnn", host });
    expect(errors(result)).toEqual([]);
    const conv = result.models[0]!.nodes.find((n) => n.op === "conv")!;
    expect(conv.shape).toEqual([8, 8, 6]);
    expect(conv.blockPath).toEqual(["outer", "inner"]);
  });

  it("import top-level constants and blocks under aliases", () => {
    const host = memoryHost({ "/p/lib.cnn": `let base = 4\nlet wide = base * 2\nblock unit(c) { conv c, kernel: 1 }\n` });
    const result = compile(`import { wide as channels, unit as Unit } from "./lib.cnn"\n` + NET("Unit(channels)"), { path: "/p/main.cnn", host });
    expect(errors(result)).toEqual([]);
    expect(result.models[0]!.nodes.at(-1)!.shape).toEqual([8, 8, 8]);
    expect(result.models[0]!.nodes.at(-1)!.blockPath).toEqual(["Unit"]);
  });

  it("give layers of an imported block the span of the call in the main file", () => {
    const main = `import { basic } from "std/resnet"\n` + NET("basic(3)");
    const result = compile(main, { path: "/p/main.cnn" });
    expect(errors(result)).toEqual([]);
    const call = main.indexOf("basic(3)");
    for (const node of result.models[0]!.nodes.slice(1)) expect(node.span).toEqual({ start: call, end: call + "basic(3)".length });
  });

  it("pass a tensor named by a block argument into the block", () => {
    const main = `import { decoder_stage } from "std/unet"\nmodel Net {\n  input image: [8, 8, 3]\n  conv 4, kernel: 1 as skip\n  maxpool 2\n  decoder_stage(4, skip)\n}\n`;
    const result = compile(main);
    expect(errors(result)).toEqual([]);
    expect(result.models[0]!.nodes.find((n) => n.op === "concat")!.shape).toEqual([8, 8, 8]);
  });

  it("report an error inside an imported block once, in that file, with the call as context", () => {
    const host = memoryHost({ "/p/lib.cnn": `block unit(c) {\n  conv c, kernel: 3, in_channels: 3\n}\n` });
    const main = `import { unit } from "./lib.cnn"\n` + NET("unit(4) -> unit(4) -> unit(4)");
    const result = compile(main, { path: "/p/main.cnn", host });
    expect(result.diagnostics.map((d) => d.code)).toEqual(["E0301"]);
    const text = renderDiagnostics(result.diagnostics, "net/main.cnn", main, { color: false, sources: result.sources });
    expect(text).toContain("--> net/lib.cnn:2:35");
    expect(text).toContain("::: net/main.cnn:4:14");
  });

  it("stay silent about calls of a name whose import failed", () => {
    const result = compile(`import { unit } from "./missing.cnn"\n` + NET("unit(4)"), { path: "/p/main.cnn", host: memoryHost({}) });
    expect(result.diagnostics.map((d) => d.code)).toEqual(["E0801"]);
  });
});
