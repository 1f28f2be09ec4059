/**
 * The run of `attnfuzz fuzz`: flags checked and the targets resolved (a usage or load error is one
 * line and exit 2), two lines saying what runs, then the campaign (src/campaign `runCampaign`) under
 * the campaign display; fuzzReport.ts writes the report and says how it ended.
 */
import { type AnyBackend, isPageBackend, useBackend } from '../../backend/index.js';
import {
  type CampaignResult,
  CampaignSetupError,
  DEFAULT_KERNELS,
  DEFAULT_SUITES,
  resolveTargets,
  runCampaign,
  shardFrom,
  spawnProcess,
  spawnThread,
  type Target,
  targetName,
} from '../../campaign/index.js';
import { ensureCorpusFolder } from '../../corpus/index.js';
import { type AdapterInfo, deviceFor, formatAdapter } from '../../execute/index.js';
import { pageSuiteError, probeAdapter } from '../../runner/index.js';
import { campaignDisplay } from '../campaignProgress.js';
import type { Io } from '../io.js';
import { backendOf, pageOptionsOf } from '../options.js';
import { profileConstraints } from '../profile.js';
import { commandOf, type FuzzFlags, type FuzzRuntime } from './fuzzFlags.js';
import { reportFuzz } from './fuzzReport.js';

/** The target flags every worker passes on (a device template is expanded per worker: deviceFor). */
const targetOptions = (flags: FuzzFlags) => ({
  ...(flags.device !== undefined ? { device: flags.device } : {}),
  ...(flags.python !== undefined ? { python: flags.python } : {}),
});

/** A usage or load error: one line on stderr, exit 2. */
class FuzzError extends Error {}
const firstLine = (e: unknown) => ((e as Error).message ?? String(e)).split('\n')[0]!;

interface Prepared {
  readonly backend: AnyBackend;
  /** A page backend's adapter (a page opened and closed at the start to read it). */
  readonly adapter: AdapterInfo | null;
  readonly targets: Target[];
  /** Kernels none of whose suites was asked for. */
  readonly unused: string[];
  readonly shard: ReturnType<typeof shardFrom>;
}

async function prepare(flags: FuzzFlags): Promise<Prepared> {
  let backend: AnyBackend;
  let shard: ReturnType<typeof shardFrom>;
  try {
    backend = backendOf(flags.backend);
    shard = shardFrom(flags.shard);
  } catch (e) {
    throw new FuzzError(`fuzz: ${firstLine(e)}`);
  }
  let adapter: AdapterInfo | null = null;
  try {
    if (isPageBackend(backend)) adapter = await probeAdapter(backend, pageOptionsOf(flags));
    else await useBackend(backend);
  } catch (e) {
    throw new FuzzError(`fuzz: --backend ${backend}: ${firstLine(e)}`);
  }
  let targets: Target[];
  let unused: string[];
  try {
    const r = await resolveTargets(flags.kernels ?? DEFAULT_KERNELS, flags.suites ?? DEFAULT_SUITES, process.cwd(), {
      ...targetOptions(flags),
      ...(flags.device !== undefined ? { device: deviceFor(flags.device, 0) } : {}),
    });
    if (r.targets.length === 0)
      throw new Error(
        `--kernels ${(flags.kernels ?? DEFAULT_KERNELS).join(',')}: none runs in the suites asked for ` +
          `(${(flags.suites ?? DEFAULT_SUITES).join(', ')})`,
      );
    targets = inPages(r.targets, backend, flags.suites !== undefined).map((t) => ({
      ...t,
      constraints: profileConstraints(flags.profile, t, flags.precision),
    }));
    unused = r.unused;
  } catch (e) {
    throw new FuzzError(`fuzz: ${firstLine(e).replace(/^fuzz: /, '')}`);
  }
  try {
    ensureCorpusFolder(flags.corpus);
  } catch (e) {
    throw new FuzzError(`fuzz: --corpus ${flags.corpus}: cannot save cases there: ${firstLine(e)}`);
  }
  return { backend, adapter, targets, unused, shard };
}

/**
 * On a page backend, the targets of the suites a page runs: the others are dropped when the suites
 * were the defaults, and are an error when the user asked for them.
 */
function inPages(targets: Target[], backend: AnyBackend, asked: boolean): Target[] {
  if (!isPageBackend(backend)) return targets;
  const refused = targets.find((t) => pageSuiteError(t.suite, [backend]) !== null);
  if (refused && asked) throw new Error(`--suites: ${pageSuiteError(refused.suite, [backend])}`);
  return targets.filter((t) => pageSuiteError(t.suite, [backend]) === null);
}

/** The two lines before anything runs: the seed, shard, workers, budget; the targets, corpus and report. */
function announce(flags: FuzzFlags, p: Prepared, seed: number, timeMs: number | undefined, io: Io): void {
  const budget = [
    timeMs !== undefined ? `${timeMs / 1000} s` : '',
    flags.runs !== undefined ? `${flags.runs} cases${p.shard.shard.count > 1 ? ' (all shards)' : ''}` : '',
  ]
    .filter(Boolean)
    .join(' or ');
  const from = p.shard.source ? ` (from ${p.shard.source})` : '';
  io.err(
    `fuzz: seed ${seed}, shard ${p.shard.shard.index}/${p.shard.shard.count}${from}, ${flags.workers} ` +
      `worker${flags.workers === 1 ? '' : 's'} on ${p.backend}, profile ` +
      `${flags.profile}${flags.precision !== undefined ? `, ${flags.precision}` : ''}, budget ${budget}\n`,
  );
  if (p.adapter) io.err(`fuzz: ${p.adapter.backend} adapter: ${formatAdapter(p.adapter)}\n`);
  io.err(`fuzz: ${p.targets.map(targetName).join(', ')}; corpus ${flags.corpus}, report ${flags.report}\n`);
  if (p.unused.length > 0) io.err(`fuzz: not run (no suite of theirs was asked for): ${p.unused.join(', ')}\n`);
}

export async function runFuzz(flags: FuzzFlags, io: Io, rt: FuzzRuntime = {}): Promise<number> {
  let p: Prepared;
  try {
    p = await prepare(flags);
  } catch (e) {
    if (!(e instanceof FuzzError)) throw e;
    io.err(`${e.message}\n`);
    return 2;
  }
  const seed = flags.seed ?? Date.now() % 0x7fffffff;
  const timeMs = flags.time !== undefined ? flags.time * 1000 : flags.runs === undefined ? 60_000 : undefined;
  announce(flags, p, seed, timeMs, io);
  const display = flags.json ? null : campaignDisplay({ timeMs, runs: flags.runs }, io);
  let result: CampaignResult;
  try {
    result = await runCampaign({
      targetOptions: targetOptions(flags),
      targets: p.targets,
      seed,
      backend: p.backend,
      ...(p.adapter ? { pages: pageOptionsOf(flags), adapter: p.adapter } : {}),
      workers: flags.workers,
      shard: p.shard.shard,
      runs: flags.runs,
      timeMs,
      corpus: flags.corpus,
      caseTimeoutMs: flags.timeout * 1000,
      shrinkTimeMs: flags.shrinkTime * 1000,
      command: commandOf(flags, seed, p.shard.shard),
      signal: rt.signal,
      spawn:
        rt.spawn ??
        ((flags.isolation ?? (p.backend === 'tensorflow' ? 'process' : 'thread')) === 'process'
          ? spawnProcess
          : spawnThread),
      onProgress: display?.onProgress,
      progressMs: display?.progressMs,
      log: (line) => io.err(`fuzz: ${line}\n`),
    });
  } catch (e) {
    display?.stop();
    if (!(e instanceof CampaignSetupError)) throw e;
    io.err(`fuzz: ${e.message}\n`);
    return 2;
  }
  display?.stop();
  return reportFuzz(result, flags, seed, io);
}
