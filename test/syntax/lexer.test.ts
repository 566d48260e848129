// The hand-written scanner in src/syntax/lexer.ts against Chevrotain's lexer built from
// the same token definitions: the same tokens, comments and errors on every input.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { createToken, Lexer, type IToken, type TokenType } from "../../src/syntax/chevrotain.js";
import { ALL_TOKENS, lex, Newline, NOT_APPLICABLE, Semicolon, SKIPPED } from "../../src/syntax/lexer.js";
import { ARBITRARY_TEXT, SOURCES } from "./sources.js";

/** Chevrotain's own tokens with the definitions lexer.ts makes without Chevrotain. */
function chevrotainTokens(): TokenType[] {
  const made = new Map<TokenType, TokenType>();
  const make = (ours: TokenType): TokenType => {
    let theirs = made.get(ours);
    if (theirs === undefined) {
      theirs = createToken({
        name: ours.name,
        pattern: ours.PATTERN === NOT_APPLICABLE ? Lexer.NA : ours.PATTERN!,
        ...(ours.LABEL !== undefined ? { label: ours.LABEL } : {}),
        ...(ours.GROUP !== undefined ? { group: ours.GROUP === SKIPPED ? Lexer.SKIPPED : ours.GROUP } : {}),
        ...(ours.LONGER_ALT !== undefined ? { longer_alt: make(ours.LONGER_ALT as TokenType) } : {}),
        ...(ours.LINE_BREAKS !== undefined ? { line_breaks: ours.LINE_BREAKS } : {}),
        categories: (ours.CATEGORIES ?? []).map(make),
      });
      made.set(ours, theirs);
    }
    return theirs;
  };
  return ALL_TOKENS.map(make);
}

const chevrotain = new Lexer(chevrotainTokens(), { positionTracking: "onlyOffset" });
// Tokens of the two lexers are compared by kind name: the kinds are different objects.
const NEWLINE = Newline.name;
const SEMICOLON = Semicolon.name;

const plain = (tokens: IToken[]): [string, string, number][] => tokens.map((t) => [t.tokenType.name, t.image, t.startOffset]);

function assertSameAsChevrotain(text: string): void {
  const reference = chevrotain.tokenize(text);
  const ours = lex(text);
  // `lex` then turns `;` into a new line and drops the new lines inside brackets; compare before that.
  const significant = reference.tokens.filter((t) => t.tokenType.name !== NEWLINE && t.tokenType.name !== SEMICOLON);
  expect(plain(ours.tokens.filter((t) => t.tokenType !== Newline))).toEqual(plain(significant));
  expect(plain(ours.comments)).toEqual(plain(reference.groups["comments"] ?? []));
  expect(plain(ours.hashComments)).toEqual(plain(reference.groups["invalid"] ?? []));
  expect(ours.errors.map((e) => [e.offset, e.length])).toEqual(reference.errors.map((e) => [e.offset, e.length]));
  for (const token of ours.tokens) expect(token.endOffset).toBe(token.startOffset + token.image.length - 1);
}

describe("the scanner", () => {
  it("gives Chevrotain's tokens on every .cnn file in the repository", () => {
    for (const text of SOURCES) assertSameAsChevrotain(text);
  });

  it("gives Chevrotain's tokens, comments and errors on random and mutated text (1,500 cases)", () => {
    fc.assert(fc.property(ARBITRARY_TEXT, (text) => assertSameAsChevrotain(text)), { numRuns: 1_500, seed: 20261202 });
  });

  it("gives Chevrotain's errors on characters no token starts with", () => {
    for (const text of ['!x', '!!=', '"open\nmodel', '.x', 'a @@ b', '/* open', '1.e5 .5e-3 1e', 'é', '\u00a0\ufeffmodel']) assertSameAsChevrotain(text);
  });
});
