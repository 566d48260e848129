// The live training chart: the running loss and accuracy of the epoch so far, at every
// step, as an SVG line chart (loss on the left axis, accuracy on the right from 0 to 1).

const WIDTH = 480;
const HEIGHT = 220;
const PAD = { left: 44, right: 44, top: 12, bottom: 28 };
const SVG = "http://www.w3.org/2000/svg";

export interface ChartPoint {
  /** Steps done, counting all epochs. */
  step: number;
  loss: number;
  accuracy?: number;
}

function element(name: string, attributes: Record<string, string | number>, text?: string): SVGElement {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

export function drawChart(svg: SVGSVGElement, points: readonly ChartPoint[], totalSteps: number): void {
  svg.setAttribute("viewBox", `0 0 ${WIDTH} ${HEIGHT}`);
  svg.replaceChildren();
  const maxLoss = Math.max(1e-6, ...points.map((p) => p.loss));
  const x = (step: number): number => PAD.left + ((WIDTH - PAD.left - PAD.right) * step) / Math.max(1, totalSteps);
  const yLoss = (loss: number): number => PAD.top + (HEIGHT - PAD.top - PAD.bottom) * (1 - loss / maxLoss);
  const yAccuracy = (accuracy: number): number => PAD.top + (HEIGHT - PAD.top - PAD.bottom) * (1 - accuracy);
  const bottom = HEIGHT - PAD.bottom;
  svg.append(element("line", { x1: PAD.left, y1: bottom, x2: WIDTH - PAD.right, y2: bottom, class: "axis" }));
  svg.append(element("line", { x1: PAD.left, y1: PAD.top, x2: PAD.left, y2: bottom, class: "axis" }));
  svg.append(element("line", { x1: WIDTH - PAD.right, y1: PAD.top, x2: WIDTH - PAD.right, y2: bottom, class: "axis" }));
  svg.append(element("text", { x: PAD.left - 4, y: PAD.top + 8, class: "tick loss", "text-anchor": "end" }, maxLoss.toFixed(2)));
  svg.append(element("text", { x: PAD.left - 4, y: bottom, class: "tick loss", "text-anchor": "end" }, "0"));
  svg.append(element("text", { x: WIDTH - PAD.right + 4, y: PAD.top + 8, class: "tick accuracy" }, "1.0"));
  svg.append(element("text", { x: WIDTH - PAD.right + 4, y: bottom, class: "tick accuracy" }, "0"));
  svg.append(element("text", { x: (WIDTH + PAD.left - PAD.right) / 2, y: HEIGHT - 8, class: "tick", "text-anchor": "middle" }, `step (of ${totalSteps})`));
  // The legend sits under the plot, where no line can cross it.
  svg.append(element("text", { x: PAD.left, y: HEIGHT - 8, class: "legend loss" }, "— loss"));
  svg.append(element("text", { x: WIDTH - PAD.right, y: HEIGHT - 8, class: "legend accuracy", "text-anchor": "end" }, "accuracy —"));
  if (points.length === 0) return;
  const path = (y: (p: ChartPoint) => number | undefined): string =>
    points
      .filter((p) => y(p) !== undefined)
      .map((p, i) => `${i === 0 ? "M" : "L"}${x(p.step).toFixed(1)},${y(p)!.toFixed(1)}`)
      .join(" ");
  svg.append(element("path", { d: path((p) => yLoss(p.loss)), class: "line loss" }));
  svg.append(element("path", { d: path((p) => (p.accuracy === undefined ? undefined : yAccuracy(p.accuracy))), class: "line accuracy" }));
}
