// Rewrites the generated files (see src/generated-files.ts). Run after adding or changing a
// layer kind or cnnc's tfjs layers: `npm run generate` (it builds first).

import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { existsSync } from "node:fs";
import { GENERATED_FILES } from "../dist/src/generated-files.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
for (const file of GENERATED_FILES) {
  const path = join(root, file.path);
  const current = existsSync(path) ? readFileSync(path, "utf8") : "";
  const next = file.generate(current, (other) => readFileSync(join(root, other), "utf8"));
  if (next !== current) {
    writeFileSync(path, next);
    console.log(`updated ${file.path}`);
  }
}
