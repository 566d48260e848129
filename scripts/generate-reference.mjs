// Rewrites the files generated from the op registry (see src/ops/reference.ts). Run after
// adding or changing a layer kind: `npm run generate` (it builds first).

import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { GENERATED_FILES } from "../dist/src/ops/reference.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
for (const file of GENERATED_FILES) {
  const path = join(root, file.path);
  const current = readFileSync(path, "utf8");
  const next = file.generate(current);
  if (next !== current) {
    writeFileSync(path, next);
    console.log(`updated ${file.path}`);
  }
}
