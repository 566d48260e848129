// Chevrotain's package entry point loads some 650 lodash-es modules, which took 0.6 s of
// every `cnnc` start-up here; the single-file bundle it ships beside them loads in a third
// of that. The bundle is the same library, so types still come from the package.

import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import type * as Chevrotain from "chevrotain";

const entry = createRequire(import.meta.url).resolve("chevrotain");
const bundle = join(dirname(entry), "..", "chevrotain.mjs");
const chevrotain = (await import(pathToFileURL(bundle).href)) as typeof Chevrotain;

export const { CstParser, EMPTY_ALT, EOF, Lexer, createToken } = chevrotain;
export type { CstElement, CstNode, IParserErrorMessageProvider, IToken, TokenType } from "chevrotain";
