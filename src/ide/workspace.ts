// Editor features across files: go to a declaration in an imported file, and find or
// rename a block or top-level constant everywhere it is used, in the file that declares
// it and in every file that imports it.
//
// Like the single-file features, these are plain functions over analyses and offsets;
// the language server decides which files make up the workspace (its open documents and
// the `.cnn` files under its workspace folders) and how to analyse each.

import { BUILT_IN_STDLIB } from "../check/modules.js";
import { join } from "../diagnostics/paths.js";
import type { Span, TextEdit } from "../diagnostics/diagnostic.js";
import { lookupOp } from "../ops/registry.js";
import { KEYWORD_TEXTS } from "../syntax/lexer.js";
import type { Analysis } from "./analysis.js";
import { referenceAt, referencesTo, type ReferenceRole, type SourceSymbol } from "./symbols.js";

/** A span in a file's own offsets; `path` undefined means the file the request came from. */
export interface FileSpan {
  path?: string;
  span: Span;
}

/** A block or top-level constant that other files can import: where it is declared, and its name there. */
export interface ExportedName {
  path: string;
  name: string;
}

export interface WorkspaceFile {
  /** The absolute path. */
  path: string;
  text: string;
}

export interface CrossFileReference {
  path: string;
  span: Span;
  role: ReferenceRole;
  /** Whether renaming the declaration changes this text (an alias, and the uses through it, stay). */
  renamed: boolean;
}

/** Go to definition, into the other file for an imported block or constant. */
export function definitionAcrossFiles(analysis: Analysis, offset: number): FileSpan | undefined {
  const symbol = referenceAt(analysis.symbols, offset)?.symbol;
  if (symbol === undefined) return undefined;
  const target = symbol.imported?.target;
  if (target === undefined) return { span: symbol.span };
  const { file, span } = analysis.compilation.locate(target.name.span);
  return file.base === 0 ? { span } : { path: file.path, span };
}

/**
 * The importable declaration the name under the cursor stands for, if any: a block or
 * top-level constant declared in this file (at `path`), or one imported from another file.
 * For a rename, an alias is a name of this file only: renaming it does not reach the
 * declaration, unless the cursor is on the declared name in `import { NAME as ALIAS }`.
 */
export function exportedNameAt(analysis: Analysis, offset: number, path: string | undefined, forRename: boolean): ExportedName | undefined {
  const reference = referenceAt(analysis.symbols, offset);
  if (reference === undefined) return undefined;
  const symbol = reference.symbol;
  if (symbol.imported !== undefined) {
    const { binding, path: from, target } = symbol.imported;
    if (target === undefined || from === undefined) return undefined;
    if (forRename && binding.entry.alias !== undefined && reference.role !== "imported-name") return undefined;
    return { path: from, name: target.name.text };
  }
  return path !== undefined && isTopLevelDeclaration(analysis, symbol) ? { path, name: symbol.name } : undefined;
}

/** A block, or a top-level constant, declared in the analysed file itself. */
function isTopLevelDeclaration(analysis: Analysis, symbol: SourceSymbol): boolean {
  if (symbol.imported !== undefined || symbol.owner !== undefined) return false;
  if (symbol.kind === "block") return true;
  return symbol.kind === "constant" && analysis.compilation.program.constants.some((c) => c.name.span === symbol.span);
}

/** Whether a file lies in the standard library's folder (the host's, or the built-in one). */
export function isStandardLibrary(path: string, stdlibFolder: string = BUILT_IN_STDLIB): boolean {
  return path.startsWith(join(stdlibFolder) + "/");
}

/**
 * Every mention of an importable declaration in the workspace. Only files whose text
 * mentions the name are analysed, so a search costs little more than reading the files.
 */
export function crossFileReferences(target: ExportedName, files: readonly WorkspaceFile[], analyze: (file: WorkspaceFile) => Analysis): CrossFileReference[] {
  const out: CrossFileReference[] = [];
  const seen = new Set<string>();
  for (const file of files) {
    if (seen.has(file.path) || !file.text.includes(target.name)) continue;
    seen.add(file.path);
    if (file.path !== target.path && !file.text.includes("import")) continue;
    const analysis = analyze(file);
    for (const symbol of analysis.symbols.symbols) {
      let aliased = false;
      if (file.path === target.path) {
        if (symbol.name !== target.name || !isTopLevelDeclaration(analysis, symbol)) continue;
      } else {
        const imported = symbol.imported;
        if (imported?.path !== target.path || imported.target?.name.text !== target.name) continue;
        aliased = imported.binding.entry.alias !== undefined;
      }
      for (const reference of referencesTo(analysis.symbols, symbol)) {
        out.push({ path: file.path, span: reference.span, role: reference.role, renamed: !aliased || reference.role === "imported-name" });
      }
    }
  }
  return out.sort((a, b) => a.path.localeCompare(b.path) || a.span.start - b.span.start);
}

export type CrossFileRename = { edits: Map<string, TextEdit[]> } | { error: string };

/** Renames an importable declaration in its file and in every file that imports it. */
export function renameAcrossFiles(target: ExportedName, newName: string, files: readonly WorkspaceFile[], analyze: (file: WorkspaceFile) => Analysis, stdlibFolder?: string): CrossFileRename {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(newName)) return { error: `\`${newName}\` is not a name: use letters, digits and underscores, starting with a letter` };
  if (KEYWORD_TEXTS.has(newName)) return { error: `\`${newName}\` is a keyword` };
  if (isStandardLibrary(target.path, stdlibFolder)) return { error: `\`${target.name}\` is declared in the standard library, which cannot be renamed; import it under another name with \`as\`` };
  const references = crossFileReferences(target, files, analyze).filter((r) => r.renamed);
  const edits = new Map<string, TextEdit[]>();
  for (const reference of references) {
    const list = edits.get(reference.path) ?? [];
    list.push({ span: reference.span, newText: newName });
    edits.set(reference.path, list);
  }
  if (newName === target.name) return { edits };
  if (lookupOp(newName) !== undefined) return { error: `\`${newName}\` is a layer kind` };
  for (const path of edits.keys()) {
    const file = files.find((f) => f.path === path)!;
    const analysis = analyze(file);
    const taken = analysis.symbols.declarations.has(newName) || analysis.symbols.symbols.some((s) => s.owner === undefined && s.name === newName && (s.kind === "constant" || s.kind === "block"));
    if (taken) return { error: `\`${newName}\` is already declared in ${path === target.path ? "the file that declares it" : path}` };
  }
  return { edits };
}
