import { describe, expect, test } from "vitest";
import { svgLineChart, svgSmallMultiples } from "./plot.js";

const ENTITY = /&(?!(?:amp|lt|gt|quot|apos);)/;

/** A small well-formedness check (no DOMParser in Node): strict tag syntax, balanced tags, escaped text. */
function expectWellFormed(svg: string): void {
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>/g;
  const stack: string[] = [];
  let last = 0;
  for (const m of svg.matchAll(tag)) {
    const [whole, close, name, attrs, selfClose] = m;
    const text = svg.slice(last, m.index);
    expect(text).not.toMatch(/[<>]/);
    expect(text).not.toMatch(ENTITY);
    expect(attrs).not.toMatch(/[<>]/);
    expect(attrs).not.toMatch(ENTITY);
    if (stack.length === 0) expect(text.trim()).toBe(""); // nothing outside the root element
    if (close) expect(stack.pop()).toBe(name);
    else if (!selfClose) stack.push(name);
    last = m.index + whole.length;
  }
  expect(svg.slice(last).trim()).toBe("");
  expect(stack).toEqual([]);
  expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  expect(svg).not.toMatch(/NaN|Infinity|undefined/);
}

const count = (s: string, needle: string): number => s.split(needle).length - 1;
const tickLabels = (svg: string): string[] => [...svg.matchAll(/<text [^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);

describe("svgLineChart", () => {
  test("a standalone document with axes, legend, title and labels", () => {
    const x = [1, 2, 3, 4, 5];
    const svg = svgLineChart(
      [{ name: "train", x, y: [0.87, 0.6, 0.41, 0.3, 0.13] }, { name: "val", x, y: [0.9, 0.7, 0.55, 0.5, 0.48] }],
      { title: "Loss", xLabel: "epoch", yLabel: "cross-entropy" },
    );
    expectWellFormed(svg);
    expect(svg).toMatch(/width="640" height="400" viewBox="0 0 640 400"/);
    const labels = tickLabels(svg);
    for (const l of ["Loss", "epoch", "cross-entropy", "train", "val", "0.2", "0.4", "0.9", "1.0", "5.0"]) expect(labels).toContain(l);
    expect(count(svg, 'class="series-0"')).toBe(1);
    expect(count(svg, 'class="series-1"')).toBe(1);
    expect(svg).toContain('stroke="#1f77b4"');
    expect(svg).toContain('stroke="#ff7f0e"');
  });

  test("escapes <, & and > in every text", () => {
    const svg = svgLineChart([{ name: "a<b>", x: [0, 1], y: [0, 1] }], { title: "x < y & y > z", xLabel: "\"q\"", yLabel: "'s'" });
    expectWellFormed(svg);
    expect(svg).toContain("x &lt; y &amp; y &gt; z");
    expect(svg).toContain("a&lt;b&gt;");
    expect(svg).toContain("&quot;q&quot;");
    expect(svg).not.toContain("x < y");
  });

  test("log scale: ticks at powers of 10 over 1e-6..1, non-positive values skipped", () => {
    const y = [1, 1e-1, 1e-2, 0, 1e-3, 1e-4, -1, 1e-5, 1e-6];
    const svg = svgLineChart([{ name: "lr", x: y.map((_, i) => i), y }], { logY: true });
    expectWellFormed(svg);
    const labels = tickLabels(svg);
    for (const l of ["1e-6", "1e-5", "1e-4", "1e-3", "1e-2", "1e-1", "1"]) expect(labels).toContain(l);
    expect(count(svg, 'class="series-0"')).toBe(3); // 0 and -1 break the line
  });

  test("NaN and Infinity split a series into segments", () => {
    const svg = svgLineChart([
      { name: "a", x: [0, 1, 2, 3, 4, 5, 6], y: [1, 2, NaN, 3, 4, Infinity, 5] },
      { name: "b", x: [0, NaN, 2], y: [1, 1, 1] },
    ]);
    expectWellFormed(svg);
    expect(count(svg, 'class="series-0"')).toBe(3);
    expect(count(svg, 'class="series-1"')).toBe(2);
    expect(count(svg, "<circle")).toBe(3); // the isolated points: a[6], b[0], b[2]
    const segs = [...svg.matchAll(/class="series-0"[^>]*points="([^"]*)"/g)].map((m) => m[1].split(" ").length);
    expect(segs).toEqual([2, 2, 1]);
  });

  test("a single point and a constant series get a padded range", () => {
    for (const s of [{ name: "one", x: [3], y: [5] }, { name: "flat", x: [0, 1, 2], y: [2, 2, 2] }, { name: "zero", x: [0, 0], y: [0, 0] }]) {
      const svg = svgLineChart([s]);
      expectWellFormed(svg);
      expect(count(svg, 'class="series-0"')).toBe(1);
    }
    expect(tickLabels(svgLineChart([{ name: "flat", x: [0, 1], y: [1e-3, 1e-3] }], { logY: true }))).toEqual(
      expect.arrayContaining(["1e-4", "1e-3", "1e-2"]),
    );
  });

  test("tick labels carry no floating-point noise", () => {
    const labels = tickLabels(svgLineChart([{ name: "s", x: [0, 0.3], y: [0.1, 0.7] }]));
    expect(labels).toContain("0.3");
    expect(labels.every((l) => l.length < 8)).toBe(true);
    const tiny = tickLabels(svgLineChart([{ name: "s", x: [0, 1], y: [1e-6, 5e-6] }]));
    expect(tiny).toContain("2e-6");
  });

  test("empty input draws axes and a no-data note", () => {
    for (const series of [[], [{ name: "a", x: [], y: [] }], [{ name: "a", x: [0, 1], y: [NaN, NaN] }]]) {
      for (const logY of [false, true]) {
        const svg = svgLineChart(series, { logY });
        expectWellFormed(svg);
        expect(svg).toContain(">no data</text>");
        expect(svg).not.toContain("series-0");
      }
    }
  });

  test("errors", () => {
    expect(() => svgLineChart([{ name: "a", x: [0, 1], y: [0] }])).toThrow(/series "a" has 2 x values but 1 y values/);
    expect(() => svgLineChart([], { width: 0 })).toThrow(/invalid width: 0/);
  });

  test("more series than colours reuse the palette, dashed", () => {
    const series = Array.from({ length: 9 }, (_, i) => ({ name: `s${i}`, x: [0, 1], y: [i, i + 1] }));
    const svg = svgLineChart(series);
    expectWellFormed(svg);
    expect(count(svg, 'stroke="#1f77b4"')).toBe(4); // series 0 and 8, each a line and a legend swatch
    expect(count(svg, 'stroke-dasharray="6 3"')).toBe(2);
  });
});

describe("svgSmallMultiples", () => {
  test("lays charts out in a grid of nested svg elements", () => {
    const chart = (t: string): Parameters<typeof svgLineChart> => [[{ name: t, x: [0, 1], y: [1, 0] }], { title: t, width: 300, height: 200 }];
    const svg = svgSmallMultiples([chart("a"), chart("b"), chart("c & d")], { columns: 2 });
    expectWellFormed(svg);
    expect(svg).toMatch(/^<svg xmlns="[^"]*" width="600" height="400" viewBox="0 0 600 400"/);
    expect(count(svg, "<svg ")).toBe(4);
    expect(svg).toContain('x="0" y="0" width="300"');
    expect(svg).toContain('x="300" y="0" width="300"');
    expect(svg).toContain('x="0" y="200" width="300"');
    expect(svg).toContain("c &amp; d");
    expect(svgSmallMultiples([chart("a")], { columns: 3 })).toMatch(/width="300" height="200" viewBox/);
    expectWellFormed(svgSmallMultiples([]));
    expect(() => svgSmallMultiples([], { columns: 0 })).toThrow(/invalid columns: 0/);
  });
});
