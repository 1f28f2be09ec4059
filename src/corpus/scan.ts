/**
 * Reading a corpus folder the way a campaign and the corpus tools need it: every saved case that
 * loads, every file that does not (reported by name, never deleted), and every temp file an
 * interrupted write left behind (save.ts writes `<name>.tmp-<host>-<pid>-<thread>-<random>`, then
 * links or renames it into place). A temp file whose writer may still be writing it (its process
 * is alive on this machine, or it is another machine's and younger than STALE_MS) is left alone:
 * shards share folders. Otherwise:
 *
 *   complete, <name> absent     the kill came between the write and the link: recovered (linked
 *                               into place), so nothing a campaign found is lost
 *   complete, <name> present    the kill came between the link and the removal: the temp is a
 *                               copy of a file in place, and is removed
 *   incomplete                  the kill came during the write: nothing was saved from it; it is
 *                               reported by name (safe to delete) and left alone
 *
 * A temp file is complete when it parses as what its name promises (a saved case for .json, an
 * SVG document for .svg, JSON for the other .json files such as hits/).
 */
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseSavedCase, readSavedCase } from './load.js';
import { HOST, writeNew } from './save.js';
import type { SavedCase } from './savedCase.js';

const TEMP = /^(.+)\.tmp-([A-Za-z0-9._]+)-(\d+)-(\d+)-[a-z0-9]+$/;

/** No write of a corpus file takes this long: an older temp file is abandoned whoever wrote it. */
export const STALE_MS = 10 * 60_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when the writer of a temp file may still be at work (see the header). */
function inProgress(host: string, pid: number, file: string): boolean {
  let age: number;
  try {
    age = Date.now() - statSync(file).mtimeMs;
  } catch {
    return true; // gone meanwhile
  }
  if (age > STALE_MS) return false;
  return host !== HOST || alive(pid);
}

export interface CorpusEntry {
  readonly file: string;
  readonly saved: SavedCase;
}

export interface TempFile {
  readonly file: string;
  /** 'in-progress': its writer may still be writing it; left alone, and not a problem. */
  readonly action: 'recovered' | 'removed-duplicate' | 'incomplete' | 'in-progress';
}

export interface CorpusScan {
  readonly entries: readonly CorpusEntry[];
  /** Files that are not valid saved cases: one line each, naming the file. */
  readonly problems: readonly string[];
  readonly temps: readonly TempFile[];
}

function complete(target: string, text: string, isCase: boolean): boolean {
  try {
    if (target.endsWith('.svg')) return /<\/svg>\s*$/.test(text);
    const v: unknown = JSON.parse(text);
    if (isCase) parseSavedCase(v, target);
    return true;
  } catch {
    return false;
  }
}

/** Recovers or reports the temp files of `dir` (see the header); `isCase` for folders of saved cases. */
export function recoverTemps(dir: string, isCase = true): TempFile[] {
  const out: TempFile[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    const m = TEMP.exec(name);
    if (!m) continue;
    const file = join(dir, name);
    const target = join(dir, m[1]!);
    if (inProgress(m[2]!, Number(m[3]), file)) {
      out.push({ file, action: 'in-progress' });
      continue;
    }
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue; // gone meanwhile: another process recovered it
    }
    if (!complete(target, text, isCase && target.endsWith('.json'))) {
      out.push({ file, action: 'incomplete' });
      continue;
    }
    const placed = writeNew(target, text);
    rmSync(file, { force: true });
    out.push({ file, action: placed ? 'recovered' : 'removed-duplicate' });
  }
  return out;
}

/** Every saved case of `dir` (sorted by name), the files that are not, and its temp files (recovered first). */
export function scanCorpus(dir: string): CorpusScan {
  const temps = recoverTemps(dir);
  const entries: CorpusEntry[] = [];
  const problems: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort();
  } catch {
    return { entries, problems, temps };
  }
  for (const name of names) {
    const file = join(dir, name);
    try {
      entries.push({ file, saved: readSavedCase(file) });
    } catch (e) {
      problems.push((e as Error).message.split('\n')[0]!);
    }
  }
  return { entries, problems, temps };
}

export function formatTemp(t: TempFile): string {
  switch (t.action) {
    case 'recovered':
      return `${t.file}: a write interrupted before it was put in place: recovered`;
    case 'removed-duplicate':
      return `${t.file}: a copy of a file already in place (an interrupted write): removed`;
    case 'incomplete':
      return (
        `${t.file}: an incomplete write (the process was killed while writing it): nothing was saved ` +
        `from it; safe to delete`
      );
    case 'in-progress':
      return `${t.file}: being written by a process that is still running: left alone`;
  }
}
