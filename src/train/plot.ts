/**
 * Line charts as standalone SVG text (training curves: loss, accuracy, learning rate), with no
 * dependencies and no DOM, so they can be written to a file or put into a page as they are.
 */

/** One line of a chart: `y[i]` is plotted against `x[i]`. */
export interface LineSeries {
  /** Shown in the legend. */
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

export interface LineChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Logarithmic y axis with ticks at powers of 10; values <= 0 are skipped. Default `false`. */
  logY?: boolean;
  /** Size of the SVG in pixels. Default 640. */
  width?: number;
  /** Default 400. */
  height?: number;
}

export interface SmallMultiplesOptions {
  /** Charts per row. Default 2. */
  columns?: number;
}

/** Eight distinct colours (matplotlib's "tab10" without its last two); series 9 on reuse them dashed. */
export const PALETTE = [
  "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
] as const;

const FONT_SIZE = 11;
/** Rough width of one character at FONT_SIZE in a sans-serif font; SVG text cannot be measured without a DOM. */
const CHAR_WIDTH = 6.5;

/** Escapes text for use in XML character data and in double- or single-quoted attributes. */
function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&${{ "&": "amp", "<": "lt", ">": "gt", '"': "quot", "'": "apos" }[c]};`);
}

/** A pixel coordinate, with at most 2 decimals to keep the text short. */
const px = (v: number): string => String(Math.round(v * 100) / 100);

interface Tick {
  value: number;
  label: string;
}

interface Axis {
  lo: number;
  hi: number;
  ticks: Tick[];
}

/** A tick step of 1, 2 or 5 times a power of 10 giving about `count` intervals over [lo, hi] (d3's rule). */
function niceStep(lo: number, hi: number, count: number): number {
  const raw = (hi - lo) / Math.max(1, count);
  const step = 10 ** Math.floor(Math.log10(raw));
  const err = raw / step;
  return step * (err >= 7.07 ? 10 : err >= 3.16 ? 5 : err >= 1.41 ? 2 : 1);
}

function formatTick(v: number, step: number): string {
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  if (decimals <= 4 && Math.abs(v) < 1e6) return v.toFixed(decimals);
  if (v === 0) return "0";
  // Exponent form (1.5e-6, 2e+7 written 2e7) with just enough digits to tell neighbouring ticks apart.
  const digits = Math.max(0, Math.floor(Math.log10(Math.abs(v)) + 1e-9) - Math.floor(Math.log10(step) + 1e-9));
  return v.toExponential(Math.min(digits, 20)).replace(/\.?0+e/, "e").replace("e+", "e");
}

function linearAxis(min: number, max: number, count: number): Axis {
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  const step = niceStep(min, max, count);
  const k0 = Math.floor(min / step + 1e-9);
  const k1 = Math.ceil(max / step - 1e-9);
  const ticks: Tick[] = [];
  // value = k * step rather than a running sum, so 0.1 + 0.2 drift never shows in a label.
  for (let k = k0; k <= k1; k++) ticks.push({ value: k * step, label: formatTick(k * step, step) });
  return { lo: k0 * step, hi: k1 * step, ticks };
}

function powerLabel(e: number): string {
  return e >= 0 && e <= 3 ? String(10 ** e) : `1e${e}`;
}

/** Ticks at powers of 10 in log10 space; `lo`/`hi` are exponents. */
function logAxis(min: number, max: number, count: number): Axis {
  let e0 = Math.floor(Math.log10(min) + 1e-9);
  let e1 = Math.ceil(Math.log10(max) - 1e-9);
  if (e0 === e1) {
    e0--;
    e1++;
  }
  const every = Math.max(1, Math.ceil((e1 - e0) / Math.max(1, count)));
  e0 = Math.floor(e0 / every) * every;
  e1 = Math.ceil(e1 / every) * every;
  const ticks: Tick[] = [];
  for (let e = e0; e <= e1; e += every) ticks.push({ value: e, label: powerLabel(e) });
  return { lo: e0, hi: e1, ticks };
}

type Point = [number, number];

/**
 * Splits a series into runs of consecutive usable points: finite x and y (and y > 0 on a log
 * axis). A skipped point ends the run, so a NaN loss shows as a gap rather than a bridged line.
 */
function segments(s: LineSeries, logY: boolean): Point[][] {
  if (s.x.length !== s.y.length) {
    throw new RangeError(`svgLineChart: series ${JSON.stringify(s.name)} has ${s.x.length} x values but ${s.y.length} y values; pass one x per y`);
  }
  const out: Point[][] = [];
  let run: Point[] = [];
  for (let i = 0; i < s.x.length; i++) {
    const x = s.x[i];
    const y = s.y[i];
    if (Number.isFinite(x) && Number.isFinite(y) && (!logY || y > 0)) {
      run.push([x, logY ? Math.log10(y) : y]);
    } else if (run.length > 0) {
      out.push(run);
      run = [];
    }
  }
  if (run.length > 0) out.push(run);
  return out;
}

function checkSize(op: string, name: string, v: number): void {
  if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`${op}: invalid ${name}: ${v} (must be a finite number > 0)`);
}

interface Rendered {
  width: number;
  height: number;
  body: string;
}

function renderChart(series: readonly LineSeries[], options: LineChartOptions): Rendered {
  const { title, xLabel, yLabel, logY = false, width = 640, height = 400 } = options;
  checkSize("svgLineChart", "width", width);
  checkSize("svgLineChart", "height", height);
  const runs = series.map((s) => segments(s, logY));
  const points = runs.flat(2);
  const empty = points.length === 0;

  const top = title ? 32 : 14;
  const bottom = 28 + (xLabel ? 18 : 0);
  const right = 16;
  let xMin = 0, xMax = 1, yMin = logY ? -3 : 0, yMax = logY ? 0 : 1;
  if (!empty) {
    [xMin, xMax, yMin, yMax] = [Infinity, -Infinity, Infinity, -Infinity];
    for (const [x, y] of points) {
      xMin = Math.min(xMin, x); xMax = Math.max(xMax, x);
      yMin = Math.min(yMin, y); yMax = Math.max(yMax, y);
    }
  }
  const yCount = Math.max(2, Math.round((height - top - bottom) / 50));
  const yAxis = logY ? logAxis(10 ** yMin, 10 ** yMax, yCount) : linearAxis(yMin, yMax, yCount);
  const left = 12 + Math.max(3, ...yAxis.ticks.map((t) => t.label.length)) * CHAR_WIDTH + (yLabel ? 18 : 0);
  const plotW = Math.max(10, width - left - right);
  const plotH = Math.max(10, height - top - bottom);
  const xAxis = linearAxis(xMin, xMax, Math.max(2, Math.round(plotW / 90)));

  const sx = (x: number): number => left + ((x - xAxis.lo) / (xAxis.hi - xAxis.lo)) * plotW;
  const sy = (y: number): number => top + plotH - ((y - yAxis.lo) / (yAxis.hi - yAxis.lo)) * plotH;
  const x0 = left, x1 = left + plotW, y0 = top + plotH, y1 = top;

  const parts: string[] = [`<rect width="${px(width)}" height="${px(height)}" fill="#ffffff"/>`];
  if (title) {
    parts.push(`<text x="${px(width / 2)}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`);
  }
  for (const t of xAxis.ticks) {
    const x = px(sx(t.value));
    parts.push(
      `<line x1="${x}" y1="${px(y1)}" x2="${x}" y2="${px(y0)}" stroke="#e5e5e5"/>`,
      `<line x1="${x}" y1="${px(y0)}" x2="${x}" y2="${px(y0 + 4)}" stroke="#333333"/>`,
      `<text x="${x}" y="${px(y0 + 16)}" text-anchor="middle">${esc(t.label)}</text>`,
    );
  }
  for (const t of yAxis.ticks) {
    const y = px(sy(t.value));
    parts.push(
      `<line x1="${px(x0)}" y1="${y}" x2="${px(x1)}" y2="${y}" stroke="#e5e5e5"/>`,
      `<line x1="${px(x0 - 4)}" y1="${y}" x2="${px(x0)}" y2="${y}" stroke="#333333"/>`,
      `<text x="${px(x0 - 7)}" y="${y}" text-anchor="end" dominant-baseline="middle">${esc(t.label)}</text>`,
    );
  }
  parts.push(`<polyline fill="none" stroke="#333333" points="${px(x0)},${px(y1)} ${px(x0)},${px(y0)} ${px(x1)},${px(y0)}"/>`);
  if (xLabel) {
    parts.push(`<text x="${px(left + plotW / 2)}" y="${px(height - 8)}" text-anchor="middle">${esc(xLabel)}</text>`);
  }
  if (yLabel) {
    const cy = px(top + plotH / 2);
    parts.push(`<text x="14" y="${cy}" text-anchor="middle" transform="rotate(-90 14 ${cy})">${esc(yLabel)}</text>`);
  }

  runs.forEach((segs, i) => {
    const colour = PALETTE[i % PALETTE.length];
    const dash = i >= PALETTE.length ? ` stroke-dasharray="6 3"` : "";
    for (const seg of segs) {
      const pts = seg.map(([x, y]) => `${px(sx(x))},${px(sy(y))}`).join(" ");
      parts.push(`<polyline class="series-${i}" fill="none" stroke="${colour}" stroke-width="1.5"${dash} points="${pts}"/>`);
      // A one-point polyline draws nothing, so an isolated point gets a dot as well.
      if (seg.length === 1) parts.push(`<circle cx="${px(sx(seg[0][0]))}" cy="${px(sy(seg[0][1]))}" r="2.5" fill="${colour}"/>`);
    }
  });

  if (empty) {
    parts.push(`<text x="${px(left + plotW / 2)}" y="${px(top + plotH / 2)}" text-anchor="middle" dominant-baseline="middle" fill="#888888">no data</text>`);
  }

  if (series.length > 0) {
    const rowH = 16;
    const boxW = 34 + Math.max(...series.map((s) => s.name.length)) * CHAR_WIDTH;
    const bx = x1 - boxW - 6;
    const by = y1 + 6;
    parts.push(`<rect x="${px(bx)}" y="${px(by)}" width="${px(boxW)}" height="${series.length * rowH + 6}" fill="#ffffff" fill-opacity="0.85" stroke="#cccccc"/>`);
    series.forEach((s, i) => {
      const y = px(by + 3 + rowH * i + rowH / 2);
      const dash = i >= PALETTE.length ? ` stroke-dasharray="6 3"` : "";
      parts.push(
        `<line x1="${px(bx + 6)}" y1="${y}" x2="${px(bx + 24)}" y2="${y}" stroke="${PALETTE[i % PALETTE.length]}" stroke-width="2"${dash}/>`,
        `<text x="${px(bx + 28)}" y="${y}" dominant-baseline="middle">${esc(s.name)}</text>`,
      );
    });
  }
  return { width, height, body: parts.join("\n") };
}

const open = (w: number, h: number, extra = ""): string =>
  `<svg xmlns="http://www.w3.org/2000/svg"${extra} width="${px(w)}" height="${px(h)}" viewBox="0 0 ${px(w)} ${px(h)}" font-family="sans-serif" font-size="${FONT_SIZE}">`;

/**
 * A line chart as a standalone SVG document (`xmlns`, `viewBox`): axes with "nice" ticks (1, 2 or
 * 5 times a power of 10, or powers of 10 with `logY`), light grid lines, one polyline per run of
 * finite points in a fixed palette of 8 colours, a legend, title and axis labels. All text is
 * XML-escaped.
 *
 * Points with a non-finite x or y (and, with `logY`, y <= 0) are skipped and break the line, so a
 * series draws as several polylines. A single point or a constant series gets a padded axis range;
 * with no usable points at all the chart shows its axes and a "no data" note.
 *
 * @example
 * const svg = svgLineChart(
 *   [{ name: "train", x: epochs, y: trainLoss }, { name: "val", x: epochs, y: valLoss }],
 *   { title: "Loss", xLabel: "epoch", yLabel: "cross-entropy", logY: true },
 * );
 * // write it to loss.svg, or set it as an element's innerHTML
 */
export function svgLineChart(series: readonly LineSeries[], options: LineChartOptions = {}): string {
  const { width, height, body } = renderChart(series, options);
  return `${open(width, height)}\n${body}\n</svg>`;
}

/**
 * Several line charts in one SVG document, laid out in a grid `columns` wide, each in a nested
 * `<svg>` at its x/y offset. Every cell is as large as the largest chart.
 *
 * @param charts the arguments of one `svgLineChart` call per chart.
 * @example
 * svgSmallMultiples([
 *   [[{ name: "train", x: epochs, y: loss }], { title: "Loss", width: 320, height: 240 }],
 *   [[{ name: "val", x: epochs, y: acc }], { title: "Accuracy", width: 320, height: 240 }],
 * ], { columns: 2 });
 */
export function svgSmallMultiples(
  charts: readonly Parameters<typeof svgLineChart>[],
  options: SmallMultiplesOptions = {},
): string {
  const { columns = 2 } = options;
  if (!Number.isInteger(columns) || columns < 1) {
    throw new RangeError(`svgSmallMultiples: invalid columns: ${columns} (must be a positive integer)`);
  }
  const rendered = charts.map(([series, opts]) => renderChart(series, opts ?? {}));
  const cellW = Math.max(0, ...rendered.map((r) => r.width));
  const cellH = Math.max(0, ...rendered.map((r) => r.height));
  const cols = Math.min(columns, rendered.length);
  const rows = Math.ceil(rendered.length / columns);
  const cells = rendered.map((r, i) => {
    const at = ` x="${px((i % columns) * cellW)}" y="${px(Math.floor(i / columns) * cellH)}"`;
    return `${open(r.width, r.height, at)}\n${r.body}\n</svg>`;
  });
  return [open(cols * cellW, rows * cellH), ...cells, "</svg>"].join("\n");
}
