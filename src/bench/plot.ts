/**
 * The benchmark's pictures: one SVG line chart per measure against S, log axes on both (attention
 * time grows as S², so on log-log a kernel is a straight line of slope 2 and the gap between two
 * kernels is their ratio at every S), one line per kernel x backend, with a legend, and an optional
 * dashed horizontal reference line (the backend's matMul GFLOP/s). No script, no fonts fetched.
 */
import { escapeXml } from '../report/index.js';

export interface Series {
  readonly label: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
}

export interface LogChart {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  /** Dashed horizontal lines, e.g. a ceiling. */
  readonly references?: ReadonlyArray<{ readonly label: string; readonly y: number }>;
}

const [W, H] = [640, 360];
const [L, R, TOP, B] = [64, 170, 32, 44];
const COLOURS = ['#2a6fb0', '#d9480f', '#2b8a3e', '#862e9c', '#c92a2a', '#5c940d', '#1098ad', '#e67700'];

const decades = (lo: number, hi: number): number[] => {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
  return out;
};
const label = (v: number) =>
  v >= 1000 || v < 0.01 ? v.toExponential(0).replace('e+', 'e') : String(Number(v.toPrecision(3)));

export function logChart(c: LogChart): string {
  const all = c.series.flatMap((s) => s.points).filter(([x, y]) => x > 0 && y > 0);
  const ys = [...all.map((p) => p[1]), ...(c.references ?? []).map((r) => r.y)].filter((y) => y > 0);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ` +
      `font-family="sans-serif" font-size="11" role="img">`,
  ];
  out.push(`<title>${escapeXml(c.title)}</title>`, `<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${L}" y="18" font-size="13" font-weight="bold">${escapeXml(c.title)}</text>`);
  if (all.length === 0) {
    out.push(`<text x="${W / 2}" y="${H / 2}" text-anchor="middle" fill="#888">no data</text>`, '</svg>');
    return out.join('\n');
  }
  const [xLo, xHi] = [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
  const yTicks = decades(Math.min(...ys), Math.max(...ys));
  const [yLo, yHi] = [yTicks[0]!, yTicks[yTicks.length - 1]!];
  const lx = (x: number) => (xHi === xLo ? 0.5 : (Math.log(x) - Math.log(xLo)) / (Math.log(xHi) - Math.log(xLo)));
  const px = (x: number) => L + lx(x) * (W - L - R);
  const py = (y: number) =>
    TOP + (1 - (Math.log(y) - Math.log(yLo)) / (Math.log(yHi) - Math.log(yLo) || 1)) * (H - TOP - B);
  for (const t of yTicks)
    out.push(
      `<line x1="${L}" x2="${W - R}" y1="${py(t).toFixed(1)}" y2="${py(t).toFixed(1)}" stroke="#e3e3e3"/>`,
      `<text x="${L - 6}" y="${(py(t) + 4).toFixed(1)}" text-anchor="end">${label(t)}</text>`,
    );
  const xs = [...new Set(all.map((p) => p[0]))].sort((a, b) => a - b);
  for (const x of xs)
    out.push(
      `<line x1="${px(x).toFixed(1)}" x2="${px(x).toFixed(1)}" y1="${TOP}" y2="${H - B}" stroke="#f0f0f0"/>`,
      `<text x="${px(x).toFixed(1)}" y="${H - B + 16}" text-anchor="middle">${x}</text>`,
    );
  out.push(`<rect x="${L}" y="${TOP}" width="${W - L - R}" height="${H - TOP - B}" fill="none" stroke="#999"/>`);
  out.push(`<text x="${L + (W - L - R) / 2}" y="${H - 8}" text-anchor="middle">${escapeXml(c.xLabel)}</text>`);
  out.push(
    `<text transform="translate(16,${TOP + (H - TOP - B) / 2}) rotate(-90)" ` +
      `text-anchor="middle">${escapeXml(c.yLabel)}</text>`,
  );
  for (const r of c.references ?? []) {
    const y = py(r.y).toFixed(1);
    out.push(`<line x1="${L}" x2="${W - R}" y1="${y}" y2="${y}" stroke="#888" stroke-dasharray="5,4"/>`);
    out.push(
      `<text x="${W - R - 4}" y="${(Number(y) - 4).toFixed(1)}" text-anchor="end" ` +
        `fill="#555">${escapeXml(r.label)}</text>`,
    );
  }
  c.series.forEach((s, n) => {
    const colour = COLOURS[n % COLOURS.length]!;
    const pts = s.points.filter(([x, y]) => x > 0 && y > 0);
    const d = pts.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
    if (pts.length > 0) out.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    for (const [x, y] of pts)
      out.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${colour}"/>`);
    const ly = TOP + 10 + n * 16;
    out.push(
      `<line x1="${W - R + 8}" x2="${W - R + 26}" y1="${ly}" y2="${ly}" stroke="${colour}" stroke-width="2"/>`,
      `<text x="${W - R + 30}" y="${ly + 4}">${escapeXml(s.label)}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('\n');
}
