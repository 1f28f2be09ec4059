/**
 * Golden results for people (an aligned table, the failures with their file's hint, one summary
 * line) and for programs (`--json`: an array of {file, kernel, tensor, maxAbs, maxRel, pass}).
 */

import type { GoldenOutcome } from './check.js';
import { GOLDEN_KINDS, type Golden } from './goldenFile.js';

/** One `--json` entry; an implementation that threw gives one entry with tensor null and its error. */
export interface GoldenJsonRow {
  readonly file: string;
  readonly kernel: string;
  readonly tensor: string | null;
  /** null for Infinity (a wrong shape or a NaN where PyTorch is finite) and for errors. */
  readonly maxAbs: number | null;
  readonly maxRel: number | null;
  readonly pass: boolean;
  readonly error?: string;
}

const num = (x: number): string => (Number.isFinite(x) ? x.toExponential(2) : 'inf');
const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

export function goldenJson(outcomes: readonly GoldenOutcome[]): GoldenJsonRow[] {
  const rows: GoldenJsonRow[] = [];
  for (const o of outcomes) {
    if (o.state === 'checked') {
      for (const r of o.rows) {
        rows.push({
          file: r.file,
          kernel: r.kernel,
          tensor: r.tensor,
          maxAbs: finiteOrNull(r.maxAbs),
          maxRel: finiteOrNull(r.maxRel),
          pass: r.pass,
        });
      }
    } else if (o.state === 'errored') {
      rows.push({
        file: o.file,
        kernel: o.kernel,
        tensor: null,
        maxAbs: null,
        maxRel: null,
        pass: false,
        error: o.error,
      });
    }
  }
  return rows;
}

function table(lines: string[][]): string[] {
  const widths: number[] = [];
  for (const l of lines) for (const [n, c] of l.entries()) widths[n] = Math.max(widths[n] ?? 0, c.length);
  return lines.map((l) => l.map((c, n) => (n === l.length - 1 ? c : c.padEnd(widths[n]!))).join('  '));
}

/** The text report: one line per tensor, then the failures with hints, then the summary. */
export function goldenText(goldens: readonly Golden[], outcomes: readonly GoldenOutcome[]): string {
  const lines: string[][] = [['file', 'kernel', 'tensor', 'max abs', 'max rel', 'bound', 'result']];
  const failed = new Map<string, string[]>();
  let tensors = 0;
  let passed = 0;
  let skipped = 0;
  let errored = 0;
  for (const o of outcomes) {
    if (o.state === 'checked') {
      for (const r of o.rows) {
        tensors++;
        if (r.pass) passed++;
        else failed.set(`${o.file} ${o.kernel}`, [...(failed.get(`${o.file} ${o.kernel}`) ?? []), r.tensor]);
        lines.push([
          r.file,
          r.kernel,
          r.tensor,
          num(r.maxAbs),
          num(r.maxRel),
          num(r.bound),
          (r.pass ? 'PASS' : 'FAIL') + (r.note ? ` (${r.note})` : ''),
        ]);
      }
    } else if (o.state === 'skipped') {
      skipped++;
      lines.push([o.file, o.kernel, '-', '', '', '', `skipped: ${o.reason}`]);
    } else {
      errored++;
      failed.set(`${o.file} ${o.kernel}`, ['threw']);
      lines.push([o.file, o.kernel, '-', '', '', '', `ERROR: ${o.error}`]);
    }
  }
  const out = table(lines);
  const hints = new Map(goldens.map((g) => [g.file, g.hint]));
  for (const [key, what] of failed) {
    const hint = hints.get(key.slice(0, key.lastIndexOf(' ')));
    out.push(`FAIL ${key}: ${what.join(', ')}${hint !== undefined ? ` (${hint})` : ''}`);
  }
  const ran = new Map<string, Set<string>>();
  for (const o of outcomes)
    if (o.state !== 'skipped') ran.set(o.kernel, new Set([...(ran.get(o.kernel) ?? []), kindOf(goldens, o.file)]));
  const ranText = [...ran].map(([k, kinds]) => `${k} (${[...kinds].join(', ')})`).join(', ') || 'none';
  const kinds = GOLDEN_KINDS.map((k) => `${goldens.filter((g) => g.kind === k).length} ${k}`).join(', ');
  const verdict = failed.size === 0 ? 'PASS' : 'FAIL';
  out.push(
    `golden: ${verdict}: ${goldens.length} files (${kinds}); ran ${ranText}; ` +
      `${tensors} tensors: ${passed} passed, ${tensors - passed} failed; ${skipped} skipped, ${errored} errored`,
  );
  return out.join('\n') + '\n';
}

function kindOf(goldens: readonly Golden[], file: string): string {
  return goldens.find((g) => g.file === file)?.kind ?? '?';
}
