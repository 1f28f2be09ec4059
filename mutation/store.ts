/**
 * The results of a mutation run, one JSON line per mutant, appended as each finishes: a run that
 * stops (killed, a reboot, Ctrl-C) resumes where it was, and shards run apart write lines that a
 * `cat` merges. A line is reused while what it measured is unchanged: its key names the mutant
 * (file, place, mutator, replacement) and `fingerprint` hashes the mutated file, the budget (seed,
 * cases, backend), the grid's cases and MEASUREMENT (bumped when the runner changes what it
 * measures). Everything else (the other kernel files, src/: the generator, the oracle, the CLI) is
 * recorded as `harness` but does not invalidate a line: a merge of main mid-run would otherwise
 * start hours over; the report says which harnesses its lines were measured on, and `--fresh`
 * measures everything again.
 */
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  statSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { SideResult } from './checks.js';

/** Where a mutant is: 0-based lines and columns, as Stryker's instrumenter gives them. */
export interface Place {
  readonly start: { readonly line: number; readonly column: number };
  readonly end: { readonly line: number; readonly column: number };
}

export interface MutantIdentity {
  /** From the repository root: kernels/flash/forward.ts. */
  readonly file: string;
  readonly location: Place;
  readonly mutatorName: string;
  readonly replacement: string;
}

export interface MutantRecord extends MutantIdentity {
  readonly key: string;
  readonly fingerprint: string;
  /** Hash of src/, bin/ and kernels/ (the generator, the oracle, the CLI, the kernels) when it was measured. */
  readonly harness: string;
  readonly attnfuzz: SideResult;
  readonly grid: SideResult;
  /** When it was measured (ISO), and in how many ms of wall clock both sides took. */
  readonly at: string;
  readonly ms: number;
}

/**
 * `kernels/flash/forward.ts:41:10-41:24 EqualityOperator i <= n`, with 1-based lines and columns as
 * editors show them.
 */
export function mutantKey(m: MutantIdentity): string {
  const { start, end } = m.location;
  const at = `${start.line + 1}:${start.column + 1}-${end.line + 1}:${end.column + 1}`;
  return `${m.file}:${at} ${m.mutatorName} ${m.replacement.replace(/\s+/g, ' ')}`;
}

function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) return tsFiles(p);
      return /\.(ts|mjs)$/.test(name) && !name.endsWith('.test.ts') ? [p] : [];
    });
}

function hashOf(root: string, files: readonly string[], extra = ''): string {
  const h = createHash('sha256');
  for (const f of files) h.update(f.slice(root.length)).update('\0').update(readFileSync(f)).update('\0');
  return h.update(extra).digest('hex').slice(0, 16);
}

/** Bump when the runner measures differently (what counts as a kill, how cases are counted). */
export const MEASUREMENT = 1;

/** What a result of a mutant of `file` (a path from root) depends on and is reused for. */
export function fingerprintOf(root: string, file: string, budget: object, gridSignature: string): string {
  return hashOf(root, [join(root, file)], JSON.stringify({ budget, gridSignature, MEASUREMENT }));
}

/** The hash of src/, bin/ and kernels/: recorded with each result. */
export function harnessOf(root: string): string {
  return hashOf(
    root,
    ['src', 'bin', 'kernels'].flatMap((d) => tsFiles(join(root, d))),
  );
}

export function readStore(file: string): Map<string, MutantRecord> {
  const out = new Map<string, MutantRecord>();
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      const r = JSON.parse(line) as MutantRecord;
      out.set(`${r.fingerprint} ${r.key}`, r);
    } catch {
      // a line cut short by a crash: that mutant runs again
    }
  }
  return out;
}

export function appendRecord(file: string, r: MutantRecord): void {
  mkdirSync(dirname(file), { recursive: true });
  // After a line a crash cut short, a new line of its own (else both would be lost).
  const cut = existsSync(file) && !endsWithNewline(file);
  // One O_APPEND write per line: lines from the two workers never interleave (Linux, a local disk).
  appendFileSync(file, `${cut ? '\n' : ''}${JSON.stringify(r)}\n`);
}

function endsWithNewline(file: string): boolean {
  const size = statSync(file).size;
  if (size === 0) return true;
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, size - 1);
    return b[0] === 0x0a;
  } finally {
    closeSync(fd);
  }
}

/** The record of a mutant measured on this code, if any. */
export function lookup(store: ReadonlyMap<string, MutantRecord>, fingerprint: string, key: string) {
  return store.get(`${fingerprint} ${key}`);
}
