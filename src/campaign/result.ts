/**
 * What a campaign hands back: the report (src/report's CampaignReport: report.json, junit.xml,
 * index.html are drawn from it) and its progress while it runs.
 */
import { tf } from '../backend/index.js';
import { packageVersion } from '../corpus/index.js';
import { type CampaignReport, type FailureEntry, REPORT_FORMAT, REPORT_VERSION } from '../report/index.js';
import type { CampaignOptions } from './options.js';
import type { CampaignStats } from './stats.js';
import type { Shard } from './stream.js';
import type { Distinct, Triage } from './triage.js';

export interface CampaignResult {
  readonly report: CampaignReport;
  /** At least one case failed (exit 1). */
  readonly failed: boolean;
}

function entryOf(d: Distinct): FailureEntry {
  return {
    signature: d.text,
    hash: d.hash,
    kernel: d.signature.kernel,
    suite: d.signature.suite,
    kind: d.signature.kind,
    hits: d.hits,
    firstCase: d.firstCase,
    firstSeconds: d.firstMs === null ? null : Math.round(d.firstMs) / 1000,
    known: d.fromCorpus,
    shrunk: d.shrunk,
    file: d.file,
    replay: d.file ? `npx attnfuzz replay ${d.file}` : null,
    summary: d.summary,
    verdict: d.verdict,
    repro: d.repro,
    heatmap: d.svg,
  };
}

export function campaignReport(x: {
  o: CampaignOptions;
  shard: Shard;
  started: Date;
  elapsedMs: number;
  ended: CampaignReport['ended'];
  stats: CampaignStats;
  triage: Triage;
  scan: CampaignReport['corpus'] extends infer C ? Omit<C, 'dir'> : never;
}): CampaignResult {
  const { o, stats } = x;
  const targets = stats.perTarget();
  const sum = (k: 'cases' | 'pass' | 'unsupported' | 'failed') => targets.reduce((a, t) => a + t[k], 0);
  const failures = x.triage.hitThisCampaign().map(entryOf);
  const report: CampaignReport = {
    format: REPORT_FORMAT,
    version: REPORT_VERSION,
    attnfuzz: packageVersion(),
    tfjs: tf.version_core,
    command: o.command ?? '',
    seed: o.seed,
    shard: { index: x.shard.index, count: x.shard.count },
    backend: o.backend,
    workers: o.workers,
    budget: { seconds: o.timeMs === undefined ? null : o.timeMs / 1000, runs: o.runs ?? null },
    started: x.started.toISOString(),
    elapsedSeconds: Math.round(x.elapsedMs) / 1000,
    ended: x.ended,
    totals: {
      cases: sum('cases'),
      pass: sum('pass'),
      unsupported: sum('unsupported'),
      failed: sum('failed'),
      distinct: failures.length,
      newDistinct: failures.filter((f) => !f.known).length,
      casesPerSecond: x.elapsedMs > 0 ? Math.round((sum('cases') * 1e5) / x.elapsedMs) / 100 : 0,
    },
    targets,
    failures,
    timeline: stats.timeline(),
    coverage: stats.coverage,
    corpus: { dir: o.corpus, ...x.scan },
  };
  return { report, failed: report.totals.failed > 0 };
}
