/** Fuzz campaigns: the one path in worker threads over many kernels and suites, sharded, deduplicated by signature. */

export { CampaignSetupError, MAX_TIMEOUTS, runCampaign } from './campaign.js';
export { CaseRunner } from './caseRunner.js';
export { bucket, type Coverage, coverageOf } from './coverage.js';
export type { CampaignOptions, CampaignProgress } from './options.js';
export type { CaseReport, Job, RawFailure, ShrinkReport, WorkerMessage, WorkerSetup } from './protocol.js';
export { type ReportFiles, writeReport } from './reportFiles.js';
export type { CampaignResult } from './result.js';
export { parseShard, type ShardChoice, ShardError, shardFrom } from './shard.js';
export { type SpawnWorker, spawnProcess, spawnThread, type WorkerEvents, type WorkerHandle } from './spawn.js';
export {
  type CaseAddress,
  caseAddress,
  caseAt,
  caseSeed,
  type Shard,
  shardCases,
  shardOf,
  type Target,
  targetName,
  targetOf,
  WHOLE,
} from './stream.js';
export { arbitraryOf } from './targetArbitrary.js';
export { DEFAULT_KERNELS, DEFAULT_SUITES, resolveTargets, type Targets } from './targets.js';
export { type Decision, type Distinct, MAX_FRUITLESS, Triage } from './triage.js';
