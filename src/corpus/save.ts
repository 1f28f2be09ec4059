/**
 * Writing saved cases: atomically (a temp file in the same folder, then rename; the temp file is
 * removed if anything fails), so a crash or a concurrent run never leaves a half-written file that
 * replay would report as corrupt. A save never rewrites an existing file: the same case found again
 * keeps the file, and the expectation someone wrote into it. "Never" holds across processes too
 * (shards writing one folder): a new file is put in place with link(2), which fails if the name
 * exists, where rename(2) would replace it. A temp file left by a kill is found by scan.ts.
 */
import { createHash } from 'node:crypto';
import {
  accessSync,
  constants,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';
import { isPageBackend, tf } from '../backend/index.js';
import type { AdapterInfo } from '../execute/index.js';
import { summarizeVerdict, type Verdict } from '../oracle/index.js';
import type { CaseCheck, KernelRef } from '../runner/index.js';
import { CASE_FILE_VERSION, CASE_FORMAT, canonicalJson, type Provenance, type SavedCase } from './savedCase.js';
import { signatureHash } from './signature.js';

/** The default folder of saved cases, relative to the working directory. */
export const REGRESSIONS_DIR = 'corpus/regressions';

/** attnfuzz's version, from the package.json above this file (in the repo or installed). */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'attnfuzz' && pkg.version) return pkg.version;
    }
    const up = dirname(dir);
    if (up === dir) return 'unknown';
    dir = up;
  }
}

/**
 * `<file>.tmp-<host>-<pid>-<thread>-<random>`: unique across machines, processes and worker
 * threads, and says whose it is, so scan.ts leaves a live writer's temp file alone and recovers a
 * dead one's.
 */
export function tempNameFor(file: string): string {
  return `${file}.tmp-${HOST}-${process.pid}-${threadId}-${Math.random().toString(36).slice(2, 10)}`;
}

/** This machine's name as temp file names carry it. */
export const HOST = hostname().replace(/[^A-Za-z0-9.]/g, '_');

/** Writes `content` to `file` atomically; the temp file never outlives a failure. */
export function writeAtomic(file: string, content: string): void {
  const tmp = tempNameFor(file);
  try {
    writeFileSync(tmp, content);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Writes `content` to `file` atomically unless `file` exists: false when it does, also when
 * another process creates it at the same moment (link(2) fails with EEXIST where rename would
 * replace). On a file system without hard links, falls back to a check then rename.
 */
export function writeNew(file: string, content: string): boolean {
  const tmp = tempNameFor(file);
  try {
    writeFileSync(tmp, content);
    try {
      linkSync(tmp, file);
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EXDEV') throw e;
      if (existsSync(file)) return false;
      renameSync(tmp, file);
      return true;
    }
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * Makes sure `dir` is a folder a case can be saved in, before any search starts (a failure found
 * after ten minutes must not be lost to a typo in --corpus). Creates missing folders one level at
 * a time (a recursive mkdir under /proc never returns), then writes and removes a probe file.
 * Throws an Error whose message says why.
 */
export function ensureCorpusFolder(dir: string): void {
  const abs = resolve(dir);
  const missing: string[] = [];
  let at = abs;
  while (!existsSync(at)) {
    missing.unshift(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  if (existsSync(at) && !statSync(at).isDirectory()) throw new Error(`${at} is not a folder`);
  for (const d of missing) mkdirSync(d);
  accessSync(abs, constants.W_OK);
  const probe = join(abs, `.attnfuzz-probe-${process.pid}`);
  writeFileSync(probe, '');
  rmSync(probe, { force: true });
}

/** The file name stem: 16 hex digits of sha256 over kind, case, kernel and backends. */
export function caseHash(f: Pick<SavedCase, 'kind' | 'case' | 'kernel' | 'backends'>): string {
  return createHash('sha256')
    .update(canonicalJson({ kind: f.kind, case: f.case, kernel: f.kernel, backends: f.backends }))
    .digest('hex')
    .slice(0, 16);
}

export interface SavedPaths {
  readonly hash: string;
  readonly json: string;
  /** Where the heatmap goes: same hash, .svg. */
  readonly svg: string;
  /** true: the file was already there and was left as it is. */
  readonly existed: boolean;
}

/** The saved form of a failure a check found: expect "pass" (a regression test) with where it came from. */
export function savedCaseOf(
  check: CaseCheck,
  kernel: KernelRef,
  o: {
    seed?: number | null;
    path?: string | null;
    backends?: readonly string[];
    /** The adapters of the page backends it ran on (src/execute/browser). */
    adapters?: readonly AdapterInfo[];
  } = {},
): SavedCase {
  const v: Verdict = check.verdict;
  const found: Provenance = {
    verdict: summarizeVerdict(v),
    seed: o.seed ?? null,
    path: o.path ?? null,
    backend: check.runs.map((r) => r.backend).join(','),
    attnfuzz: packageVersion(),
    tfjs: tf.version_core,
  };
  return {
    format: CASE_FORMAT,
    version: CASE_FILE_VERSION,
    kind: check.case.kind,
    case: check.case,
    ...(check.case.kind !== 'upstream' ? { kernel } : {}),
    // One backend is worth saving when it is a page backend: replay would run elsewhere otherwise.
    ...(o.backends && (o.backends.length > 1 || o.backends.some(isPageBackend))
      ? { backends: o.backends as SavedCase['backends'] }
      : {}),
    ...(o.adapters && o.adapters.length > 0 ? { adapters: o.adapters } : {}),
    expect: { kind: 'pass' },
    found,
  };
}

/**
 * Saves a case as `<dir>/<hash>.json` (and its heatmap as `<hash>.svg`), unless that file exists.
 * The hash is the case's (`caseHash`), or its signature's when it has one (one file per signature).
 */
export function saveCase(saved: SavedCase, dir: string = REGRESSIONS_DIR, svg?: string): SavedPaths {
  ensureCorpusFolder(dir);
  const hash = saved.signature ? signatureHash(saved.signature) : caseHash(saved);
  const paths = { hash, json: join(dir, `${hash}.json`), svg: join(dir, `${hash}.svg`) };
  if (!writeNew(paths.json, JSON.stringify(saved, null, 2) + '\n')) return { ...paths, existed: true };
  if (svg !== undefined) writeAtomic(paths.svg, svg);
  return { ...paths, existed: false };
}
