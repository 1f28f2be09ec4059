/**
 * Progress of a long search: on a terminal a cli-progress bar redrawn in place (elapsed against
 * the budget, cases/s, unsupported, phase); otherwise (CI logs, pipes) one plain line every 10 s.
 * The search is synchronous, so the bar is redrawn from the search's own progress callback
 * (cli-progress's synchronousUpdate), not from a timer.
 */
import cliProgress from 'cli-progress';
import type { SearchProgress } from '../runner/index.js';
import type { Io } from './io.js';
import { plainProgress } from './plainProgress.js';

export interface ProgressDisplay {
  readonly onProgress: (p: SearchProgress) => void;
  readonly progressMs: number;
  /** Removes the bar (before the result is printed). */
  stop(): void;
}

export function progressDisplay(label: string, budget: { timeMs?: number; numRuns?: number }, io: Io): ProgressDisplay {
  const line = (p: SearchProgress) =>
    `${label}: ${p.phase === 'shrink' ? 'shrinking, ' : ''}${p.cases} cases, ${p.casesPerSecond.toFixed(1)} ` +
    `cases/s, ${p.unsupported} unsupported, ${(p.elapsedMs / 1000).toFixed(0)} s`;
  if (!io.errIsTTY || !io.errStream) return plainProgress(io, line);
  const byTime = budget.timeMs !== undefined;
  const total = byTime ? Math.round(budget.timeMs! / 1000) : (budget.numRuns ?? 100);
  const bar = new cliProgress.SingleBar(
    {
      stream: io.errStream,
      format:
        `${label} [{bar}] {value}/{total} ${byTime ? 's' : 'cases'} | {cases} cases | {rate} cases/s | ` +
        `{unsupported} unsupported {phase}`,
      hideCursor: true,
      clearOnComplete: true,
      synchronousUpdate: true,
      fps: 4,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { cases: 0, rate: '0.0', unsupported: 0, phase: '' });
  return {
    onProgress: (p) =>
      bar.update(Math.min(total, byTime ? Math.round(p.elapsedMs / 1000) : p.cases), {
        cases: p.cases,
        rate: p.casesPerSecond.toFixed(1),
        unsupported: p.unsupported,
        phase: p.phase === 'shrink' ? '(shrinking)' : '',
      }),
    progressMs: 250,
    stop: () => bar.stop(),
  };
}
