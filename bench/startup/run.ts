// Benchmark: `cnnc` start-up as a process, against a bare `node -e 0` measured in the same
// run. Commands are interleaved round by round, so a busy machine slows all of them alike.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { generatedModel, median, replaceSection, ROOT } from "../common.js";

const ROUNDS = Number(process.env["ROUNDS"] ?? 20);

/** The executable that `npm install` links as `cnnc`. */
const CLI = join(ROOT, (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { bin: Record<string, string> }).bin["cnnc"]!);

function wallMs(args: string[]): number {
  const start = performance.now();
  const result = spawnSync(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
  const ms = performance.now() - start;
  if (result.status !== 0) throw new Error(`${args.join(" ")} exited with ${result.status}: ${result.stderr.toString()}`);
  return ms;
}

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), "cnnc-startup-"));
  try {
    const trivial = join(dir, "trivial.cnn");
    writeFileSync(trivial, "model M {\n  input x: [8, 8, 1]\n  flatten\n  dense 2\n}\n");
    const generated = join(dir, "generated.cnn");
    writeFileSync(generated, generatedModel(10_000));
    const cases: { name: string; args: string[] }[] = [
      { name: "`node -e 0` (baseline)", args: ["-e", "0"] },
      { name: "`cnnc check` trivial file", args: [CLI, "check", trivial] },
      { name: "`cnnc check` examples/resnet50.cnn", args: [CLI, "check", join(ROOT, "examples", "resnet50.cnn")] },
      { name: "`cnnc check` generated, 10,000 layers", args: [CLI, "check", generated] },
      { name: "`cnnc summary` generated, 10,000 layers", args: [CLI, "summary", generated] },
    ];
    const samples = cases.map(() => [] as number[]);
    for (const c of cases) wallMs(c.args); // warm the file cache
    for (let round = 0; round < ROUNDS; round++) for (const [i, c] of cases.entries()) samples[i]!.push(wallMs(c.args));
    const medians = samples.map(median);
    const rows = cases.map((c, i) => `| ${c.name} | ${medians[i]!.toFixed(0)} | ${(medians[i]! / medians[0]!).toFixed(2)}× |`);
    for (const row of rows) process.stdout.write(row + "\n");
    const table = [
      `Machine: ${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}. Wall time of each command as a process, median of ${ROUNDS} rounds; the commands run interleaved, one of each per round. \`cnnc\` is \`${CLI.slice(ROOT.length + 1)}\`, the package's \`bin\`. Targets: a trivial check within 2× of \`node -e 0\`, the 10,000-layer file within 5×.`,
      "",
      "| command | median (ms) | ÷ `node -e 0` |",
      "|---|---:|---:|",
      ...rows,
    ].join("\n");
    replaceSection(join(ROOT, "bench", "RESULTS.md"), "startup", table);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
