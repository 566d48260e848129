// What a bundler takes for chevrotain.ts (package.json's "browser" field): the bundler
// resolves and bundles the package itself, so no loader and no Node module is needed.

export { CstParser, EMPTY_ALT, EOF, Lexer, createToken } from "chevrotain";
export type { CstElement, CstNode, IParserErrorMessageProvider, IToken, TokenType } from "chevrotain";
