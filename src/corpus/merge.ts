/**
 * `corpus merge <dirs...> --into DIR` and `corpus minimize DIR`: one file per signature, the
 * smallest case of each (the suite's size; ties: the earlier found, then the file name).
 *
 *   minimize DIR   in each group of files with one signature, keep the smallest and remove the
 *                  others (with their heatmaps)
 *   merge          copy the smallest case of each signature found in the sources into DIR (under
 *                  its signature's hash, with its heatmap and the signature written into it), then
 *                  minimize DIR; the sources' hits/ files are copied too, so counts add up
 *
 * Known failures stay marked: when the kept case is not marked but another of its signature is
 * (expect other than pass, with its reason and link), the mark moves onto the kept case, so no
 * known upstream failure is turned back into a plain regression test. Files that do not load are
 * named and left where they are.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { suiteOf } from '../runner/index.js';
import { HITS_FOLDER, readHits } from './hits.js';
import { type CorpusRow, rowOf } from './list.js';
import { readSavedCase } from './load.js';
import { ensureCorpusFolder, saveCase, writeAtomic } from './save.js';
import type { SavedCase } from './savedCase.js';
import { formatTemp, scanCorpus } from './scan.js';

export interface MergeOutcome {
  /** Files written into the folder (new, or a smaller case replacing a bigger one). */
  readonly written: string[];
  /** Files removed because another file of their signature is smaller. */
  readonly removed: string[];
  /** Marks (known failures) moved onto a smaller case of their signature. */
  readonly marksMoved: string[];
  /** Files that do not load: named, left where they are. */
  readonly problems: string[];
  /** Temp files an interrupted write left: recovered, or reported as incomplete. */
  readonly notes: string[];
}

const svgOf = (json: string) => json.replace(/\.json$/, '.svg');
const order = (a: CorpusRow, b: CorpusRow) =>
  a.size - b.size || (a.saved.found?.at ?? '~').localeCompare(b.saved.found?.at ?? '~') || a.file.localeCompare(b.file);

function groups(rows: readonly CorpusRow[]): CorpusRow[][] {
  const by = new Map<string, CorpusRow[]>();
  for (const r of rows) by.set(r.hash, [...(by.get(r.hash) ?? []), r]);
  return [...by.values()].map((g) => [...g].sort(order));
}

/** The kept case, carrying the mark of a marked file of its group when it has none. */
function keptOf(group: readonly CorpusRow[]): { saved: SavedCase; movedFrom: CorpusRow | null } {
  const best = group[0]!;
  const marked = group.find((r) => r.mark !== null);
  if (best.mark !== null || !marked) return { saved: best.saved, movedFrom: null };
  const { expect, reason, link } = marked.saved;
  return {
    saved: { ...best.saved, expect, ...(reason ? { reason } : {}), ...(link ? { link } : {}) },
    movedFrom: marked,
  };
}

export function minimizeCorpus(dir: string): MergeOutcome {
  const scan = scanCorpus(dir);
  const hits = readHits(dir).byHash;
  const out: MergeOutcome = {
    written: [],
    removed: [],
    marksMoved: [],
    problems: [...scan.problems],
    notes: scan.temps.filter((t) => t.action !== 'in-progress').map(formatTemp),
  };
  for (const g of groups(scan.entries.map((e) => rowOf(e, hits)))) {
    const { saved, movedFrom } = keptOf(g);
    if (movedFrom) {
      writeAtomic(g[0]!.file, JSON.stringify(saved, null, 2) + '\n');
      out.written.push(g[0]!.file);
      out.marksMoved.push(`${movedFrom.mark} (${movedFrom.file}) -> ${g[0]!.file}`);
    }
    for (const r of g.slice(1)) {
      rmSync(r.file, { force: true });
      rmSync(svgOf(r.file), { force: true });
      out.removed.push(r.file);
    }
  }
  return out;
}

export function mergeCorpora(sources: readonly string[], into: string): MergeOutcome {
  ensureCorpusFolder(into);
  const written: string[] = [];
  const problems: string[] = [];
  const rows: CorpusRow[] = [];
  for (const dir of sources) {
    const scan = scanCorpus(dir);
    const hits = readHits(dir);
    problems.push(...scan.problems, ...hits.problems);
    rows.push(...scan.entries.map((e) => rowOf(e, hits.byHash)));
    const hitsDir = join(dir, HITS_FOLDER);
    if (existsSync(hitsDir)) {
      mkdirSync(join(into, HITS_FOLDER), { recursive: true });
      for (const f of readdirSync(hitsDir).filter((n) => n.endsWith('.json'))) {
        const to = join(into, HITS_FOLDER, f);
        if (!existsSync(to)) copyFileSync(join(hitsDir, f), to);
      }
    }
  }
  for (const g of groups(rows)) {
    const best = g[0]!;
    const signed: SavedCase = { ...keptOf(g).saved, signature: best.signature };
    const p = saveCase(signed, into);
    if (p.existed) {
      // The folder's own file of this signature is replaced only by a smaller case.
      let size: number;
      try {
        const there = readSavedCase(p.json);
        size = suiteOf(there.case).size(there.case);
      } catch (e) {
        problems.push(`${(e as Error).message.split('\n')[0]} (left as it is; ${best.file} not merged)`);
        continue;
      }
      if (size <= best.size) continue;
      writeAtomic(p.json, JSON.stringify(signed, null, 2) + '\n');
    }
    if (existsSync(svgOf(best.file))) copyFileSync(svgOf(best.file), p.svg);
    written.push(p.json);
  }
  const m = minimizeCorpus(into);
  return {
    written: [...written, ...m.written],
    removed: m.removed,
    marksMoved: m.marksMoved,
    problems: [...problems, ...m.problems],
    notes: m.notes,
  };
}
