/** The options of a campaign (`runCampaign`); the CLI's flags map onto them one to one. */
import type { AnyBackend } from '../backend/index.js';
import type { AdapterInfo } from '../execute/index.js';
import type { PageOptions, ResolveOptions } from '../runner/index.js';
import type { SpawnWorker } from './spawn.js';
import type { Shard, Target } from './stream.js';

export interface CampaignOptions {
  readonly targets: readonly Target[];
  readonly seed: number;
  readonly backend: AnyBackend;
  /** How a page backend's pages are opened (--adapter, --browser); with the adapter found at the start. */
  readonly pages?: PageOptions;
  readonly adapter?: AdapterInfo;
  readonly workers: number;
  readonly shard?: Shard;
  readonly runs?: number;
  readonly timeMs?: number;
  readonly corpus: string;
  readonly caseTimeoutMs: number;
  readonly shrinkTimeMs: number;
  readonly cwd?: string;
  /** What targets get from the command line (--device, --python); the worker timeout defaults to half caseTimeoutMs. */
  readonly targetOptions?: ResolveOptions;
  /** The command line, for the report. */
  readonly command?: string;
  /** Aborting stops the campaign gracefully (the CLI aborts on SIGINT/SIGTERM). */
  readonly signal?: AbortSignal;
  readonly spawn?: SpawnWorker;
  readonly onProgress?: (p: CampaignProgress) => void;
  readonly progressMs?: number;
  /** One line per notable event: a new distinct failure, a timeout, a worker replaced. */
  readonly log?: (line: string) => void;
}

export interface CampaignProgress {
  readonly elapsedMs: number;
  readonly cases: number;
  readonly failed: number;
  readonly distinct: number;
  readonly perTarget: ReadonlyArray<{
    readonly target: Target;
    readonly cases: number;
    readonly failed: number;
    readonly distinct: number;
    readonly stopped?: string;
  }>;
}
