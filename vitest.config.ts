import { defineConfig } from "vitest/config";

// Golden files are vitest file snapshots. Under CI (CI=true) vitest never writes a missing
// snapshot, so a golden file that was not committed fails the run; locally, run
// `npx vitest run -u` to write or refresh them, then review the diff.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
