/** The two pictures of a benchmark: time and GFLOP/s against S, per kernel x backend (and head dim when several). */
import { machineLine } from './machine.js';
import { logChart } from './plot.js';
import type { BenchReport } from './types.js';

export function benchPlots(r: BenchReport): { time: string; gflops: string } {
  const several = new Set(r.rows.map((x) => x.D)).size > 1;
  const keys = [...new Set(r.rows.map((x) => `${x.kernel}|${x.backend}|${x.D}|${x.causal}`))];
  const series = (y: (x: BenchReport['rows'][number]) => number) =>
    keys.map((key) => {
      const [kernel, backend, D, causal] = key.split('|');
      const rows = r.rows
        .filter((x) => x.kernel === kernel && x.backend === backend && String(x.D) === D && String(x.causal) === causal)
        .sort((a, b) => a.S - b.S);
      return {
        label: `${kernel} ${backend}${several ? ` D=${D}` : ''}${causal === 'true' ? ' causal' : ''}`,
        points: rows.map((x) => [x.S, y(x)] as const),
      };
    });
  const shape = r.rows[0]
    ? `B=${r.rows[0].B}, Hq=${r.rows[0].Hq}, Hkv=${r.rows[0].Hkv}; ${machineLine(r.machine)}`
    : '';
  return {
    time: logChart({
      title: `forward + backward time (${shape})`,
      xLabel: 'S (Sq = Sk)',
      yLabel: 'ms (median)',
      series: series((x) => x.ms),
    }),
    gflops: logChart({
      title: `effective GFLOP/s (${shape})`,
      xLabel: 'S (Sq = Sk)',
      yLabel: 'GFLOP/s',
      series: series((x) => x.gflops),
      references: r.ceilings.map((c) => ({ label: `${c.backend} matMul ${c.n}³`, y: c.gflops })),
    }),
  };
}
