// Editor commands: `cnnc lsp --stdio` runs the language server, `cnnc fmt [--check] FILE…`
// formats files. The language server is loaded only when `lsp` runs, so the other
// commands do not pay for loading the protocol library.

import type { Command } from "commander";
import { formatFiles } from "../format/fmt-command.js";

export function registerEditorCommands(program: Command, setExit: (code: number) => void): void {
  program
    .command("lsp")
    .description("run the language server (for editors) on standard input and output")
    .option("--stdio", "talk LSP over standard input and output (the only transport, and the default)")
    .action(async () => {
      const { runLanguageServer } = await import("../../lsp/server/main.js");
      runLanguageServer();
      setExit(0);
    });
  program
    .command("fmt")
    .description("format .cnn files in place; with --check, only list the files that are not formatted")
    .argument("<files...>", ".cnn files")
    .option("--check", "change nothing; exit 1 if a file is not formatted")
    .action((files: string[], options: { check?: boolean }) => {
      const color = process.stderr.isTTY === true && process.env["NO_COLOR"] === undefined;
      setExit(formatFiles(files, { check: options.check === true, color }, { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }));
    });
}
