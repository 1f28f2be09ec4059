/**
 * Reading a corpus folder the way a campaign and the corpus tools need it: every saved case that
 * loads, every file that does not (reported by name, never deleted), and every temp file an
 * interrupted write left behind (save.ts writes `<name>.tmp-<pid>-<thread>-<random>`, then links
 * or renames it into place):
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
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { SavedCase } from './format.js';
import { parseSavedCase, readSavedCase } from './load.js';
import { writeNew } from './save.js';

const TEMP = /^(.+)\.tmp-\d+-\d+-[a-z0-9]+$/;

export interface CorpusEntry {
  readonly file: string;
  readonly saved: SavedCase;
}

export interface TempFile {
  readonly file: string;
  readonly action: 'recovered' | 'removed-duplicate' | 'incomplete';
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
    names = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
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
      return `${t.file}: an incomplete write (the process was killed while writing it): nothing was saved from it; safe to delete`;
  }
}
