/** The benchmark as markdown tables (bench.md, and what `attnfuzz bench` prints). */
import type { BenchReport } from './types.js';

const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function table(head: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
}

export function benchMarkdown(r: BenchReport): string {
  const out: string[] = [];
  out.push(
    ...table(
      ['backend', 'matMul n', 'ms', 'GFLOP/s (the ceiling)'],
      r.ceilings.map((c) => [c.backend, String(c.n), c.ms.toFixed(1), c.gflops.toFixed(2)]),
    ),
    '',
  );
  out.push(
    ...table(
      ['kernel', 'backend', 'B', 'Hq/Hkv', 'S', 'D', 'ms (median ± mad)', 'GFLOP/s', 'of matMul', 'peak memory'],
      r.rows.map((x) => [
        x.kernel,
        x.backend,
        String(x.B),
        `${x.Hq}/${x.Hkv}`,
        String(x.S),
        String(x.D),
        `${x.ms.toFixed(1)} ± ${x.madMs.toFixed(1)}`,
        x.gflops.toFixed(2),
        pct(x.ceilingRatio),
        mib(x.peakBytes),
      ]),
    ),
  );
  if (r.skipped.length > 0)
    out.push('', ...r.skipped.map((s) => `- not timed: ${s.kernel} on ${s.backend}: ${s.reason}`));
  if (r.harness.length > 0) {
    out.push(
      '',
      ...table(
        [
          'kernel',
          'backend',
          'default check cases/s',
          'kernel under test',
          'reference',
          'baseline',
          'materialise',
          'judge',
        ],
        r.harness.map((h) => [
          h.kernel,
          h.adapter ? `${h.backend} (${h.adapter})` : h.backend,
          h.casesPerSecond < 10 ? h.casesPerSecond.toFixed(2) : h.casesPerSecond.toFixed(1),
          pct(h.shares.kernel),
          pct(h.shares.reference),
          pct(h.shares.baseline),
          pct(h.shares.materialise),
          pct(h.shares.judge),
        ]),
      ),
    );
  }
  return out.join('\n') + '\n';
}
