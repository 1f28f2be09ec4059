/**
 * The run of `attnfuzz check`: flags checked and the kernel loaded (a usage or load error is one
 * line and exit 2), one line saying what is checked, then the search (src/runner `search`) under
 * a progress display and the per-case watchdog; checkReport.ts says how it ended.
 */
import { type AnyBackend, inProcess, prepareBackends, tf, useBackend } from '../../backend/index.js';
import { ensureCorpusFolder } from '../../corpus/index.js';
import { formatAdapter } from '../../execute/index.js';
import {
  adaptersOf,
  forwardOnly,
  pageSuiteError,
  resolveKernel,
  search,
  type WithPages,
  withPages,
} from '../../runner/index.js';
import type { Io } from '../io.js';
import { backendOf, pageOptionsOf, suiteConstraintsOf, timeBudgetMs, withPrecision } from '../options.js';
import { progressDisplay } from '../progress.js';
import { startWatchdog } from '../watchdog.js';
import { type CheckFlags, searchCommand } from './checkFlags.js';
import { reportCheck } from './checkReport.js';

/** A usage or load error: one line on stderr, exit 2. */
class CheckError extends Error {}

async function prepare(flags: CheckFlags): Promise<{ kernel: WithPages; backends: AnyBackend[] }> {
  const attentionOnly = [flags.junk !== undefined ? '--junk' : '', flags.forwardOnly ? '--forward-only' : ''].filter(
    Boolean,
  );
  if (flags.suite !== 'attention' && attentionOnly.length > 0)
    throw new CheckError(`check: ${attentionOnly[0]}: applies to the attention suite only, got --suite ${flags.suite}`);
  if ((flags.profile ?? 'default') !== 'default' && flags.suite !== 'attention' && flags.suite !== 'decode')
    throw new CheckError(
      `check: --profile: applies to the attention and decode suites only, got --suite ${flags.suite}`,
    );
  let backends: AnyBackend[];
  try {
    backends = flags.backends ? [...flags.backends] : [backendOf(flags.backend)];
  } catch (e) {
    throw new CheckError(`check: ${(e as Error).message.split('\n')[0]}`);
  }
  const flag = flags.backends ? '--backends' : '--backend';
  const notInPage = pageSuiteError(flags.suite, backends);
  if (notInPage !== null) throw new CheckError(`check: ${flag}: ${notInPage}`);
  for (const b of inProcess(backends)) {
    try {
      await useBackend(b);
    } catch (e) {
      throw new CheckError(`check: ${flag} ${b}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  await prepareBackends(inProcess(backends));
  if (inProcess(backends).length > 0) await useBackend(inProcess(backends)[0]!);
  try {
    ensureCorpusFolder(flags.corpus);
  } catch (e) {
    throw new CheckError(
      `check: --corpus ${flags.corpus}: cannot save cases there: ${(e as Error).message.split('\n')[0]}`,
    );
  }
  try {
    // A worker that hangs is killed, and a page that hangs given up on, at half the case timeout: that
    // case fails, named, before the watchdog ends check.
    const half = flags.timeout !== undefined ? { timeoutMs: (flags.timeout * 1000) / 2 } : {};
    const target = {
      ...(flags.device !== undefined ? { device: flags.device } : {}),
      ...(flags.python !== undefined ? { python: flags.python } : {}),
      ...half,
    };
    const resolved = await resolveKernel(flags.kernel, flags.suite, process.cwd(), '--kernel', target);
    const kernel = flags.forwardOnly ? forwardOnly(resolved) : resolved;
    // A page backend's page opens here: its adapter is known before the first case.
    return { kernel: await withPages(kernel, backends, { ...pageOptionsOf(flags), ...half }), backends };
  } catch (e) {
    const line = (e as Error).message.split('\n')[0]!;
    throw new CheckError(line.startsWith('check:') ? line : `check: ${line}`);
  }
}

export async function runCheck(flags: CheckFlags, io: Io): Promise<number> {
  let kernel: WithPages;
  let backends: AnyBackend[];
  try {
    ({ kernel, backends } = await prepare(flags));
  } catch (e) {
    if (!(e instanceof CheckError)) throw e;
    io.err(`${e.message}\n`);
    return 2;
  }
  try {
    return await searchAndReport(flags, kernel, backends, io);
  } finally {
    await kernel.close?.();
  }
}

async function searchAndReport(flags: CheckFlags, kernel: WithPages, backends: AnyBackend[], io: Io): Promise<number> {
  for (const a of adaptersOf(kernel)) io.err(`check: ${a.backend} adapter: ${formatAdapter(a)}\n`);
  const seed = flags.seed ?? Date.now() % 0x7fffffff;
  const timeMs = timeBudgetMs(flags);
  const where = backends.join(' vs ');
  const budget = [
    timeMs !== undefined ? `${timeMs / 1000} s` : '',
    flags.runs !== undefined ? `${flags.runs} cases` : '',
  ]
    .filter(Boolean)
    .join(' or ');
  // Which passes run: the backward unless the kernel has none (declared, or --forward-only).
  const passes =
    flags.suite === 'decode' || (flags.suite === 'attention' && kernel.attention?.().backward === false)
      ? 'forward only'
      : 'forward and backward';
  const dtype = flags.precision !== undefined ? `, ${flags.precision}` : '';
  io.err(
    `check: ${kernel.label} (${flags.suite} suite, ${passes}${dtype}) on ${where}, seed ${seed}, budget ${budget}\n`,
  );
  const progress = progressDisplay(`${kernel.label} on ${where}`, { timeMs, numRuns: flags.runs }, io);
  const watchdog = flags.timeout
    ? startWatchdog(flags.timeout * 1000, 'check', `the same search: ${searchCommand(flags, seed)}`)
    : null;
  let declined: string | null = null;
  // Tensors a kernel leaves alive grow with every case (fuzz signs them as LEAK findings and shrinks them).
  const tensorsBefore = tf.memory().numTensors;
  const result = await search({
    ...(watchdog ? { onCaseStart: (c: unknown) => watchdog.beat(JSON.stringify(c)) } : {}),
    suite: flags.suite,
    kernel,
    backends,
    seed,
    constraints: withPrecision(suiteConstraintsOf(flags.suite, flags), flags.precision),
    numRuns: flags.runs,
    timeMs,
    onProgress: progress.onProgress,
    progressMs: progress.progressMs,
    onCase: (c) => {
      if (declined === null && c.verdict.status === 'unsupported') declined = c.verdict.reason;
    },
  });
  watchdog?.stop();
  progress.stop();
  const leaked = tf.memory().numTensors - tensorsBefore;
  return reportCheck({ flags, kernel, backends, passes, budget, result, declined, leaked }, io);
}
