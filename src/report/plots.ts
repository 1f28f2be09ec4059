/**
 * Plots for the campaign page as inline SVG text: a line chart (cases/s over time, distinct
 * failures over time) and a bar chart (a coverage histogram). No dependencies and no script: the
 * page is one self-contained file that any browser renders as it is.
 */

export const escapeXml = (s: string): string =>
  // Characters XML 1.0 does not allow at all are dropped; the five special ones are escaped.
  s
    // biome-ignore lint/suspicious/noControlCharactersInRegex: it matches the control characters XML 1.0 forbids
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const num = (x: number) => (Math.abs(x) >= 100 || Number.isInteger(x) ? String(Math.round(x)) : x.toPrecision(3));

/** A "nice" upper bound for an axis: 1, 2 or 5 times a power of ten, at least `max`. */
function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  return [1, 2, 5, 10].map((m) => m * p).find((v) => v >= max)!;
}

export interface LineChart {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
  /** Draw as steps (a count that jumps), not straight segments. */
  readonly step?: boolean;
}

const W = 520;
const H = 220;
const [L, R, TOP, B] = [56, 16, 28, 40];

function frame(title: string, xLabel: string, yLabel: string, yMax: number, xTicks: string[]): string[] {
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ` +
      `font-family="sans-serif" font-size="11" role="img">`,
  ];
  out.push(`<title>${escapeXml(title)}</title>`, `<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${L}" y="16" font-size="13" font-weight="bold">${escapeXml(title)}</text>`);
  for (const f of [0, 0.5, 1]) {
    const y = TOP + (1 - f) * (H - TOP - B);
    out.push(
      `<line x1="${L}" x2="${W - R}" y1="${y}" y2="${y}" stroke="#ddd"/>`,
      `<text x="${L - 6}" y="${y + 4}" text-anchor="end">${num(yMax * f)}</text>`,
    );
  }
  xTicks.forEach((t, n) => {
    const x = L + (n / Math.max(1, xTicks.length - 1)) * (W - L - R);
    out.push(`<text x="${x}" y="${H - B + 16}" text-anchor="middle">${escapeXml(t)}</text>`);
  });
  out.push(`<text x="${L + (W - L - R) / 2}" y="${H - 6}" text-anchor="middle">${escapeXml(xLabel)}</text>`);
  out.push(
    `<text transform="translate(14,${TOP + (H - TOP - B) / 2}) rotate(-90)" ` +
      `text-anchor="middle">${escapeXml(yLabel)}</text>`,
  );
  out.push(`<rect x="${L}" y="${TOP}" width="${W - L - R}" height="${H - TOP - B}" fill="none" stroke="#999"/>`);
  return out;
}

export function lineChart(c: LineChart): string {
  const xs = c.points.map((p) => p[0]);
  const xMax = Math.max(1e-9, ...xs);
  const yMax = niceMax(Math.max(0, ...c.points.map((p) => p[1])));
  const out = frame(
    c.title,
    c.xLabel,
    c.yLabel,
    yMax,
    [0, 0.25, 0.5, 0.75, 1].map((f) => num(f * xMax)),
  );
  const px = (x: number) => L + (x / xMax) * (W - L - R);
  const py = (y: number) => TOP + (1 - y / yMax) * (H - TOP - B);
  const path: string[] = [];
  c.points.forEach(([x, y], n) => {
    if (n === 0) path.push(`M${px(x).toFixed(1)},${py(y).toFixed(1)}`);
    else {
      if (c.step) path.push(`H${px(x).toFixed(1)}`);
      path.push(`${c.step ? 'V' : 'L'}${c.step ? py(y).toFixed(1) : `${px(x).toFixed(1)},${py(y).toFixed(1)}`}`);
    }
  });
  if (path.length > 0) out.push(`<path d="${path.join(' ')}" fill="none" stroke="#2a6fb0" stroke-width="2"/>`);
  else out.push(`<text x="${W / 2}" y="${H / 2}" text-anchor="middle" fill="#888">no data</text>`);
  out.push('</svg>');
  return out.join('\n');
}

export interface BarChart {
  readonly title: string;
  readonly bars: ReadonlyArray<readonly [string, number]>;
}

export function barChart(c: BarChart): string {
  const yMax = niceMax(Math.max(0, ...c.bars.map((b) => b[1])));
  const out = frame(c.title, '', 'cases', yMax, []);
  const slot = (W - L - R) / Math.max(1, c.bars.length);
  c.bars.forEach(([label, n], k) => {
    const h = (n / yMax) * (H - TOP - B);
    const x = L + k * slot;
    out.push(
      `<rect x="${(x + slot * 0.1).toFixed(1)}" y="${(H - B - h).toFixed(1)}" ` +
        `width="${(slot * 0.8).toFixed(1)}" height="${h.toFixed(1)}" ` +
        `fill="#5b9bd5"><title>${escapeXml(`${label}: ${n}`)}</title></rect>`,
    );
    if (c.bars.length <= 24 || k % Math.ceil(c.bars.length / 24) === 0)
      out.push(
        `<text x="${(x + slot / 2).toFixed(1)}" y="${H - B + 14}" text-anchor="middle" ` +
          `font-size="10">${escapeXml(label.length > 9 ? `${label.slice(0, 8)}…` : label)}</text>`,
      );
  });
  out.push('</svg>');
  return out.join('\n');
}

/** Cases per second between consecutive timeline points (the slope of the cumulative count). */
export function rates(
  points: ReadonlyArray<{ readonly seconds: number; readonly cases: number }>,
): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let n = 1; n < points.length; n++) {
    const dt = points[n]!.seconds - points[n - 1]!.seconds;
    if (dt > 0) out.push([points[n]!.seconds, (points[n]!.cases - points[n - 1]!.cases) / dt]);
  }
  return out;
}
