import { defineConfig } from "vite";
import cnnc from "cnnc/vite";

// Seeded initializers: the test builds the same model in Node and compares predictions.
export default defineConfig({ plugins: [cnnc({ seed: 1 })], build: { chunkSizeWarningLimit: 4096 }, logLevel: "warn" });
