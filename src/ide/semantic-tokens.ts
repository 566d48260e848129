// Semantic tokens: a kind for every word, from name resolution rather than patterns, so a
// block call, a layer kind, a tensor name, a parameter and a choice such as `same` each
// get their own colour. Keywords, numbers, strings and comments are included too, for
// editors without the TextMate grammar.

import * as T from "../syntax/lexer.js";
import { BUILTIN_FUNCTIONS } from "../check/values.js";
import type { Analysis } from "./analysis.js";
import type { SymbolKind } from "./symbols.js";

/** The token types and modifiers, in the order the server announces them. */
export const TOKEN_TYPES = ["keyword", "number", "string", "comment", "function", "class", "namespace", "parameter", "variable", "property", "enumMember", "operator"] as const;
export const TOKEN_MODIFIERS = ["declaration", "readonly", "defaultLibrary", "documentation"] as const;

export type TokenTypeName = (typeof TOKEN_TYPES)[number];
export type TokenModifierName = (typeof TOKEN_MODIFIERS)[number];

export interface SemanticToken {
  start: number;
  length: number;
  type: TokenTypeName;
  modifiers: TokenModifierName[];
}

const SYMBOL_TYPES: Record<SymbolKind, TokenTypeName> = {
  model: "class",
  block: "function",
  parameter: "parameter",
  constant: "variable",
  "loop-variable": "variable",
  tensor: "variable",
};

export function semanticTokens(analysis: Analysis): SemanticToken[] {
  const index = analysis.symbols;
  const references = new Map(index.references.map((r) => [r.span.start, r]));
  const callNames: { start: number; end: number; block: boolean }[] = index.calls.map((site) => ({ ...site.call.name.span, block: index.declarations.get(site.call.name.text)?.kind === "block" }));
  const callNameStarts = new Map<number, boolean>();
  for (const name of callNames) {
    // `global avgpool`: the call name spans both words; colour the second one as the layer.
    const words = /^global\s+/.exec(analysis.text.slice(name.start, name.end));
    callNameStarts.set(words ? name.start + words[0].length : name.start, name.block);
  }
  const { tokens, comments } = T.lex(analysis.text);
  const out: SemanticToken[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const type = token.tokenType;
    const start = token.startOffset;
    const length = token.image.length;
    if (type === T.Newline) continue;
    if (type === T.NumberLiteral) out.push({ start, length, type: "number", modifiers: [] });
    else if (type === T.StringLiteral) out.push({ start, length, type: "string", modifiers: [] });
    else if (type === T.Arrow) out.push({ start, length, type: "operator", modifiers: [] });
    else if (T.KEYWORDS.includes(type)) {
      const reference = references.get(start);
      if (reference !== undefined) out.push({ start, length, type: SYMBOL_TYPES[reference.symbol.kind], modifiers: reference.role === "declaration" ? ["declaration"] : [] });
      else out.push({ start, length, type: "keyword", modifiers: [] });
    } else if (type === T.Identifier) {
      out.push({ start, length, ...identifierKind(start, tokens[i + 1]?.tokenType) });
    }
  }
  for (const comment of comments) {
    if (comment.image.includes("\n")) continue;
    out.push({ start: comment.startOffset, length: comment.image.length, type: "comment", modifiers: comment.tokenType === T.DocComment ? ["documentation"] : [] });
  }
  return out.sort((a, b) => a.start - b.start);

  function identifierKind(start: number, next: unknown): { type: TokenTypeName; modifiers: TokenModifierName[] } {
    const reference = references.get(start);
    if (reference !== undefined) {
      const kind = reference.symbol.kind;
      const modifiers: TokenModifierName[] = [];
      if (reference.role === "declaration") modifiers.push("declaration");
      if (kind === "constant" || kind === "loop-variable" || kind === "parameter") modifiers.push("readonly");
      if (reference.role === "named-argument") return { type: "property", modifiers: [] };
      return { type: SYMBOL_TYPES[kind], modifiers };
    }
    const block = callNameStarts.get(start);
    if (block !== undefined) return { type: "function", modifiers: block ? [] : ["defaultLibrary"] };
    if (next === T.Colon) return { type: "property", modifiers: [] };
    if (next === T.LParen) return { type: "function", modifiers: BUILTIN_FUNCTIONS.includes(analysis.text.slice(start, analysis.text.indexOf("(", start)).trim()) ? ["defaultLibrary"] : [] };
    return { type: "enumMember", modifiers: [] };
  }
}
