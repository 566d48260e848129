// Progress of a run. On a terminal: one bar per epoch, redrawn in place, with the step,
// loss, accuracy, images per second and the time left. Piped: plain lines, one at most
// every ten seconds and one per epoch end. At the end: a table of every epoch.

import type { EpochLogs } from "./checkpoint.js";

export interface StepReport {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  loss: number;
  metric?: { name: string; value: number };
  imagesPerSecond: number;
  secondsLeft: number;
}

export interface ProgressSink {
  step(report: StepReport): void;
  epochEnd(epoch: number, epochs: number, logs: EpochLogs): void;
  message(text: string): void;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  if (seconds < 60) return `${Math.round(seconds)}s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? `${minutes}m${String(Math.round(seconds % 60)).padStart(2, "0")}s` : `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}

/** Images per second, with enough digits that a slow step (a large model on CPU) never reads "0". */
export function imageRate(perSecond: number): string {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return "?";
  return perSecond >= 100 ? String(Math.round(perSecond)) : perSecond >= 10 ? perSecond.toFixed(1) : perSecond.toPrecision(2);
}

function formatLogs(logs: EpochLogs): string {
  return Object.entries(logs)
    .filter(([key]) => key !== "epoch")
    .map(([key, value]) => `${key} ${key === "lr" ? value.toExponential(2) : key === "seconds" ? value.toFixed(1) : value.toFixed(4)}`)
    .join(", ");
}

export function progressSink(stream: NodeJS.WriteStream, now: () => number = () => Date.now()): ProgressSink {
  const tty = stream.isTTY === true;
  let lastPlain = now();
  return {
    step(r) {
      const metric = r.metric ? ` ${r.metric.name} ${r.metric.value.toFixed(4)}` : "";
      const tail = `${r.step}/${r.steps} loss ${r.loss.toFixed(4)}${metric} ${imageRate(r.imagesPerSecond)} img/s ETA ${duration(r.secondsLeft)}`;
      if (tty) {
        const width = 24;
        const filled = Math.round((r.step / r.steps) * width);
        const bar = "=".repeat(Math.max(filled - 1, 0)) + (filled > 0 ? (filled === width ? "=" : ">") : "") + " ".repeat(width - filled);
        const line = `epoch ${r.epoch}/${r.epochs} [${bar}] ${tail}`;
        stream.write(`\r${line.slice(0, Math.max((stream.columns ?? 120) - 1, 20))}\x1b[K`);
      } else if (now() - lastPlain >= 10_000) {
        lastPlain = now();
        stream.write(`epoch ${r.epoch}/${r.epochs} step ${tail}\n`);
      }
    },
    epochEnd(epoch, epochs, logs) {
      if (tty) stream.write("\r\x1b[K");
      lastPlain = now();
      stream.write(`epoch ${epoch}/${epochs}: ${formatLogs(logs)}\n`);
    },
    message(text) {
      if (tty) stream.write("\r\x1b[K");
      stream.write(text.endsWith("\n") ? text : `${text}\n`);
    },
  };
}

/** The end-of-run table, one row per epoch. */
export function historyTable(history: readonly EpochLogs[]): string {
  if (history.length === 0) return "";
  const keys = [...new Set(history.flatMap((h) => Object.keys(h)))];
  const cell = (key: string, value: number | undefined): string =>
    value === undefined ? "" : key === "epoch" ? String(value) : key === "lr" ? value.toExponential(2) : key === "seconds" ? value.toFixed(1) : value.toFixed(4);
  const rows = [keys, ...history.map((h) => keys.map((k) => cell(k, h[k])))];
  const widths = keys.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (row: string[]): string => row.map((c, i) => c.padStart(widths[i]!)).join("  ").trimEnd();
  return [line(rows[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)].join("\n") + "\n";
}
