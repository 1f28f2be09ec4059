/**
 * Replaying saved failures: re-make each case from its seeds, run its kernel through the same
 * differential check `attnfuzz check` uses, and compare with what the file expects (format.ts):
 *
 *   'ok'          expect "pass" and the kernel passes, or expect "fail" and it still fails
 *   'failing'     expect "pass" but the kernel fails: a regression (or a bug not fixed yet)
 *   'now-passes'  expect "fail" but the kernel passes: the known failure is gone, drop the mark
 *   'invalid'     the file cannot be read (corrupt JSON, unknown format, version or kind, bad case) or
 *                 its kernel module cannot be loaded: reported by name, never deleted
 *
 * `reproduces` says whether the verdict today is the one recorded (same status and summary line,
 * modulo the numbers' last digits being equal: the run is deterministic on one backend).
 *
 * Files of kind "training" go to trainingReplay.ts, with the same statuses.
 *
 * A file with `backends` (found by `check --backends`) is replayed cross-backend on exactly those
 * backends, whatever the active one: `cross` holds the check, `summary` names the backend(s), and
 * `verdict` is the failing backend's (else the first backend's, which passes even when two
 * backends disagree: read `status` and `summary`, not `verdict`, for cross-backend files).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isFailure, summarizeVerdict, type Verdict } from '../oracle/index.js';
import {
  builtinKernel,
  checkCase,
  crossCheckCase,
  crossStatus,
  isCrossFailure,
  loadKernelModule,
  prepareBackends,
  summarizeCross,
  type CaseCheck,
  type CrossCheck,
  type KernelUnderTest,
} from '../runner/index.js';
import { CorpusFileError, parseSavedFailure, savedKind, type SavedFailure } from './format.js';
import { formatTrainingReplay, replayTrainingFailure, type TrainingReplayOutcome } from './trainingReplay.js';

export type ReplayOutcome =
  | {
      readonly status: 'ok' | 'failing' | 'now-passes';
      readonly kind: 'attention';
      readonly file: string;
      readonly saved: SavedFailure;
      readonly verdict: Verdict;
      /** The verdict's one line today (for cross-backend files, naming the backend(s)). */
      readonly summary: string;
      readonly reproduces: boolean;
      readonly check: CaseCheck;
      readonly cross?: CrossCheck;
    }
  | TrainingReplayOutcome
  | { readonly status: 'invalid'; readonly file: string; readonly message: string };

/** The .json files of a folder (sorted, not recursive), or the file itself. */
export function corpusFiles(fileOrFolder: string): string[] {
  const st = statSync(fileOrFolder);
  if (!st.isDirectory()) return [fileOrFolder];
  return readdirSync(fileOrFolder)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(fileOrFolder, f));
}

/** Reads and parses one saved file as JSON, whatever its kind; throws CorpusFileError naming the file. */
export function readSavedJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CorpusFileError(`${file}: cannot read: ${(e as Error).message.split('\n')[0]}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new CorpusFileError(`${file}: corrupt JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  return value;
}

/** Reads and validates one saved attention failure; throws CorpusFileError naming the file. */
export function readSavedFailure(file: string): SavedFailure {
  return parseSavedFailure(readSavedJson(file), file);
}

async function kernelOf(saved: SavedFailure, file: string, cwd: string): Promise<KernelUnderTest> {
  if ('builtin' in saved.kernel) return builtinKernel(saved.kernel.builtin);
  const path = saved.kernel.module;
  const kernel = await loadKernelModule(path, cwd, `${file}: kernel.module`);
  return { label: path, ref: saved.kernel, forCase: () => kernel };
}

/** Replays one file (on the active backend). Never throws for a bad file: returns 'invalid'. */
export async function replayFile(file: string, cwd = process.cwd()): Promise<ReplayOutcome> {
  let saved: SavedFailure;
  let kernel: KernelUnderTest;
  try {
    const value = readSavedJson(file);
    if (savedKind(value, file) === 'training') return await replayTrainingFailure(file, value, cwd);
    saved = parseSavedFailure(value, file);
    kernel = await kernelOf(saved, file, cwd);
  } catch (e) {
    return { status: 'invalid', file, message: (e as Error).message.split('\n')[0]! };
  }
  if (saved.backends) return replayCross(file, saved, saved.backends, kernel);
  let check: CaseCheck;
  try {
    check = checkCase(saved.case, kernel);
  } catch (e) {
    // The harness itself failed on this case (e.g. the reference rejects it): the file is unusable.
    return { status: 'invalid', file, message: `${file}: case cannot be run: ${(e as Error).message.split('\n')[0]}` };
  }
  const failed = isFailure(check.verdict);
  const reproduces = check.verdict.status === saved.verdict.status && summarizeVerdict(check.verdict) === saved.verdict.summary;
  const status = saved.expect === 'pass' ? (failed ? 'failing' : 'ok') : failed ? 'ok' : 'now-passes';
  return { status, kind: 'attention', file, saved, verdict: check.verdict, summary: summarizeVerdict(check.verdict), reproduces, check };
}

async function replayCross(file: string, saved: SavedFailure, backends: NonNullable<SavedFailure['backends']>, kernel: KernelUnderTest): Promise<ReplayOutcome> {
  let cross: CrossCheck;
  try {
    await prepareBackends(backends);
    cross = crossCheckCase(saved.case, kernel, backends);
  } catch (e) {
    return { status: 'invalid', file, message: `${file}: backends [${backends.join(', ')}]: ${(e as Error).message.split('\n')[0]}` };
  }
  const failed = isCrossFailure(cross.verdict);
  const summary = summarizeCross(cross.verdict);
  const reproduces = crossStatus(cross.verdict) === saved.verdict.status && summary === saved.verdict.summary;
  const status = saved.expect === 'pass' ? (failed ? 'failing' : 'ok') : failed ? 'ok' : 'now-passes';
  const shown = cross.runs.find((r) => isFailure(r.check.verdict)) ?? cross.runs[0]!;
  return { status, kind: 'attention', file, saved, verdict: shown.check.verdict, summary, reproduces, check: shown.check, cross };
}

/** Replays every file of each argument, in order. */
export async function replayAll(paths: readonly string[], cwd = process.cwd()): Promise<ReplayOutcome[]> {
  const out: ReplayOutcome[] = [];
  for (const p of paths) {
    let files: string[];
    try {
      files = corpusFiles(p);
    } catch (e) {
      out.push({ status: 'invalid', file: p, message: `${p}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (e as Error).message.split('\n')[0]}` });
      continue;
    }
    for (const f of files) out.push(await replayFile(f, cwd));
  }
  return out;
}

/** One line per outcome, for the CLI and for test failures. */
export function formatReplay(o: ReplayOutcome): string {
  if (o.status === 'invalid') return `INVALID ${o.message}`;
  if (o.kind === 'training') return formatTrainingReplay(o);
  const now = o.summary;
  const who = o.saved.backends ? `${o.check.kernel} [${o.saved.backends.join(' vs ')}]` : o.check.kernel;
  const same = o.reproduces ? 'reproduces the saved verdict' : `saved verdict was: ${o.saved.verdict.summary}`;
  switch (o.status) {
    case 'ok':
      return o.saved.expect === 'pass'
        ? `ok   ${o.file}: ${who} now passes (regression test)`
        : `ok   ${o.file}: ${who} still fails as expected (${o.saved.reason}): ${now}; ${same}`;
    case 'failing':
      return `FAIL ${o.file}: ${who} fails: ${now}; ${same}`;
    case 'now-passes':
      return `NOW PASSES ${o.file}: ${who} passes a case marked expect "fail" (${o.saved.reason}): the known failure is gone; remove the mark or the file`;
  }
}
