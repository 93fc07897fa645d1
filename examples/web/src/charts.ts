// Charts, drawn with Observable Plot: line charts (the training curves, the gradient norms on a log
// scale) and heat maps (embeddings, gates, states).
import * as Plot from "@observablehq/plot";

export interface Series {
  name: string;
  x: number[];
  y: number[];
}

export interface LineOptions {
  xLabel: string;
  yLabel: string;
  logY?: boolean;
  width?: number;
  height?: number;
}

/** One line per series, coloured by name, with a legend. */
export function lineChart(series: Series[], o: LineOptions): HTMLElement | SVGSVGElement {
  const points = series.flatMap((s) => s.x.map((x, i) => ({ series: s.name, x, y: s.y[i]! })).filter((p) => Number.isFinite(p.y) && (!o.logY || p.y > 0)));
  return Plot.plot({
    width: o.width ?? 640,
    height: o.height ?? 260,
    marginLeft: 60,
    grid: true,
    x: { label: o.xLabel },
    y: { label: o.yLabel, type: o.logY ? "log" : "linear", tickFormat: o.logY ? ".0e" : undefined },
    color: { legend: series.length > 1, domain: series.map((s) => s.name) },
    marks: [Plot.line(points, { x: "x", y: "y", stroke: "series" }), Plot.dot(points.slice(-series.length), { x: "x", y: "y", fill: "series", r: 2 })],
  });
}

export interface HeatmapOptions {
  /** Labels of the rows (e.g. tokens), top to bottom. */
  rows: string[];
  /** What the columns are. */
  xLabel: string;
  /** [0, 1] activations get a sequential scheme; anything signed a diverging one around 0. */
  range?: "unit" | "signed";
  /** The colour legend's label. */
  legend?: string;
  title?: string;
  width?: number;
}

/** A [rows, cols] matrix as coloured cells, with a colour legend. */
export function heatmap(matrix: ArrayLike<number>[], o: HeatmapOptions): HTMLElement | SVGSVGElement {
  // Rows keyed by position, so that repeated tokens stay separate rows.
  const keys = o.rows.map((r, i) => `${i}:${r}`);
  const cells = Array.from(matrix, (row, i) => Array.from(row, (v, j) => ({ row: keys[i]!, col: j, v }))).flat();
  const cols = matrix[0]?.length ?? 0;
  const signed = (o.range ?? "signed") === "signed";
  const extent = Math.max(1e-6, ...cells.map((c) => Math.abs(c.v)));
  return Plot.plot({
    title: o.title,
    width: o.width ?? Math.min(900, 80 + cols * 18),
    height: 40 + keys.length * 20,
    marginLeft: 80,
    padding: 0.05,
    x: { label: o.xLabel, tickFormat: (d: number) => (cols <= 24 || d % 8 === 0 ? String(d) : "") },
    y: { label: null, domain: keys, tickFormat: (k: string) => k.slice(k.indexOf(":") + 1) },
    color: signed ? { type: "diverging", scheme: "RdBu", domain: [-extent, extent], legend: true, label: o.legend ?? "value" } : { type: "linear", scheme: "viridis", domain: [0, 1], legend: true, label: o.legend ?? "activation" },
    marks: [Plot.cell(cells, { x: "col", y: "row", fill: "v", tip: true })],
  });
}
