// `npm run fuzz -- --n 100000 [--seed 1] [--jobs 2] [--record]`: feeds generated and mutated
// programs through every phase (bench/fuzz/harness.ts) in worker processes, compiles the
// emitted TypeScript (`tsc --strict`) and Python (`py_compile`) in batches, and reports
// internal errors, broken properties, programs slower than 2 s, hangs (a worker that spends
// 20 s of its own CPU time on one program is killed and the program recorded) and emitted
// files that do not compile. Slow and hung are judged by CPU time, not wall time, because the
// machine the fuzzer runs on is usually shared: a busy neighbour stretches the wall clock, not
// a program's CPU time. Program `i` of seed `s` is reproducible: `--seed s --from i --n 1`.
// With --record, the result is written to bench/RESULTS.md. Not part of the test suite;
// test/fuzz.test.ts runs a short seeded sample of the same programs.

import { fork, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { replaceSection, ROOT } from "../common.js";
import { exercise, fuzzProgram, seededRandom, seedPrograms, type Emitted } from "./harness.js";

interface Failure {
  index: number;
  kind: "broken" | "slow" | "hang" | "typescript" | "python";
  detail: string;
}

type Message = { kind: "start"; index: number } | { kind: "failure"; failure: Failure } | { kind: "batch"; index: number } | { kind: "done" };

const SLOW_MS = 2000;
const WARM_UP = 30;
const HANG_CPU_MS = 20_000;
/** A worker that has not spoken for this long while its CPU time is unreadable counts as hung. */
const HANG_WALL_MS = 120_000;
/** Emitted modules per compile batch: tsc's start (reading tfjs's types) costs seconds, so batches are large. */
const BATCH_MODULES = 1000;
const PYTHON = "/usr/bin/python3";

/** A process's own CPU time (user + system) in ms, from /proc; undefined where it cannot be read. */
function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The fields after the command name (which may hold spaces) start at its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticksPerSecond = 100; // USER_HZ, 100 on every Linux build that matters here
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  } catch {
    return undefined;
  }
}

const cpuMsSince = (start: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
};

/** The random source of program `index`: the same program for the same seed on any machine. */
export function programRandom(seed: number, index: number): () => number {
  return seededRandom((seed * 1_000_003 + index) >>> 0);
}

// ---------------------------------------------------------------------------------------
// Worker: runs programs [from, to) and writes what they emit under `dir`.

async function worker(seed: number, from: number, to: number, dir: string): Promise<void> {
  const send = (message: Message): void => void process.send!(message);
  const seeds = seedPrograms(ROOT);
  let emitted: Emitted = { typescript: [], python: [] };
  let batchStart = from;
  const flush = (index: number): void => {
    const batch = join(dir, `batch-${batchStart}`);
    mkdirSync(batch, { recursive: true });
    emitted.typescript.forEach((code, k) => writeFileSync(join(batch, `m${k}.ts`), code));
    emitted.python.forEach((files, k) => {
      writeFileSync(join(batch, `m${k}_model.py`), files.model);
      writeFileSync(join(batch, `m${k}_train.py`), files.train);
    });
    emitted = { typescript: [], python: [] };
    send({ kind: "batch", index: batchStart });
    batchStart = index;
  };
  for (let index = from; index < to; index++) {
    send({ kind: "start", index });
    const random = programRandom(seed, index);
    const text = fuzzProgram(random, seeds, index);
    const started = performance.now();
    const cpuStart = process.cpuUsage();
    try {
      exercise(text, random, emitted);
    } catch (error) {
      send({ kind: "failure", failure: { index, kind: "broken", detail: (error as Error).message.split("\n").slice(0, 6).join("\n") } });
    }
    const cpuMs = cpuMsSince(cpuStart);
    // The first programs of a worker also pay for compiling cnnc's code (JIT): they are not timed.
    if (cpuMs > SLOW_MS && index - from >= WARM_UP) {
      send({ kind: "failure", failure: { index, kind: "slow", detail: `${Math.round(cpuMs)} ms CPU (${Math.round(performance.now() - started)} ms wall)` } });
    }
    if (emitted.typescript.length + emitted.python.length >= BATCH_MODULES) flush(index + 1);
  }
  flush(to);
  send({ kind: "done" });
  process.disconnect();
}

// ---------------------------------------------------------------------------------------
// Parent: hands out ranges, watches for hangs, compiles the emitted files.

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

/** Runs a command without blocking the event loop (the hang watch keeps running meanwhile). */
function run(command: string, args: string[]): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => void (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => void (output += chunk.toString()));
    child.on("close", (status) => resolve({ status, output }));
  });
}

async function compileBatch(batch: string, firstIndex: number, failures: Failure[]): Promise<{ ts: number; py: number }> {
  const files = readdirSync(batch);
  const ts = files.filter((f) => f.endsWith(".ts")).length;
  const py = files.filter((f) => f.endsWith(".py")).length;
  if (ts > 0) {
    writeFileSync(join(batch, "tsconfig.json"), JSON.stringify({ compilerOptions: { strict: true, target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", skipLibCheck: true, types: [], noEmit: true, typeRoots: [] }, include: ["*.ts"] }));
    const tsc = await run(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", batch]);
    if (tsc.status !== 0) failures.push({ index: firstIndex, kind: "typescript", detail: tsc.output.slice(0, 2000) });
  }
  if (py > 0) {
    const script = "import py_compile, sys\nfor f in sys.argv[1:]:\n    py_compile.compile(f, doraise=True)\n";
    const python = await run(PYTHON, ["-c", script, ...files.filter((f) => f.endsWith(".py")).map((f) => join(batch, f))]);
    if (python.status !== 0) failures.push({ index: firstIndex, kind: "python", detail: python.output.slice(0, 2000) });
  }
  rmSync(batch, { recursive: true, force: true });
  return { ts, py };
}

async function main(): Promise<void> {
  const n = option("n", 1000);
  const seed = option("seed", 1);
  const first = option("from", 0);
  const jobs = Math.max(1, option("jobs", 2));
  // Inside the repository, so that the emitted modules resolve @tensorflow/tfjs.
  mkdirSync(join(ROOT, "test", ".generated"), { recursive: true });
  const dir = mkdtempSync(join(ROOT, "test", ".generated", "fuzz-"));
  const failures: Failure[] = [];
  const compiled = { ts: 0, py: 0 };
  // One batch compiles at a time, beside the workers, so the machine sees at most jobs + 1 busy processes.
  let compiling: Promise<void> = Promise.resolve();
  let finished = 0;
  /** CPU time of each worker process, finished ones included, by pid. */
  const workerCpuMs = new Map<number, number>();
  const started = Date.now();
  const script = fileURLToPath(import.meta.url);
  const children = new Set<ReturnType<typeof fork>>();

  const runRange = (from: number, to: number): Promise<void> =>
    new Promise((resolve) => {
      let current = from;
      const child = fork(script, ["--worker", String(seed), String(from), String(to), dir], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
      children.add(child);
      const pid = child.pid!;
      let lastCpuMs = 0;
      // Where the current program started, in the worker's CPU time and on the wall clock.
      let programCpuMs = 0;
      let programWallMs = Date.now();
      let hung = false;
      const watch = setInterval(() => {
        const cpu = processCpuMs(pid);
        if (cpu !== undefined) {
          lastCpuMs = cpu;
          workerCpuMs.set(pid, cpu);
        }
        const overCpu = cpu !== undefined && cpu - programCpuMs > HANG_CPU_MS;
        const overWall = cpu === undefined && Date.now() - programWallMs > HANG_WALL_MS;
        if (!hung && (overCpu || overWall)) {
          hung = true;
          const detail = overCpu ? `over ${HANG_CPU_MS / 1000} s of CPU time (${Math.round((Date.now() - programWallMs) / 1000)} s wall)` : `no answer in ${HANG_WALL_MS / 1000} s`;
          failures.push({ index: current, kind: "hang", detail });
          child.kill("SIGKILL");
        }
      }, 500);
      child.on("message", (message: Message) => {
        if (message.kind === "start") {
          current = message.index;
          programCpuMs = processCpuMs(pid) ?? lastCpuMs;
          programWallMs = Date.now();
          finished++;
          if (finished % 1000 === 0) process.stderr.write(`${finished} programs, ${failures.length} failures, ${Math.round((Date.now() - started) / 1000)} s\n`);
        } else if (message.kind === "failure") failures.push(message.failure);
        else if (message.kind === "batch") {
          const batch = join(dir, `batch-${message.index}`);
          compiling = compiling.then(async () => {
            const counts = await compileBatch(batch, message.index, failures);
            compiled.ts += counts.ts;
            compiled.py += counts.py;
          });
        }
      });
      child.on("exit", (code) => {
        clearInterval(watch);
        children.delete(child);
        // A killed or crashed worker resumes after the program it was on.
        if (code !== 0 && current + 1 < to) {
          if (code !== null) failures.push({ index: current, kind: "broken", detail: `worker exited with ${code}` });
          void runRange(current + 1, to).then(resolve);
        } else resolve();
      });
    });

  const report = (stopped: boolean): void => {
    rmSync(dir, { recursive: true, force: true });
    const seconds = Math.round((Date.now() - started) / 1000);
    const cpuSeconds = Math.round([...workerCpuMs.values()].reduce((a, b) => a + b, 0) / 1000);
    const count = (kind: Failure["kind"]): number => failures.filter((f) => f.kind === kind).length;
    const done = stopped ? `${finished.toLocaleString("en-US")} of ${n.toLocaleString("en-US")} programs (stopped)` : `${n.toLocaleString("en-US")} programs`;
    const summary = `${done} (seed ${seed}, from ${first}, ${jobs} worker${jobs === 1 ? "" : "s"}) in ${seconds} s wall, ${cpuSeconds} s of worker CPU time: ${count("broken")} internal errors or broken properties, ${count("hang")} hangs (20 s of CPU time), ${count("slow")} over 2 s of CPU time; emitted ${compiled.ts.toLocaleString("en-US")} TypeScript modules (tsc --strict: ${count("typescript")} failing batches) and ${compiled.py.toLocaleString("en-US")} Python files (py_compile: ${count("python")} failing batches)`;
    for (const failure of failures.sort((a, b) => a.index - b.index).slice(0, 50)) console.log(`#${failure.index} ${failure.kind}: ${failure.detail}\n`);
    console.log(summary);
    if (process.argv.includes("--record")) {
      replaceSection(join(ROOT, "bench", "RESULTS.md"), "fuzz", `## Fuzzing (\`npm run fuzz\`)\n\n${summary}.\n\nSlow programs and hangs are judged by each program's own CPU time (the worker's \`process.cpuUsage\`, and the worker process's CPU time in /proc for a hang), not by wall time: the machine is shared with other helpers' builds and tests, which stretch the wall clock but not a program's CPU time. The wall-clock figure above is from that busy machine.`);
    }
    process.exitCode = failures.length === 0 ? 0 : 1;
  };
  // Stopped early (SIGINT, SIGTERM), it reports the programs it finished.
  const stop = (): void => {
    for (const child of children) child.kill("SIGKILL");
    report(true);
    process.exit();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  const size = Math.ceil(n / jobs);
  await Promise.all(Array.from({ length: jobs }, (_, j) => runRange(first + j * size, Math.min(first + n, first + (j + 1) * size))));
  await compiling;
  report(false);
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === "--worker") {
  const [seed, from, to, dir] = process.argv.slice(3);
  void worker(Number(seed), Number(from), Number(to), dir!);
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  void main();
}
