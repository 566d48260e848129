#!/usr/bin/env node
// The `cnnc` executable. Anything thrown here is a bug in cnnc, not in the user's input:
// say so briefly instead of printing a stack trace.

import { main } from "./main.js";

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`cnnc: internal error: ${(error as Error).message}\nThis is a bug in cnnc; please report it with the input that caused it.\n`);
  process.exitCode = 70;
}
