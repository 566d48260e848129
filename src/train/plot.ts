// An SVG plot of the run's history: loss on the left, accuracy (or the first metric) on
// the right, training and validation curves per epoch. Plain SVG, no dependencies, so it
// opens in any browser next to the saved model.

import type { EpochLogs } from "./checkpoint.js";

const WIDTH = 360;
const HEIGHT = 240;
const MARGIN = { left: 48, right: 12, top: 28, bottom: 36 };

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function format(value: number): string {
  return Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 1 ? value.toFixed(2) : value.toFixed(3);
}

function panel(title: string, series: { name: string; values: number[]; color: string; dashed: boolean }[], offsetX: number): string {
  const present = series.filter((s) => s.values.some(Number.isFinite));
  const all = present.flatMap((s) => s.values.filter(Number.isFinite));
  let low = all.length ? Math.min(...all) : 0;
  let high = all.length ? Math.max(...all) : 1;
  if (high - low < 1e-9) [low, high] = [low - 0.5, high + 0.5];
  const epochs = Math.max(1, ...present.map((s) => s.values.length));
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (i: number): number => offsetX + MARGIN.left + (epochs === 1 ? plotW / 2 : (i / (epochs - 1)) * plotW);
  const y = (v: number): number => MARGIN.top + (1 - (v - low) / (high - low)) * plotH;
  const parts: string[] = [];
  parts.push(`<text x="${offsetX + WIDTH / 2}" y="18" text-anchor="middle" font-weight="bold">${escape(title)}</text>`);
  parts.push(`<rect x="${offsetX + MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
  for (let t = 0; t <= 4; t++) {
    const v = low + ((high - low) * t) / 4;
    parts.push(`<text x="${offsetX + MARGIN.left - 4}" y="${y(v) + 4}" text-anchor="end" font-size="10">${format(v)}</text>`);
  }
  const ticks = Math.min(epochs, 10);
  for (let t = 0; t < ticks; t++) {
    const i = ticks === 1 ? 0 : Math.round((t * (epochs - 1)) / (ticks - 1));
    parts.push(`<text x="${x(i)}" y="${HEIGHT - MARGIN.bottom + 14}" text-anchor="middle" font-size="10">${i + 1}</text>`);
  }
  parts.push(`<text x="${offsetX + MARGIN.left + plotW / 2}" y="${HEIGHT - 6}" text-anchor="middle" font-size="11">epoch</text>`);
  for (const [k, s] of present.entries()) {
    const points = s.values.map((v, i) => (Number.isFinite(v) ? `${x(i).toFixed(1)},${y(v).toFixed(1)}` : "")).filter(Boolean);
    const dash = s.dashed ? ` stroke-dasharray="5,3"` : "";
    parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2"${dash} points="${points.join(" ")}"/>`);
    for (const p of points) parts.push(`<circle cx="${p.split(",")[0]}" cy="${p.split(",")[1]}" r="2.5" fill="${s.color}"/>`);
    parts.push(`<text x="${offsetX + MARGIN.left + 8}" y="${MARGIN.top + 14 + 13 * k}" font-size="11" fill="${s.color}">${escape(s.name)}</text>`);
  }
  return parts.join("\n");
}

export function plotHistory(history: readonly EpochLogs[], metric: string | undefined, title: string): string {
  const column = (key: string): number[] => history.map((h) => h[key] ?? Number.NaN);
  const panels = [
    panel("loss", [
      { name: "train", values: column("loss"), color: "#1f77b4", dashed: false },
      { name: "validation", values: column("val_loss"), color: "#d62728", dashed: true },
    ], 0),
  ];
  if (metric !== undefined) {
    panels.push(
      panel(metric, [
        { name: "train", values: column(metric), color: "#1f77b4", dashed: false },
        { name: "validation", values: column(`val_${metric}`), color: "#d62728", dashed: true },
      ], WIDTH),
    );
  }
  const width = WIDTH * panels.length;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${HEIGHT + 20}" viewBox="0 -20 ${width} ${HEIGHT + 20}" font-family="sans-serif">
<title>${escape(title)}</title>
<rect x="0" y="-20" width="${width}" height="${HEIGHT + 20}" fill="white"/>
<text x="${width / 2}" y="-4" text-anchor="middle" font-size="12">${escape(title)}</text>
${panels.join("\n")}
</svg>
`;
}
