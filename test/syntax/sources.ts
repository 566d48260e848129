// Every .cnn file in the repository, and random and mutated text made from them: the inputs
// on which the hand-written lexer and parser are held to Chevrotain's.

import fc from "fast-check";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { read, ROOT } from "../helpers.js";

function cnnFilesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return cnnFilesUnder(path);
    return entry.name.endsWith(".cnn") ? [path] : [];
  });
}

export const SOURCES: string[] = ["examples", "stdlib", join("test", "pytorch", "cases")].flatMap((dir) => cnnFilesUnder(join(ROOT, dir))).sort().map(read);

/** Fragments that make valid programs as often as broken ones, and every token kind. */
const PIECES = [
  "model", "block", "train", "input", "repeat", "for", "in", "residual", "shortcut", "auto", "gate", "frozen", "branch", "concat", "if", "else", "let", "as", "from", "expect", "global", "import", "not", "and", "or", "true", "false",
  "conv", "relu", "x", "Basic", "(", ")", "[", "]", "{", "}", ",", ":", "->", "=", "==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "%", ";",
  "0", "3", "64", "1e9", "0.5", ".5", "1.", '"s"', '"a\\"b"', '"open', "\n", " ", "\t", "//c\n", "///d\n", "/* c */", "/*", "#x", "!", "@", "é", "kernel: 3", "stride: 2", "-> relu", "\r\n",
];

/** Texts made by splicing up to `maxEdits` pieces into the given sources, removing a few characters at each place. */
export function mutatedText(sources: readonly string[], pieces: readonly string[], maxEdits: number): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...sources), fc.array(fc.tuple(fc.nat(), fc.nat(8), fc.constantFrom(...pieces)), { minLength: 1, maxLength: maxEdits }))
    .map(([source, edits]) => {
      let text = source;
      for (const [at, remove, insert] of edits) {
        const position = at % (text.length + 1);
        text = text.slice(0, position) + insert + text.slice(position + remove);
      }
      return text;
    });
}

const mutated = mutatedText(SOURCES, PIECES, 4);

export const ARBITRARY_TEXT = fc.oneof(fc.string({ maxLength: 120 }), fc.array(fc.constantFrom(...PIECES), { maxLength: 60 }).map((p) => p.join(" ")), mutated);
