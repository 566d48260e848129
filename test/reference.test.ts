// The generated files are up to date: run `npm run generate` when this fails.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GENERATED_FILES } from "../src/generated-files.js";
import { ROOT } from "./helpers.js";

describe("generated reference", () => {
  for (const file of GENERATED_FILES) {
    it(`${file.path} is up to date`, () => {
      const current = readFileSync(join(ROOT, file.path), "utf8");
      expect(file.generate(current, (other) => readFileSync(join(ROOT, other), "utf8"))).toBe(current);
    });
  }
});
