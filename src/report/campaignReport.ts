/**
 * What a fuzz campaign reports (src/campaign builds it; junit.ts and campaignHtml.ts draw it):
 * report.json is this object as JSON.
 *
 *   totals        cases run, passed, unsupported, failed (a case whose check failed, timed out,
 *                 leaked or crashed its worker), distinct failures hit, new ones saved, cases/s
 *   targets       the same per kernel x suite, and why a target stopped early
 *   failures      one per distinct failure hit: signature, hits, first case, the saved file and
 *                 its replay command, verdict lines, repro, heatmap (SVG text)
 *   timeline      cumulative counts over time (cases/s is its slope)
 *   coverage      histograms of the case space drawn, by `kind.axis` then bucket
 *   corpus        the folder, signatures known before, temp files recovered, files skipped
 */

export const REPORT_FORMAT = 'attnfuzz-campaign-report';
export const REPORT_VERSION = 1;

export interface TargetStats {
  readonly kernel: string;
  readonly suite: string;
  readonly cases: number;
  readonly pass: number;
  readonly unsupported: number;
  readonly failed: number;
  readonly timeouts: number;
  readonly crashes: number;
  readonly leaks: number;
  /** Distinct failures hit on this target. */
  readonly distinct: number;
  readonly ms: number;
  /** Why the campaign stopped running this target early (repeated timeouts), if it did. */
  readonly stopped?: string;
}

export interface FailureEntry {
  /** The signature's one line and its hash (the saved file's name). */
  readonly signature: string;
  readonly hash: string;
  readonly kernel: string;
  readonly suite: string;
  readonly kind: string;
  readonly hits: number;
  /** Case index in the campaign and seconds from the start of the first hit. */
  readonly firstCase: number | null;
  readonly firstSeconds: number | null;
  /** Saved before this campaign (another shard, an earlier run). */
  readonly known: boolean;
  readonly shrunk: boolean;
  readonly file: string | null;
  readonly replay: string | null;
  readonly summary: string;
  readonly verdict: readonly string[];
  readonly repro: readonly string[];
  readonly heatmap: string | null;
}

export interface TimelinePoint {
  readonly seconds: number;
  readonly cases: number;
  readonly failed: number;
  readonly distinct: number;
}

export interface CampaignReport {
  readonly format: typeof REPORT_FORMAT;
  readonly version: typeof REPORT_VERSION;
  readonly attnfuzz: string;
  readonly tfjs: string;
  readonly command: string;
  readonly seed: number;
  readonly shard: { readonly index: number; readonly count: number };
  readonly backend: string;
  readonly workers: number;
  readonly budget: { readonly seconds: number | null; readonly runs: number | null };
  readonly started: string;
  readonly elapsedSeconds: number;
  /** Why it ended: the budget, the case count, a signal (Ctrl-C, SIGTERM). */
  readonly ended: 'time' | 'runs' | 'signal';
  readonly totals: {
    readonly cases: number;
    readonly pass: number;
    readonly unsupported: number;
    readonly failed: number;
    readonly distinct: number;
    readonly newDistinct: number;
    readonly casesPerSecond: number;
  };
  readonly targets: readonly TargetStats[];
  readonly failures: readonly FailureEntry[];
  readonly timeline: readonly TimelinePoint[];
  readonly coverage: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly corpus: {
    readonly dir: string;
    readonly known: number;
    readonly temps: readonly string[];
    readonly problems: readonly string[];
  };
}

/** report.json's text. */
export function campaignJson(r: CampaignReport): string {
  return JSON.stringify(r, null, 2) + '\n';
}
