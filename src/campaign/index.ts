/** Fuzz campaigns: the one path in worker threads over many kernels and suites, sharded, deduplicated by signature. */
export { runCampaign, CampaignSetupError, MAX_TIMEOUTS } from './campaign.js';
export type { CampaignOptions, CampaignProgress } from './options.js';
export type { CampaignResult } from './result.js';
export { caseAddress, caseAt, caseSeed, shardCases, shardOf, targetOf, targetName, WHOLE, type CaseAddress, type Shard, type Target } from './stream.js';
export { CaseRunner } from './caseRunner.js';
export { arbitraryOf } from './arbitrary.js';
export { spawnProcess, spawnThread, type SpawnWorker, type WorkerEvents, type WorkerHandle } from './spawn.js';
export { coverageOf, bucket, type Coverage } from './coverage.js';
export { Triage, MAX_FRUITLESS, type Distinct, type Decision } from './triage.js';
export type { CaseReport, Job, RawFailure, ShrinkReport, WorkerMessage, WorkerSetup } from './protocol.js';
export { parseShard, shardFrom, ShardError, type ShardChoice } from './shard.js';
export { writeReport, type ReportFiles } from './reportFiles.js';
export { resolveTargets, DEFAULT_KERNELS, DEFAULT_SUITES, type Targets } from './targets.js';
