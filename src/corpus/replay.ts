/**
 * Replaying saved cases: the file's case re-made from its seeds and checked by the one check
 * (src/runner `checkCase`) with its kernel, on its backends (or the active one), forward only when
 * the file's kernel says `forwardOnly` (saved by `check --forward-only`) or the replay is asked to
 * (`replay --forward-only`), then compared with what the file expects (savedCase.ts):
 *
 *   'ok'                 the verdict meets the expectation: a regression test passes, or a known
 *                        failure still fails the same way (same verdict kind and tensor)
 *   'failing'            expect pass, but the case fails: a regression (or a bug not fixed yet)
 *   'now-passes'         a known failure passes: it is gone; remove the mark or the file
 *   'fails-differently'  a known failure fails, but not as recorded: not counted as reproduced
 *   'invalid'            the file cannot be read or its kernel cannot be loaded (reported, never deleted)
 */

import { isAbsolute, relative, resolve } from 'node:path';
import { type AnyBackend, inProcess, type PageBackendName, prepareBackends } from '../backend/index.js';
import { type AdapterChoice, type AdapterInfo, formatAdapter } from '../execute/index.js';
import { formatExpectation, formatVerdict, isFailure, meets, summarizeVerdict } from '../oracle/index.js';
import {
  adaptersOf,
  builtinKernel,
  type CaseCheck,
  checkCase,
  fixedKernel,
  forwardOnly,
  type KernelRef,
  type KernelUnderTest,
  loadKernelModule,
  type PageOptions,
  type ResolveOptions,
  resolveKernel,
  targetOf,
  type WithPages,
  withPages,
} from '../runner/index.js';
import { corpusFiles, readSavedCase } from './load.js';
import type { SavedCase } from './savedCase.js';

export type ReplayOutcome =
  | {
      readonly status: 'ok' | 'failing' | 'now-passes' | 'fails-differently';
      readonly file: string;
      readonly saved: SavedCase;
      readonly check: CaseCheck;
      /** The verdict's one line today. */
      readonly summary: string;
      /** The page adapters it ran on today, when they are not those it was saved with. */
      readonly adapterChange?: string;
    }
  | { readonly status: 'invalid'; readonly file: string; readonly message: string };

const firstLine = (e: unknown) => ((e as Error).message ?? String(e)).split('\n')[0]!;

/** How to replay. */
export interface ReplayOptions {
  /** Check every attention case forward only, whatever its file says. */
  readonly forwardOnly?: boolean;
  /**
   * Kernels the user named on the command line (`replay --kernel`): a saved case that names one of
   * them may run it, even a command or a module outside the project.
   */
  readonly allow?: readonly string[];
  /** Run whatever the saved cases name (`replay --trust`): the user vouches for the files. */
  readonly trust?: boolean;
  /** Flags for the targets a saved case names (device, python). */
  readonly target?: ResolveOptions;
  /**
   * `replay --backend webgpu|webgl`: run cases that name no backends on that page backend; and how
   * pages are opened (`--adapter`, `--browser`; the adapter defaults to the kind the file saved).
   */
  readonly pageBackend?: PageBackendName;
  readonly pages?: PageOptions;
}

/** The adapter to ask for: the user's, else the kind the case was found on (SwiftShader or not). */
export function adapterChoiceFor(saved: SavedCase, o: PageOptions = {}): AdapterChoice {
  if (o.adapter) return o.adapter;
  return saved.adapters?.some((a) => !a.isSwiftShader) ? 'default' : 'swiftshader';
}

/** What differs between the adapters a case was saved with and those it replays on ('' when nothing does). */
export function adapterChange(saved: readonly AdapterInfo[] | undefined, now: readonly AdapterInfo[]): string {
  const changed = now.filter((a) => {
    const was = saved?.find((x) => x.backend === a.backend);
    return was !== undefined && formatAdapter(was) !== formatAdapter(a);
  });
  return changed
    .map((a) => {
      const was = saved!.find((x) => x.backend === a.backend)!;
      return `${a.backend} adapter ${formatAdapter(a)} (saved on ${formatAdapter(was)})`;
    })
    .join('; ');
}

/**
 * Why replaying a saved case's kernel needs the user's say-so, or null: a target that runs a
 * command or code of the user's (exec:, py:), or a module outside the folder replay runs from. A
 * corpus is data someone else may have written (a CI artifact, another shard's folder): it never
 * makes attnfuzz run a command by itself.
 */
export function needsSayso(ref: KernelRef, cwd: string): string | null {
  if ('target' in ref) {
    const t = targetOf(ref.target);
    return t?.target.runsUserCode ? `it would run ${JSON.stringify(ref.target)}` : null;
  }
  if (!('module' in ref)) return null;
  const inside = relative(cwd, resolve(cwd, ref.module));
  return inside.startsWith('..') || isAbsolute(inside)
    ? `it would load the module ${ref.module}, outside ${cwd}`
    : null;
}

/** The spec a kernel ref names, as `--kernel` takes it. */
const specOf = (ref: KernelRef) => ('builtin' in ref ? ref.builtin : 'target' in ref ? ref.target : ref.module);

/** The kernel a saved case names (upstream cases: the tfjs op itself), forward only when its ref or `o` says so. */
export async function kernelOfSaved(
  saved: SavedCase,
  file: string,
  cwd = process.cwd(),
  o: ReplayOptions = {},
): Promise<KernelUnderTest> {
  if (saved.kind === 'upstream' || saved.case.kind === 'upstream')
    return {
      label: `tfjs ${saved.case.kind === 'upstream' ? saved.case.op : ''}`.trim(),
      ref: { module: '@tensorflow/tfjs-core' },
    };
  const ref = saved.kernel!;
  const spec = specOf(ref);
  const why = o.trust === true || o.allow?.includes(spec) ? null : needsSayso(ref, cwd);
  if (why !== null)
    throw new Error(
      `${file}: not replayed: ${why}; name that kernel to run it (replay --kernel '${spec}') or pass --trust`,
    );
  // The role the case needs (a training case's kernel loads as an attention kernel).
  const suite = saved.kind === 'lora' || saved.kind === 'decode' ? saved.kind : 'attention';
  const k =
    'builtin' in ref
      ? builtinKernel(ref.builtin)
      : 'target' in ref
        ? await resolveKernel(ref.target, suite, cwd, `${file}: kernel.target`, o.target)
        : fixedKernel(await loadKernelModule(ref.module, cwd, `${file}: kernel.module`, suite), suite, ref, ref.module);
  return ref.forwardOnly === true || o.forwardOnly === true ? forwardOnly(k) : k;
}

/** Replays one file. Never throws for a bad file: returns 'invalid'. */
export async function replayFile(file: string, cwd = process.cwd(), o: ReplayOptions = {}): Promise<ReplayOutcome> {
  let saved: SavedCase;
  let kernel: WithPages;
  let backends: readonly AnyBackend[] | undefined;
  try {
    saved = readSavedCase(file);
    backends = saved.backends ?? (o.pageBackend ? [o.pageBackend] : undefined);
    kernel = await kernelOfSaved(saved, file, cwd, o);
    if (backends) await prepareBackends(inProcess(backends));
    kernel = await withPages(kernel, backends ?? [], { ...o.pages, cwd, adapter: adapterChoiceFor(saved, o.pages) });
  } catch (e) {
    return { status: 'invalid', file, message: firstLine(e) };
  }
  let check: CaseCheck;
  try {
    check = await checkCase(saved.case, kernel, { ...(backends ? { backends } : {}), explain: true });
  } catch (e) {
    // The harness itself failed on this case (e.g. the reference rejects it): the file is unusable.
    return { status: 'invalid', file, message: `${file}: case cannot be run: ${firstLine(e)}` };
  } finally {
    await kernel.close?.();
  }
  const v = check.verdict;
  const expectsPass = saved.expect.kind === 'pass';
  const status = expectsPass
    ? isFailure(v)
      ? 'failing'
      : 'ok'
    : !isFailure(v)
      ? 'now-passes'
      : meets(v, saved.expect)
        ? 'ok'
        : 'fails-differently';
  const change = adapterChange(saved.adapters, adaptersOf(kernel));
  return { status, file, saved, check, summary: summarizeVerdict(v), ...(change ? { adapterChange: change } : {}) };
}

export interface ReplayHooks {
  /** A file is about to run (the CLI's watchdog hears of it). */
  readonly onFile?: (file: string) => void;
  /** A file's outcome, as soon as it is known (the CLI prints it then: a hang later loses nothing). */
  readonly onOutcome?: (o: ReplayOutcome) => void;
}

/** Replays every file of each argument, in order. */
export async function replayAll(
  paths: readonly string[],
  cwd = process.cwd(),
  hooks: ReplayHooks & ReplayOptions = {},
): Promise<ReplayOutcome[]> {
  const out: ReplayOutcome[] = [];
  for (const p of paths) {
    let files: string[];
    try {
      files = corpusFiles(p);
    } catch (e) {
      const o: ReplayOutcome = { status: 'invalid', file: p, message: firstLine(e) };
      out.push(o);
      hooks.onOutcome?.(o);
      continue;
    }
    for (const f of files) {
      hooks.onFile?.(f);
      const o = await replayFile(f, cwd, hooks);
      out.push(o);
      hooks.onOutcome?.(o);
    }
  }
  return out;
}

/** One line per outcome, for the CLI and for test failures. */
export function formatReplay(o: ReplayOutcome): string {
  if (o.status === 'invalid') return `INVALID ${o.message}`;
  const s = o.saved;
  const who = `${s.kind}: ${o.check.kernel}${s.backends ? ` [${s.backends.join(' vs ')}]` : ''}`;
  const expected = formatExpectation(s.expect);
  const why = s.link ?? (s.reason && s.reason.length > 80 ? `${s.reason.slice(0, 77)}...` : s.reason);
  switch (o.status) {
    case 'ok':
      return s.expect.kind === 'pass'
        ? `ok   ${o.file}: ${who} passes (regression test)`
        : `ok   ${o.file}: ${who} still fails as expected (${expected}; ${why}): ${o.summary}`;
    case 'failing':
      return `FAIL ${o.file}: ${who} fails: ${o.summary}${s.found?.verdict ? `; when found: ${s.found.verdict}` : ''}`;
    case 'now-passes':
      return (
        `NOW PASSES ${o.file}: ${who} passes a case kept as a known failure (${expected}; ${why}): the ` +
        `failure is gone; remove the mark or the file`
      );
    case 'fails-differently':
      return `FAILS DIFFERENTLY ${o.file}: ${who} was expected to fail with ${expected} (${why}) but: ${o.summary}`;
  }
}

/** The verdict of a replayed case, one line per tensor (under its file's line when it fails). */
export function replayDetails(o: ReplayOutcome): string[] {
  if (o.status === 'invalid') return [];
  const adapter = o.adapterChange ? [`  note: ran on another ${o.adapterChange}`] : [];
  return o.status === 'ok' ? adapter : [...formatVerdict(o.check.verdict).map((l) => `  ${l}`), ...adapter];
}
