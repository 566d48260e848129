// Go to definition: from a block call, a named tensor, a parameter, a constant or a loop
// variable to the name that declares it.

import type { Span } from "../diagnostics/diagnostic.js";
import type { Analysis } from "./analysis.js";
import { referenceAt } from "./symbols.js";

export function definition(analysis: Analysis, offset: number): Span | undefined {
  return referenceAt(analysis.symbols, offset)?.symbol.span;
}
