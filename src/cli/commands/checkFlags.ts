/**
 * The flags of `attnfuzz check` as data (the options table in check.ts fills them), and back to
 * the command line that repeats a search with a given seed (printed by the watchdog and the repro).
 */
import type { AnyBackend } from '../../backend/index.js';
import type { SizeProfile } from '../../case/index.js';
import type { Precision } from '../../contract/index.js';
import type { AdapterChoice } from '../../execute/index.js';
import type { SuiteName } from '../../runner/index.js';
import type { JunkLevel } from '../options.js';

export interface CheckFlags {
  readonly kernel: string;
  readonly suite: SuiteName;
  readonly backend?: AnyBackend;
  readonly backends?: readonly AnyBackend[];
  /** Page backends: the GPU Chromium is asked for, and the Chromium to run. */
  readonly adapter?: AdapterChoice;
  readonly browser?: string;
  readonly time?: number;
  readonly runs?: number;
  readonly seed?: number;
  /** Seconds a case may take before check ends itself saying so (watchdog.ts); absent: no limit. */
  readonly timeout?: number;
  readonly corpus: string;
  readonly json?: boolean;
  readonly precision?: Precision;
  readonly profile?: SizeProfile;
  readonly junk?: JunkLevel;
  readonly forwardOnly?: boolean;
  /** Where a target runs (torch:*, py:, ...), and the Python of torch: and py: targets. */
  readonly device?: string;
  readonly python?: string;
}

/** The command that runs the same search again, with the seed made explicit. */
export function searchCommand(flags: CheckFlags, seed: number): string {
  const parts = [
    'attnfuzz check',
    flags.suite !== 'attention' ? `--suite ${flags.suite}` : '',
    `--kernel ${flags.kernel}`,
  ];
  parts.push(flags.backends ? `--backends ${flags.backends.join(',')}` : '', `--seed ${seed}`);
  if (flags.backend !== undefined) parts.push(`--backend ${flags.backend}`);
  if (flags.adapter !== undefined) parts.push(`--adapter ${flags.adapter}`);
  if (flags.runs !== undefined) parts.push(`--runs ${flags.runs}`);
  if (flags.time !== undefined) parts.push(`--time ${flags.time}`);
  if (flags.precision !== undefined) parts.push(`--precision ${flags.precision}`);
  if ((flags.profile ?? 'default') !== 'default') parts.push(`--profile ${flags.profile}`);
  if (flags.junk !== undefined) parts.push(`--junk ${flags.junk}`);
  if (flags.forwardOnly) parts.push('--forward-only');
  if (flags.device !== undefined) parts.push(`--device ${flags.device}`);
  return parts.filter(Boolean).join(' ');
}
