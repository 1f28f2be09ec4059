/**
 * What `attnfuzz check` says when its search ends: a clean run (or one that checked nothing, which
 * is not a pass), or a failure: the shrunk repro first, then the saved file and its replay line.
 * Text by default, one JSON value with --json. The return value is the exit code (0, 1 or 2).
 */
import type { AnyBackend } from '../../backend/index.js';
import { type SavedPaths, saveCase, savedCaseOf } from '../../corpus/index.js';
import { formatRepro, heatmapOf } from '../../report/index.js';
import { adaptersOf, type SearchResult, type WithPages } from '../../runner/index.js';
import type { Io } from '../io.js';
import { type CheckFlags, searchCommand } from './checkFlags.js';

/** A search that ran, as its report needs it (made by checkRun.ts). */
export interface FinishedCheck {
  readonly flags: CheckFlags;
  readonly kernel: WithPages;
  readonly backends: readonly AnyBackend[];
  /** Which passes ran: 'forward only' or 'forward and backward'. */
  readonly passes: string;
  /** The budget as asked ('60 s or 100 cases'). */
  readonly budget: string;
  readonly result: SearchResult;
  /** The first reason the kernel's supports gave for declining a case; null when it declined none. */
  readonly declined: string | null;
  /** Tensors alive after the search that were not alive before it. */
  readonly leaked: number;
}

type FailedSearch = Extract<SearchResult, { status: 'failed' }>;

/** Prints the outcome of the search; returns the exit code. */
export function reportCheck(done: FinishedCheck, io: Io): number {
  const { result } = done;
  return result.status === 'clean' ? reportClean(done, io) : reportFailure(done, result, io);
}

/** The fields every --json line carries. */
function statsOf({ flags, kernel, passes, backends, result }: FinishedCheck) {
  return {
    kernel: kernel.label,
    suite: flags.suite,
    passes,
    ...(flags.precision !== undefined ? { precision: flags.precision } : {}),
    backends,
    seed: result.seed,
    cases: result.cases,
    unsupported: result.unsupported,
    elapsedMs: Math.round(result.elapsedMs),
    casesPerSecond: (result.cases * 1000) / Math.max(1, result.elapsedMs),
  };
}

function reportClean(done: FinishedCheck, io: Io): number {
  const { flags, kernel, result, leaked } = done;
  const stats = statsOf(done);
  if (result.cases === result.unsupported) {
    const why =
      result.cases === 0
        ? `no case ran within the budget (${done.budget})`
        : `all ${result.cases} cases were declined by the kernel's supports (first reason: ${done.declined})`;
    io.err(`check: nothing was checked: ${why}\n`);
    if (flags.json) io.out(JSON.stringify({ ...stats, status: 'nothing-checked', reason: why }) + '\n');
    return 2;
  }
  if (leaked > 0) {
    io.err(
      `check: warning: ${leaked} tensors were left alive over ${result.cases} cases: the kernel keeps ` +
        `tensors it does not dispose (tf.keep, a tensor made in tf.customGrad and not saved); \`attnfuzz ` +
        `fuzz --kernels ${flags.kernel} --suites ${flags.suite}\` shrinks it to the smallest leaking case\n`,
    );
  }
  const dtype = flags.precision !== undefined ? `, ${flags.precision}` : '';
  const line =
    `${kernel.label} (${flags.suite}, ${done.passes}${dtype}) on ${done.backends.join(' vs ')}: no failure in ` +
    `${result.cases} cases (${result.unsupported} unsupported) in ${(result.elapsedMs / 1000).toFixed(1)} ` +
    `s, ${stats.casesPerSecond.toFixed(1)} cases/s, seed ${result.seed}`;
  io.out(
    flags.json ? JSON.stringify({ ...stats, status: 'clean', leakedTensors: Math.max(0, leaked) }) + '\n' : `${line}\n`,
  );
  return 0;
}

function reportFailure(done: FinishedCheck, result: FailedSearch, io: Io): number {
  const { flags } = done;
  // The repro first: a failure found is never lost to a folder that cannot be written.
  if (!flags.json) {
    // The verdict's lines end with `why: <cause>` when the run stage found out (a NaN from reading keys no query may
    // see).
    const repro = {
      check: result.shrunk,
      seed: result.seed,
      path: result.path,
      cases: result.cases,
      numShrinks: result.numShrinks,
      simplified: result.simplified,
      searchCommand: searchCommand(flags, result.seed),
    };
    io.out(formatRepro({ ...repro, saved: null }).join('\n') + '\n');
  }
  if (result.trapped !== undefined) {
    io.err(
      `check: the kernel died of a WebAssembly trap (${result.trapped}); the module's memory may be corrupt ` +
        `after one, so no later case in this process was evidence and this case, the one that trapped, was ` +
        `not shrunk. Replay it alone (a fresh process) to confirm it traps by itself.\n`,
    );
  }
  const svg = heatmapOf(result.shrunk);
  let saved: SavedPaths | null = null;
  try {
    saved = saveCase(
      savedCaseOf(result.shrunk, done.kernel.ref, {
        seed: result.seed,
        path: result.path,
        backends: done.backends,
        adapters: adaptersOf(done.kernel),
      }),
      flags.corpus,
      svg,
    );
  } catch (e) {
    io.err(
      `check: --corpus ${flags.corpus}: could not save the case (${(e as Error).message.split('\n')[0]}); the ` +
        `repro above is complete\n`,
    );
  }
  if (flags.json) {
    io.out(
      JSON.stringify({
        ...statsOf(done),
        status: 'failed',
        path: result.path,
        numShrinks: result.numShrinks,
        simplified: result.simplified,
        ...(result.trapped !== undefined ? { trapped: result.trapped } : {}),
        case: result.shrunk.case,
        verdict: result.shrunk.verdict,
        saved: saved?.json ?? null,
        heatmap: saved && svg !== undefined ? saved.svg : null,
      }) + '\n',
    );
  } else if (saved) {
    const lines = [];
    if (svg !== undefined && !saved.existed) lines.push(`heatmap: ${saved.svg}`);
    lines.push(
      `${saved.existed ? 'already saved (left as it was)' : 'saved'}: ${saved.json}`,
      `replay: npx attnfuzz replay ${saved.json}`,
    );
    io.out(lines.join('\n') + '\n');
  }
  return 1;
}
