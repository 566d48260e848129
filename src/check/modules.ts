// Imports: several files in one compilation.
//
// Like rustc's source map, every file gets its own range of offsets: the main file starts
// at 0, so a single-file compilation is exactly what it always was, and each imported file
// starts after the previous one ends. An imported file's syntax tree is shifted by its
// base, so a span anywhere (a diagnostic, a related note, a call's facts) says by itself
// which file it lies in, and `SourceMap.locate` turns it back into a file and a local span.
//
// Each file is read, parsed and checked once per compilation, however many files import
// it. Its names live in its own module scope: a block from another file calls the blocks
// and uses the constants of the file that declares it, not those of its importer.

import { diagnostic } from "../diagnostics/codes.js";
import type { DiagnosticSink } from "../diagnostics/diagnostic.js";
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from "../diagnostics/paths.js";
import { SourceMap, type SourceFile } from "../diagnostics/source-map.js";
import { lookupOp } from "../ops/registry.js";
import type { BlockDecl, ConstantDecl, Identifier, ImportDecl, ImportName, ModelDecl, Program } from "../syntax/ast.js";
import { parse } from "../syntax/parse.js";
import { collectDeclarations } from "./declarations.js";
import { STDLIB_TEXTS } from "./stdlib-texts.js";
import { closestMatch } from "./suggest.js";
import { Evaluator, FAILED, isSymbol, Scope } from "./values.js";

export type { SourceFile } from "../diagnostics/source-map.js";

/**
 * Reads the files a compilation imports. The front end has no file access of its own: Node
 * front doors pass `nodeHost` (src/host/node.ts), the language server one that prefers
 * open, unsaved buffers, a browser `memoryHost`.
 */
export interface SourceHost {
  /** The text of a file, or undefined when there is no readable file at that absolute path. */
  readFile(path: string): string | undefined;
  /** The names of the `.cnn` files in a folder, for did-you-mean suggestions. */
  listCnnFiles(folder: string): string[];
  /** The absolute folder `std/NAME` imports resolve in; BUILT_IN_STDLIB when not given. */
  readonly stdlibFolder?: string;
  /** The absolute folder a relative path resolves from when no importing file gives one; `/` when not given. */
  readonly workingFolder?: string;
}

/**
 * Where `std/NAME` resolves for a host without a standard library folder of its own: a
 * folder that exists nowhere, whose files are the texts built into cnnc.
 */
export const BUILT_IN_STDLIB = "/cnnc/stdlib";

/**
 * A host over the given files (absolute path → text) and nothing else; the standard library
 * is the built-in one. What a browser, or a test, passes.
 */
export function memoryHost(files: Readonly<Record<string, string>> = {}): SourceHost {
  return {
    readFile: (path) => (Object.hasOwn(files, path) ? files[path] : undefined),
    listCnnFiles: (folder) =>
      Object.keys(files)
        .filter((path) => dirname(path) === folder && path.endsWith(".cnn"))
        .map((path) => basename(path)),
  };
}

/** What names mean inside one file's declarations: its blocks and constants, its own and imported. */
export interface ModuleScope {
  blocks: ReadonlyMap<string, BlockDecl>;
  constants: Scope;
  /** Names whose import failed: already reported, so uses of them stay silent. */
  silent: ReadonlySet<string>;
}

/** One name of an import statement and what it resolved to. */
export interface ImportBinding {
  statement: ImportDecl;
  entry: ImportName;
  /** The name it has in the importing file: the alias, or the name itself. */
  local: Identifier;
  /** The file it comes from; undefined when that file could not be loaded. */
  module?: Module;
  /** The block or constant it names in that file; undefined when there is none. */
  target?: BlockDecl | ConstantDecl;
}

export interface Module extends ModuleScope {
  source: SourceFile;
  program: Program;
  imports: ImportBinding[];
  /** Where each import statement's file resolved, or undefined when it did not. */
  importPaths: Map<ImportDecl, string | undefined>;
  localBlocks: ReadonlyMap<string, BlockDecl>;
  localConstants: ReadonlyMap<string, ConstantDecl>;
  models: ModelDecl[];
}

export type ResolvedImport = { path: string; name: string; std: boolean } | { error: string; help?: string; replacement?: string };

/**
 * Where an import path points. `std/NAME` is in the standard library; `./` and `../`
 * paths are relative to the importing file's folder (the working folder for a text
 * compiled without a path). A missing `.cnn` is added.
 */
export function resolveImport(spec: string, importer: string | undefined, stdlib: string = BUILT_IN_STDLIB, workingFolder = "/"): ResolvedImport {
  const withExtension = (p: string): string => (extname(p) === ".cnn" ? p : `${p}.cnn`);
  if (spec.startsWith("std/")) {
    const name = withExtension(spec.slice(4));
    const path = resolve(stdlib, name);
    if (!path.startsWith(stdlib + "/")) return { error: `\`${spec}\` is outside the standard library`, help: "standard library paths look like `std/resnet`" };
    return { path, name: `std/${name}`, std: true };
  }
  if (spec.startsWith("./") || spec.startsWith("../")) {
    const folder = importer === undefined ? workingFolder : dirname(importer);
    return { path: resolve(folder, withExtension(spec)), name: "", std: false };
  }
  if (isAbsolute(spec)) return { error: `\`${spec}\` is an absolute path`, help: "import with a path relative to this file, such as `./blocks.cnn`, so the files can move together" };
  return {
    error: `\`${spec}\` is neither a relative path nor in the standard library`,
    help: `write \`./${spec}\` for a file next to this one, or \`std/NAME\` for the standard library`,
    replacement: `./${spec}`,
  };
}

const NO_SILENT: ReadonlySet<string> = new Set();

/** Loads a main text and, recursively, every file it imports. */
/**
 * Imported files' syntax trees, by offset and text: an editor checks the main file on every
 * keystroke while the files it imports stay the same, so their trees (and the elaboration
 * results that point at them) can be reused. Trees are never changed after parsing.
 */
const importedTrees = new Map<string, ReturnType<typeof parse>>();
const IMPORTED_TREES_KEPT = 256;

function parseImported(text: string, base: number, imported: boolean): ReturnType<typeof parse> {
  if (!imported) return parse(text, base);
  const key = `${base}\u0000${text}`;
  let tree = importedTrees.get(key);
  if (tree === undefined) {
    if (importedTrees.size >= IMPORTED_TREES_KEPT) importedTrees.clear();
    tree = parse(text, base);
    importedTrees.set(key, tree);
  }
  return tree;
}

export class ModuleLoader {
  readonly sources = new SourceMap();
  readonly modules: Module[] = [];
  /** Each declaration's file, for the elaborator. */
  readonly scopes = new Map<BlockDecl | ModelDecl, ModuleScope>();
  private readonly byPath = new Map<string, Module>();
  /** The files being loaded, outermost first: an import of one of them closes a cycle. */
  private readonly stack: Module[] = [];
  private readonly evaluator: Evaluator;
  private readonly stdlib: string;
  private readonly workingFolder: string;
  private mainFolder: string;

  constructor(
    private readonly host: SourceHost,
    private readonly sink: DiagnosticSink,
  ) {
    this.evaluator = new Evaluator(sink);
    // Normalized like every path the loader makes (a Windows host's folders come with backslashes).
    this.stdlib = join(host.stdlibFolder ?? BUILT_IN_STDLIB);
    this.workingFolder = join(host.workingFolder ?? "/");
    this.mainFolder = this.workingFolder;
  }

  /** A file's text from the host; a standard library file the host lacks is the built-in one. */
  private readFile(path: string, std: boolean): string | undefined {
    return this.host.readFile(path) ?? (std && dirname(path) === this.stdlib ? STDLIB_TEXTS[basename(path)] : undefined);
  }

  private listCnnFiles(folder: string): string[] {
    const listed = this.host.listCnnFiles(folder);
    return listed.length === 0 && folder === this.stdlib ? Object.keys(STDLIB_TEXTS) : listed;
  }

  /**
   * Loads the main file and what it imports. `parsed` is the main file's syntax tree when the
   * caller already has it (the language server assembles it from unchanged pieces); its
   * syntax diagnostics are then the caller's to report.
   */
  loadMain(text: string, path: string | undefined, parsed?: { program: Program }): Module {
    const absolute = path === undefined ? undefined : resolve(this.workingFolder, path);
    if (absolute !== undefined) this.mainFolder = dirname(absolute);
    return this.load(absolute, absolute === undefined ? "" : basename(absolute), text, parsed);
  }

  private load(path: string | undefined, name: string, text: string, parsed?: { program: Program }): Module {
    const source = this.sources.add(path, name, text);
    const { program, diagnostics } = parsed === undefined ? parseImported(text, source.base, source.base !== 0) : { program: parsed.program, diagnostics: [] };
    for (const d of diagnostics) this.sink.add(d);
    const module: Module = {
      source,
      program,
      imports: [],
      importPaths: new Map(),
      blocks: new Map(),
      constants: new Scope(),
      silent: new Set(),
      localBlocks: new Map(),
      localConstants: new Map(),
      models: [],
    };
    this.modules.push(module);
    if (path !== undefined) this.byPath.set(path, module);
    this.stack.push(module);
    try {
      for (const statement of program.imports) this.importStatement(module, statement);
    } finally {
      this.stack.pop();
    }
    this.declare(module);
    return module;
  }

  private importStatement(module: Module, statement: ImportDecl): void {
    if (statement.path === "" && statement.names.length === 0) return;
    const silence = (): void => {
      for (const entry of statement.names) {
        const local = entry.alias ?? entry.name;
        if (local.text !== "") (module.silent as Set<string>).add(local.text);
        module.imports.push({ statement, entry, local });
      }
      module.importPaths.set(statement, undefined);
    };
    if (statement.path === "") return silence();
    const resolved = resolveImport(statement.path, module.source.path, this.stdlib, this.workingFolder);
    if ("error" in resolved) {
      const fixes = resolved.replacement === undefined ? [] : [{ title: `Change to \`"${resolved.replacement}"\``, edits: [{ span: statement.pathSpan, newText: JSON.stringify(resolved.replacement) }] }];
      this.sink.add(diagnostic("E0801", statement.pathSpan, `cannot import ${resolved.error}`, { help: resolved.help, fixes }));
      return silence();
    }
    module.importPaths.set(statement, resolved.path);
    let target = this.byPath.get(resolved.path);
    if (target !== undefined && this.stack.includes(target)) {
      const chain = [...this.stack.slice(this.stack.indexOf(target)), target].map((m) => m.source.name).join(" → ");
      this.sink.add(
        diagnostic("E0802", statement.span, `import cycle: ${chain}`, {
          help: "files cannot import each other in a cycle: move the shared blocks to a file that both import",
        }),
      );
      return silence();
    }
    if (target === undefined) {
      const text = this.readFile(resolved.path, resolved.std);
      if (text === undefined) {
        this.missingFile(statement, resolved.path, resolved.std);
        return silence();
      }
      const name = resolved.std ? resolved.name : relative(this.mainFolder, resolved.path);
      target = this.load(resolved.path, name, text);
    }
    for (const entry of statement.names) this.bindName(module, statement, entry, target);
  }

  private missingFile(statement: ImportDecl, path: string, std: boolean): void {
    const folder = dirname(path);
    const wanted = basename(path);
    const candidates = this.listCnnFiles(folder).filter((f) => f !== wanted);
    const close = closestMatch(wanted.replace(/\.cnn$/, ""), candidates.map((f) => f.replace(/\.cnn$/, "")));
    let help: string;
    const fixes = [];
    if (close !== undefined) {
      // Keep the writer's style: a path written without `.cnn` is corrected without it.
      const written = statement.path;
      const corrected = written.slice(0, written.length - basename(written).length) + (extname(written) === ".cnn" ? `${close}.cnn` : close);
      help = `did you mean \`${corrected}\`?`;
      fixes.push({ title: `Change to \`"${corrected}"\``, edits: [{ span: statement.pathSpan, newText: JSON.stringify(corrected) }] });
    } else if (std) {
      const all = this.listCnnFiles(folder).map((f) => `\`std/${f.replace(/\.cnn$/, "")}\``);
      help = all.length > 0 ? `the standard library has ${all.join(", ")}` : "the standard library is missing from this installation of cnnc";
    } else help = "check the path: it is relative to the folder of this file";
    this.sink.add(diagnostic("E0801", statement.pathSpan, `cannot find \`${statement.path}\`: there is no file at ${path}`, { help, fixes }));
  }

  private bindName(module: Module, statement: ImportDecl, entry: ImportName, target: Module): void {
    const local = entry.alias ?? entry.name;
    const binding: ImportBinding = { statement, entry, local, module: target };
    module.imports.push(binding);
    const name = entry.name.text;
    if (name === "") return;
    const block = target.localBlocks.get(name);
    const constant = target.localConstants.get(name);
    if (block !== undefined || constant !== undefined) {
      binding.target = block ?? constant;
      return;
    }
    if (local.text !== "") (module.silent as Set<string>).add(local.text);
    const file = target.source.name;
    const model = target.models.find((m) => m.name.text === name);
    if (model !== undefined) {
      this.sink.add(
        diagnostic("E0805", entry.name.span, `\`${name}\` is a model, and models cannot be imported`, {
          related: [{ span: model.name.span, message: `\`${name}\` is declared here` }],
          help: "only blocks and top-level `let` constants can be imported: move the layers to reuse into a block",
        }),
      );
      return;
    }
    const reexport = target.imports.find((b) => b.local.text === name && b.target !== undefined);
    if (reexport !== undefined) {
      this.sink.add(
        diagnostic("E0803", entry.name.span, `\`${file}\` imports \`${name}\` but does not declare it`, {
          related: [{ span: reexport.local.span, message: "imported here" }],
          help: `import it from \`${reexport.statement.path}\`, where it is declared`,
        }),
      );
      return;
    }
    const exported = [...target.localBlocks.keys(), ...target.localConstants.keys()];
    const suggestion = closestMatch(name, exported);
    this.sink.add(
      diagnostic("E0803", entry.name.span, `\`${file}\` has no block or constant named \`${name}\``, {
        help: suggestion !== undefined ? `did you mean \`${suggestion}\`?` : exported.length > 0 ? `it declares ${exported.map((n) => `\`${n}\``).join(", ")}` : "it declares no blocks or top-level constants",
        fixes: suggestion !== undefined ? [{ title: `Change to \`${suggestion}\``, edits: [{ span: entry.name.span, newText: suggestion }] }] : [],
      }),
    );
  }

  /** Checks a file's own declarations and binds its names: imports first, then what it declares. */
  private declare(module: Module): void {
    const program = module.program;
    const localNames = new Map<string, Identifier>();
    for (const decl of program.declarations) if (decl.kind !== "train" && decl.name.text !== "" && !localNames.has(decl.name.text)) localNames.set(decl.name.text, decl.name);
    const importedBlocks = new Map<string, BlockDecl>();
    const importedConstants: ImportBinding[] = [];
    const importedNames = new Map<string, Identifier>();
    for (const binding of module.imports) {
      const name = binding.local.text;
      if (name === "") continue;
      const clash = localNames.get(name) ?? importedNames.get(name) ?? program.constants.find((c) => c.name.text === name)?.name;
      if (clash !== undefined || (binding.target?.kind === "block" && lookupOp(name) !== undefined)) {
        this.sink.add(
          clash === undefined
            ? diagnostic("E0804", binding.local.span, `\`${name}\` is the name of a layer kind`, { help: `import it under another name: \`${binding.entry.name.text} as ${name[0]!.toUpperCase()}${name.slice(1)}\`` })
            : diagnostic("E0804", binding.local.span, `\`${name}\` is imported, but the name is already ${importedNames.has(name) ? "imported" : "declared in this file"}`, {
                related: [{ span: clash.span, message: importedNames.has(name) ? "imported here first" : "declared here" }],
                help: `import it under another name: \`${binding.entry.name.text} as OTHER\``,
              }),
        );
        (module.silent as Set<string>).delete(name);
        binding.target = undefined;
        continue;
      }
      importedNames.set(name, binding.local);
      if (binding.target?.kind === "block") importedBlocks.set(name, binding.target);
      else if (binding.target?.kind === "let") importedConstants.push(binding);
    }
    const { blocks, models } = collectDeclarations(program, this.sink, { blocks: importedBlocks, silent: module.silent });
    module.blocks = blocks;
    module.models = models;
    const localBlocks = new Map<string, BlockDecl>();
    for (const decl of program.declarations) if (decl.kind === "block" && blocks.get(decl.name.text) === decl) localBlocks.set(decl.name.text, decl);
    module.localBlocks = localBlocks;
    for (const binding of importedConstants) {
      const constant = binding.target as ConstantDecl;
      const value = binding.module!.constants.lookup(constant.name.text);
      module.constants.define(binding.local.text, { value: value?.value ?? FAILED, span: binding.local.span });
    }
    this.constants(module, localNames);
    const scope: ModuleScope = { blocks: module.blocks, constants: module.constants, silent: module.silent.size === 0 ? NO_SILENT : module.silent };
    for (const decl of [...localBlocks.values(), ...models]) this.scopes.set(decl, scope);
  }

  /** Evaluates the file's top-level constants in order; each may use those above it and imported ones. */
  private constants(module: Module, declared: ReadonlyMap<string, Identifier>): void {
    const localConstants = new Map<string, ConstantDecl>();
    for (const constant of module.program.constants) {
      const name = constant.name.text;
      if (name === "") continue;
      const earlier = localConstants.get(name)?.name.span ?? declared.get(name)?.span ?? (module.constants.hasOwn(name) ? module.constants.lookup(name)!.span : undefined);
      if (earlier !== undefined) {
        this.sink.add(diagnostic("E0209", constant.name.span, `\`${name}\` is already declared`, { related: [{ span: earlier, message: "first declared here" }], help: "rename one of them" }));
        continue;
      }
      let value = this.evaluator.evaluate(constant.value, module.constants);
      if (value !== undefined && isSymbol(value)) value = this.evaluator.reportUnknownName(value);
      module.constants.define(name, { value: value ?? FAILED, span: constant.name.span });
      localConstants.set(name, constant);
    }
    module.localConstants = localConstants;
  }
}
