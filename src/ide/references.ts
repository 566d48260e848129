// Find references: every mention of the symbol under the cursor, in source order.

import type { Span } from "../diagnostics/diagnostic.js";
import type { Analysis } from "./analysis.js";
import { referenceAt, referencesTo } from "./symbols.js";

export function references(analysis: Analysis, offset: number, includeDeclaration: boolean): Span[] {
  const reference = referenceAt(analysis.symbols, offset);
  if (reference === undefined) return [];
  return referencesTo(analysis.symbols, reference.symbol)
    .filter((r) => includeDeclaration || r.role !== "declaration")
    .map((r) => r.span);
}
