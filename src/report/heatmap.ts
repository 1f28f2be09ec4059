/**
 * A picture of where a kernel is wrong: an SVG heatmap of |kernel - reference| for one tensor over
 * its last two axes, at the worst element's leading indices, with axis labels, a colour scale and
 * a title.
 *
 *   attention out, dq:  rows = query i, columns = head dim   ([B, Hq, Sq, D|Dv] at (b, h))
 *   attention dk, dv:   rows = key j,   columns = head dim   ([B, Hkv, Sk, D|Dv] at (b, h))
 *   LoRA y [N, out], training logits [B, S, V] at b, ...: rows and columns as the tensor's axes
 *
 * dK and dV have no query axis (each key's gradient sums over every query), so their map is over
 * (key, dim): a dropped last block shows as the bottom rows, a wrong GQA mapping as a whole head.
 * Non-finite errors are drawn in magenta, outside the scale. No dependencies: plain SVG text.
 */
import type { HostTensor } from '../contract/index.js';

export interface HeatmapInput {
  readonly kernel: string;
  readonly tensor: string;
  readonly got: HostTensor;
  readonly ref: HostTensor;
  /** Indices of the leading axes (all but the last two) of the slice to draw: the worst element's. */
  readonly at: readonly number[];
  /** Axis names (`['b', 'h', 'key', 'dim']`); default `['axis 0', ...]`. */
  readonly axes?: readonly string[];
}

/** viridis, sampled at 0, 0.25, 0.5, 0.75, 1, interpolated linearly. */
const STOPS: ReadonlyArray<readonly [number, number, number]> = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

export function colour(t: number): string {
  const x = Math.min(1, Math.max(0, t)) * (STOPS.length - 1);
  const n = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - n;
  const [a, b] = [STOPS[n]!, STOPS[n + 1]!];
  const c = a.map((v, k) => Math.round(v + (b[k]! - v) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (x: number) => (x === 0 ? '0' : x.toExponential(1));

/** The tensor seen as [...leading, R, C] (a vector is one row, a scalar one cell). */
function matrixShape(shape: readonly number[]): { lead: number[]; R: number; C: number } {
  if (shape.length === 0) return { lead: [], R: 1, C: 1 };
  if (shape.length === 1) return { lead: [], R: 1, C: shape[0]! };
  return { lead: shape.slice(0, -2), R: shape.at(-2)!, C: shape.at(-1)! };
}

/** |got - ref| over rows x columns of the slice at `at`; NaN where either is non-finite. */
export function errorSlice(input: HeatmapInput): { rows: number; cols: number; err: Float64Array } {
  const { lead, R, C } = matrixShape(input.ref.shape);
  let slice = 0;
  for (const [n, d] of lead.entries()) slice = slice * d + Math.min(input.at[n] ?? 0, d - 1);
  const err = new Float64Array(R * C);
  const base = slice * R * C;
  for (let n = 0; n < R * C; n++) {
    const d = Math.abs(input.got.data[base + n]! - input.ref.data[base + n]!);
    err[n] = Number.isFinite(d) ? d : NaN;
  }
  return { rows: R, cols: C, err };
}

export function heatmapSvg(input: HeatmapInput): string {
  const { rows, cols, err } = errorSlice(input);
  let max = 0;
  for (const x of err) if (x > max) max = x;
  const cell = Math.max(4, Math.min(40, Math.floor(480 / Math.max(rows, cols))));
  const [left, top] = [70, 76];
  const [w, h] = [cols * cell, rows * cell];
  const legendX = left + w + 30;
  const title = `${input.kernel}: |${input.tensor} - reference|`;
  const width = Math.max(legendX + 120, left + Math.ceil(title.length * 9) + 20);
  const height = Math.max(top + h + 60, top + 260);
  const rank = input.ref.shape.length;
  const axes = input.axes && input.axes.length === rank ? input.axes : input.ref.shape.map((_, n) => `axis ${n}`);
  const rowAxis = rank >= 2 ? axes[rank - 2]! : 'row';
  const colAxis = rank >= 1 ? axes[rank - 1]! : 'value';
  const where = axes
    .slice(0, Math.max(0, rank - 2))
    .map((a, n) => `${a}=${input.at[n] ?? 0}`)
    .join(', ');
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" ` +
      `font-size="12">`,
  );
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(
    `<text x="${left}" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`,
    `<text x="${left}" y="42" fill="#444">${esc(`${where ? `${where}; ` : ''}max ${fmt(max)}`)}</text>`,
  );
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const x = err[r * cols + c]!;
      const fill = Number.isNaN(x) ? 'magenta' : colour(max > 0 ? x / max : 0);
      out.push(
        `<rect x="${left + c * cell}" y="${top + r * cell}" width="${cell}" height="${cell}" ` +
          `fill="${fill}"><title>${rowAxis}=${r} ${colAxis}=${c}: ` +
          `${Number.isNaN(x) ? 'non-finite' : x.toExponential(3)}</title></rect>`,
      );
    }
  out.push(`<rect x="${left}" y="${top}" width="${w}" height="${h}" fill="none" stroke="#333"/>`);
  // Tick labels: every row/column when they fit, else about ten of them.
  const every = (n: number) => Math.max(1, Math.ceil((n * 14) / Math.max(1, n * cell)));
  for (let r = 0; r < rows; r += every(rows))
    out.push(`<text x="${left - 6}" y="${top + r * cell + cell / 2 + 4}" text-anchor="end">${r}</text>`);
  for (let c = 0; c < cols; c += every(cols))
    out.push(`<text x="${left + c * cell + cell / 2}" y="${top + h + 16}" text-anchor="middle">${c}</text>`);
  out.push(
    `<text x="${left + w / 2}" y="${top + h + 36}" text-anchor="middle" font-weight="bold">${esc(colAxis)}</text>`,
  );
  out.push(
    `<text transform="translate(${left - 40},${top + h / 2}) rotate(-90)" text-anchor="middle" ` +
      `font-weight="bold">${esc(rowAxis)}</text>`,
  );
  // Colour scale: 0 at the bottom, max at the top.
  const barH = 180;
  for (let s = 0; s < 60; s++)
    out.push(
      `<rect x="${legendX}" y="${top + barH - ((s + 1) * barH) / 60}" width="16" height="${barH / 60 + 0.5}" ` +
        `fill="${colour(s / 59)}"/>`,
    );
  out.push(`<rect x="${legendX}" y="${top}" width="16" height="${barH}" fill="none" stroke="#333"/>`);
  out.push(
    `<text x="${legendX + 22}" y="${top + 10}">${fmt(max)}</text>`,
    `<text x="${legendX + 22}" y="${top + barH}">0</text>`,
  );
  out.push(`<text x="${legendX}" y="${top - 8}">|error|</text>`);
  out.push(
    `<rect x="${legendX}" y="${top + barH + 14}" width="16" height="12" fill="magenta"/><text ` +
      `x="${legendX + 22}" y="${top + barH + 24}">non-finite</text>`,
  );
  out.push('</svg>');
  return out.join('\n') + '\n';
}
