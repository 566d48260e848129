// In the extension's bundle the parser library is bundled too, so the compiler's loader for
// Chevrotain's prebuilt single file (src/syntax/chevrotain.ts) is replaced by this module.

export { CstParser, EMPTY_ALT, EOF, Lexer, createToken } from "chevrotain";
