// A stand-in for the `cnnc` executable with only the train commands registered, so the
// tests can run them as a user does (in a child process, killable) before main.ts wires
// them in. Run with `node --import tsx test/train/entry.ts train …`.

import { Command, CommanderError } from "commander";
import { registerTrainCommands } from "../../src/cli/train.js";
import { CliUsageError } from "../../src/cli/options.js";
import { BackendUnavailable } from "../../src/runtime/backend.js";
import { OutputError } from "../../src/emit/write-files.js";

let exitCode = 0;
const program = new Command().name("cnnc").exitOverride();
registerTrainCommands(program, (code) => (exitCode = code));
try {
  await program.parseAsync(process.argv.slice(2), { from: "user" });
} catch (error) {
  if (error instanceof CommanderError) exitCode = error.exitCode === 0 ? 0 : 2;
  else if (error instanceof CliUsageError || error instanceof BackendUnavailable || error instanceof OutputError) {
    process.stderr.write(`error: ${error.message}\n`);
    exitCode = 2;
  } else throw error;
}
process.exitCode = exitCode;
