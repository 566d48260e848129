// Rename: a block, model, named tensor, parameter, constant or loop variable, with every
// mention of it (a block parameter's named arguments at the call sites included). A new
// name must be a name the language accepts there and must not collide with one in scope.

import { KEYWORD_TEXTS } from "../syntax/lexer.js";
import type { Span, TextEdit } from "../diagnostics/diagnostic.js";
import { lookupOp } from "../ops/registry.js";
import { BUILTIN_FUNCTIONS } from "../check/values.js";
import type { Analysis } from "./analysis.js";
import { referenceAt, referencesTo, type SourceSymbol } from "./symbols.js";

export type PrepareRenameResult = { span: Span; placeholder: string } | { error: string };
export type RenameResult = { edits: TextEdit[] } | { error: string };

export function prepareRename(analysis: Analysis, offset: number): PrepareRenameResult {
  const reference = referenceAt(analysis.symbols, offset);
  if (reference === undefined) return { error: "only blocks, models, named tensors, parameters, constants and loop variables can be renamed" };
  return { span: reference.span, placeholder: reference.symbol.name };
}

export function rename(analysis: Analysis, offset: number, newName: string): RenameResult {
  const reference = referenceAt(analysis.symbols, offset);
  if (reference === undefined) return { error: "only blocks, models, named tensors, parameters, constants and loop variables can be renamed" };
  const symbol = reference.symbol;
  // Renaming an imported name itself (not an alias for it) must reach the file that declares
  // it; only the workspace-wide rename in workspace.ts can, so this one refuses.
  if (symbol.imported !== undefined && (symbol.imported.binding.entry.alias === undefined || reference.role === "imported-name")) {
    return { error: `\`${symbol.imported.binding.entry.name.text}\` is declared in \`${symbol.imported.binding.statement.path}\`: rename it there` };
  }
  const problem = nameProblem(analysis, symbol, newName);
  if (problem !== undefined) return { error: problem };
  // An alias's rename leaves the other file's name in `import { NAME as ALIAS }` alone.
  return { edits: referencesTo(analysis.symbols, symbol).filter((r) => r.role !== "imported-name").map((r) => ({ span: r.span, newText: newName })) };
}

function nameProblem(analysis: Analysis, symbol: SourceSymbol, newName: string): string | undefined {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(newName)) return `\`${newName}\` is not a name: use letters, digits and underscores, starting with a letter`;
  if (KEYWORD_TEXTS.has(newName)) return `\`${newName}\` is a keyword`;
  if (newName === symbol.name) return undefined;
  if (symbol.kind === "model" || symbol.kind === "block") {
    if (lookupOp(newName) !== undefined) return `\`${newName}\` is a layer kind`;
    if (analysis.symbols.declarations.has(newName)) return `\`${newName}\` is already declared`;
    return undefined;
  }
  if (symbol.kind !== "tensor" && BUILTIN_FUNCTIONS.includes(newName)) return `\`${newName}\` is a built-in function`;
  const clash = analysis.symbols.symbols.find((other) => other !== symbol && other.owner === symbol.owner && other.name === newName && other.kind !== "model" && other.kind !== "block" && overlaps(other.scope, symbol.scope));
  if (clash !== undefined) return `\`${newName}\` is already a ${clash.kind === "loop-variable" ? "loop variable" : clash.kind} here`;
  return undefined;
}

function overlaps(a: Span, b: Span): boolean {
  return a.start <= b.end && b.start <= a.end;
}
