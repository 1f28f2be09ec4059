/**
 * How often each signature was hit, kept beside the saved cases: a saved case is never rewritten,
 * so the counts live in `<corpus>/hits/<run>.json`, one file per campaign run (shard), rewritten
 * atomically while it runs. `corpus list` sums them; `corpus merge` copies them.
 *
 *   { "format": "attnfuzz-hits", "version": 1, "run": "s42-0of8-1732950000000-12345",
 *     "signatures": { "<hash>": { "signature": "flash attention mismatch dq ...", "hits": 17,
 *                                 "first": "2026-...", "last": "2026-..." } } }
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeAtomic } from './save.js';
import { recoverTemps } from './scan.js';

export const HITS_FOLDER = 'hits';

export interface SignatureHits {
  readonly signature: string;
  readonly hits: number;
  readonly first: string;
  readonly last: string;
}

const hitsFile = z.strictObject({
  format: z.literal('attnfuzz-hits'),
  version: z.literal(1),
  run: z.string(),
  signatures: z.record(
    z.string(),
    z.strictObject({ signature: z.string(), hits: z.int().min(0), first: z.string(), last: z.string() }),
  ),
});

/** Writes this run's counts (atomically: a kill leaves the previous version, never half a file). */
export function writeHits(corpus: string, run: string, signatures: ReadonlyMap<string, SignatureHits>): string {
  const dir = join(corpus, HITS_FOLDER);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${run}.json`);
  writeAtomic(
    file,
    JSON.stringify({ format: 'attnfuzz-hits', version: 1, run, signatures: Object.fromEntries(signatures) }, null, 2) +
      '\n',
  );
  return file;
}

/** The counts of every run in `corpus`, summed by signature hash; unreadable files are named in `problems`. */
export function readHits(corpus: string): { byHash: Map<string, SignatureHits>; problems: string[] } {
  const dir = join(corpus, HITS_FOLDER);
  const byHash = new Map<string, SignatureHits>();
  const problems: string[] = [];
  recoverTemps(dir, false);
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort();
  } catch {
    return { byHash, problems };
  }
  for (const name of names) {
    const file = join(dir, name);
    let parsed: z.infer<typeof hitsFile>;
    try {
      parsed = hitsFile.parse(JSON.parse(readFileSync(file, 'utf8')));
    } catch (e) {
      problems.push(`${file}: not a hits file: ${(e as Error).message.split('\n')[0]}`);
      continue;
    }
    for (const [hash, h] of Object.entries(parsed.signatures)) {
      const old = byHash.get(hash);
      byHash.set(
        hash,
        old
          ? {
              signature: h.signature,
              hits: old.hits + h.hits,
              // ISO times compare as text (Math.min/max would turn them into NaN).
              // biome-ignore lint/complexity/useMathMinMax: strings, not numbers
              first: old.first < h.first ? old.first : h.first,
              // biome-ignore lint/complexity/useMathMinMax: strings, not numbers
              last: old.last > h.last ? old.last : h.last,
            }
          : h,
      );
    }
  }
  return { byHash, problems };
}
