/**
 * Progress of a fuzz campaign: on a terminal, a cli-progress bar of elapsed time (or cases)
 * against the budget with cases/s, failures and distinct failures, and one line per kernel under
 * it; in CI logs and pipes, one plain line every 10 s. The campaign's main thread is idle between
 * messages, so cli-progress redraws from its own timer.
 */
import cliProgress from 'cli-progress';
import type { CampaignProgress } from '../campaign/index.js';
import type { Io } from './io.js';
import { plainProgress } from './plainProgress.js';

export interface CampaignDisplay {
  readonly onProgress: (p: CampaignProgress) => void;
  readonly progressMs: number;
  /** Removes the bars (before the summary is printed). */
  stop(): void;
}

/** Per kernel over its suites: `flash 812 cases 3 failed 2 distinct`. */
function perKernel(p: CampaignProgress): string[] {
  const by = new Map<string, { cases: number; failed: number; distinct: number; stopped: boolean }>();
  for (const t of p.perTarget) {
    const k = by.get(t.target.kernel) ?? { cases: 0, failed: 0, distinct: 0, stopped: false };
    by.set(t.target.kernel, {
      cases: k.cases + t.cases,
      failed: k.failed + t.failed,
      distinct: k.distinct + t.distinct,
      stopped: k.stopped || t.stopped !== undefined,
    });
  }
  return [...by].map(
    ([kernel, k]) =>
      `${kernel}: ${k.cases} cases, ${k.failed} failed, ${k.distinct} ` +
      `distinct${k.stopped ? ' (a suite stopped: hangs)' : ''}`,
  );
}

export function campaignDisplay(budget: { timeMs?: number; runs?: number }, io: Io): CampaignDisplay {
  const rate = (p: CampaignProgress) => (p.elapsedMs > 0 ? (p.cases * 1000) / p.elapsedMs : 0).toFixed(1);
  const of =
    budget.timeMs !== undefined
      ? ` / ${(budget.timeMs / 1000).toFixed(0)} s`
      : budget.runs !== undefined
        ? ` (budget ${budget.runs} cases)`
        : '';
  if (!io.errIsTTY || !io.errStream) {
    return plainProgress(
      io,
      (p: CampaignProgress) =>
        `fuzz: ${(p.elapsedMs / 1000).toFixed(0)} s${of}, ${p.cases} cases, ${rate(p)} cases/s, ${p.failed} ` +
        `failed, ${p.distinct} distinct; ${perKernel(p).join('; ')}`,
    );
  }
  const byTime = budget.timeMs !== undefined;
  const total = byTime ? Math.round(budget.timeMs! / 1000) : (budget.runs ?? 1);
  const multi = new cliProgress.MultiBar(
    { stream: io.errStream, hideCursor: true, clearOnComplete: true, fps: 4, format: '{line}' },
    cliProgress.Presets.shades_classic,
  );
  const main = multi.create(
    total,
    0,
    { line: '' },
    { format: `fuzz [{bar}] {value}/{total} ${byTime ? 's' : 'cases'} | {line}` },
  );
  const lines: cliProgress.SingleBar[] = [];
  return {
    onProgress: (p) => {
      main.update(Math.min(total, byTime ? Math.round(p.elapsedMs / 1000) : p.cases), {
        line: `${p.cases} cases | ${rate(p)} cases/s | ${p.failed} failed | ${p.distinct} distinct`,
      });
      perKernel(p).forEach((text, n) => {
        const bar = (lines[n] ??= multi.create(1, 0, { line: '' }));
        bar.update(0, { line: `  ${text}` });
      });
    },
    progressMs: 250,
    stop: () => multi.stop(),
  };
}
