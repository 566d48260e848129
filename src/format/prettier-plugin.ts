// The prettier plugin: `prettier --plugin ./dist/src/format/prettier-plugin.js --write
// model.cnn`. Prettier parses, then prints the tree it got; here the "tree" is the source
// text itself and printing is the same printer as `cnnc fmt`, so both give the same text.

import { formatText } from "./printer.js";

interface CnnRoot {
  type: "cnn-root";
  text: string;
}

export const languages = [
  {
    name: "cnn",
    parsers: ["cnn"],
    extensions: [".cnn"],
    vscodeLanguageIds: ["cnn"],
  },
];

export const parsers = {
  cnn: {
    astFormat: "cnn",
    parse(text: string): CnnRoot {
      const result = formatText(text);
      if (!result.ok) {
        const first = result.diagnostics[0]!;
        // Prettier reports a thrown error with its location, like a syntax error in JavaScript.
        const error = new SyntaxError(first.message) as SyntaxError & { loc?: { start: { line: number; column: number } } };
        const before = text.slice(0, first.span.start);
        const line = before.split("\n").length;
        error.loc = { start: { line, column: first.span.start - (before.lastIndexOf("\n") + 1) + 1 } };
        throw error;
      }
      return { type: "cnn-root", text };
    },
    locStart: (): number => 0,
    locEnd: (node: CnnRoot): number => node.text.length,
  },
};

export const printers = {
  cnn: {
    print(path: { node: CnnRoot }, options: { tabWidth?: number }): string {
      const result = formatText(path.node.text, { indentWidth: options.tabWidth ?? 2 });
      // parse() already refused text with syntax errors, so this is formatted text.
      return result.ok ? result.text : path.node.text;
    },
  },
};

export default { languages, parsers, printers };
