/**
 * The flags of `attnfuzz fuzz` as data (the options table in fuzz.ts fills them), what the command
 * line does not carry (a stop signal, workers for tests), and back to the command line that runs the
 * same campaign again (the report prints it).
 */
import type { AnyBackend } from '../../backend/index.js';
import type { SpawnWorker } from '../../campaign/index.js';
import type { Precision } from '../../contract/index.js';
import type { AdapterChoice } from '../../execute/index.js';
import type { SuiteName } from '../../runner/index.js';
import type { ProfileName } from '../profile.js';

export interface FuzzFlags {
  readonly kernels?: readonly string[];
  readonly suites?: readonly SuiteName[];
  readonly time?: number;
  readonly runs?: number;
  readonly workers: number;
  readonly backend?: AnyBackend;
  /** Page backends: which adapter and which Chromium. */
  readonly adapter?: AdapterChoice;
  readonly browser?: string;
  readonly seed?: number;
  readonly shard?: string;
  readonly profile: ProfileName;
  /** Pins the dtype of every target's cases; absent: all precisions are drawn. */
  readonly precision?: Precision;
  readonly corpus: string;
  readonly report: string;
  readonly timeout: number;
  readonly shrinkTime: number;
  /**
   * Workers as threads or processes; default processes for the tensorflow backend (tensorflow/tfjs#8388), else threads.
   */
  readonly isolation?: 'thread' | 'process';
  readonly json?: boolean;
  /** Where targets run (`cuda:{i}`: worker i on GPU i), and the Python of torch: and py: targets. */
  readonly device?: string;
  readonly python?: string;
}

/** What the command line does not carry: a stop signal and workers (tests). */
export interface FuzzRuntime {
  readonly signal?: AbortSignal;
  readonly spawn?: SpawnWorker;
}

/** The command that runs the same campaign again (the seed made explicit). */
export function commandOf(flags: FuzzFlags, seed: number, shard: { index: number; count: number }): string {
  const parts = ['attnfuzz fuzz'];
  if (flags.kernels) parts.push(`--kernels ${flags.kernels.join(',')}`);
  if (flags.suites) parts.push(`--suites ${flags.suites.join(',')}`);
  if (flags.time !== undefined) parts.push(`--time ${flags.time}`);
  if (flags.runs !== undefined) parts.push(`--runs ${flags.runs}`);
  parts.push(`--seed ${seed}`, `--workers ${flags.workers}`);
  if (shard.count > 1) parts.push(`--shard ${shard.index}/${shard.count}`);
  if (flags.backend) parts.push(`--backend ${flags.backend}`);
  if (flags.adapter) parts.push(`--adapter ${flags.adapter}`);
  if (flags.browser) parts.push(`--browser ${flags.browser}`);
  if (flags.profile !== 'default') parts.push(`--profile ${flags.profile}`);
  if (flags.precision !== undefined) parts.push(`--precision ${flags.precision}`);
  if (flags.device !== undefined) parts.push(`--device '${flags.device}'`);
  return parts.join(' ');
}
