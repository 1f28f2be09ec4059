/**
 * A campaign's files survive what happens to processes on shared machines: `kill -9` at random
 * moments during 50 short campaigns leaves no corrupt or partial corpus file (every temp file is
 * recovered or reported), and 8 shards writing one corpus folder at once lose no entry. The
 * campaigns are real (test/fixtures/campaign-writer.ts: the main thread's scheduling, triage,
 * saving and hit counts) with scripted workers, since the property is the file handling, not
 * attention; bundled once, and without the tfjs union package (it only registers gradients), so
 * each process starts in about 0.35 s.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import seedrandom from 'seedrandom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED } from '../fixtures/profile.js';
import { readHits, scanCorpus } from '../src/corpus/index.js';
import { bundle } from './support/bundle.js';

let child = '';
beforeAll(async () => {
  child = await bundle(join(import.meta.dirname, 'fixtures', 'campaign-writer.ts'));
});
const made: string[] = [];
afterAll(() => {
  rmSync(child, { force: true });
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

const tmp = (name: string) => {
  const d = mkdtempSync(join(tmpdir(), `attnfuzz-${name}-`));
  made.push(d);
  return d;
};

/** Runs the writer; with `killAfterMs`, kills it with SIGKILL that long after it says "started". */
function writer(
  args: string[],
  killAfterMs?: number,
): Promise<{ code: number | null; signal: string | null; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      process.execPath,
      ['--require', join(import.meta.dirname, 'support', 'without-tfjs-union.cjs'), child, ...args],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (killAfterMs !== undefined && out.startsWith('started\n') && out.length === 8)
        setTimeout(() => p.kill('SIGKILL'), killAfterMs);
    });
    p.on('error', reject);
    p.on('exit', (code, signal) => resolve({ code, signal, out }));
  });
}

describe('corpus files under kill -9 and concurrent shards', () => {
  it('kill -9 at random moments during 50 short campaigns leaves no corrupt or partial corpus file', async () => {
    const rng = seedrandom(`kill/${SEED}`);
    // 10 processes of 5 campaigns each (one per folder, interleaved, each at its own point when the
    // kill comes); each folder takes ten killed campaigns in a row, each starting with what the
    // previous kill left.
    const folders = Array.from({ length: 5 }, () => tmp('kill'));
    let killed = 0;
    for (let n = 0; n < 10; n++) {
      // Each campaign saves a new signature (a JSON file and a 20 kB heatmap) every few ms until the kill.
      const r = await writer(
        [folders.join(','), String(Math.floor(rng() * 1e9)), '0/1', '1000000', '1000', `k${n}`],
        Math.floor(rng() * 300),
      );
      if (r.signal === 'SIGKILL') killed += folders.length;
    }
    expect(killed).toBe(50);
    let saved = 0;
    for (const dir of folders) {
      const s = scanCorpus(dir);
      expect(s.problems, `${dir}: files that do not load`).toEqual([]);
      // Whatever a kill left is either put in place, removed as a copy, or reported as incomplete.
      expect(s.temps.every((t) => ['recovered', 'removed-duplicate', 'incomplete'].includes(t.action))).toBe(true);
      expect(scanCorpus(dir).temps.every((t) => t.action === 'incomplete')).toBe(true);
      for (const e of s.entries) expect(e.saved.signature?.features.n).toMatch(/^k\d-\d+$/);
      saved += s.entries.length;
      expect(readHits(dir).problems).toEqual([]);
    }
    expect(saved).toBeGreaterThan(0);
  });

  it(
    '8 shards writing one corpus folder at once lose no entry: one file per signature, every one, ' + 'hits summed',
    async () => {
      const dir = tmp('shards');
      const runs = 2400;
      const distinct = 300;
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, k) => writer([dir, String(SEED), `${k}/8`, String(runs), String(distinct), 's'])),
      );
      expect(results.map((r) => r.code)).toEqual(Array(8).fill(0));
      const s = scanCorpus(dir);
      expect(s.problems).toEqual([]);
      expect(s.temps).toEqual([]);
      const ns = s.entries.map((e) => e.saved.signature!.features.n!).sort();
      expect(ns).toEqual(Array.from({ length: distinct }, (_, n) => `s-${n}`).sort());
      expect(readdirSync(dir).filter((f) => f.endsWith('.svg'))).toHaveLength(distinct);
      const hits = readHits(dir);
      expect(readdirSync(join(dir, 'hits'))).toHaveLength(8);
      expect([...hits.byHash.values()].reduce((a, h) => a + h.hits, 0)).toBe(runs);
      expect([...hits.byHash.values()].every((h) => h.hits === runs / distinct)).toBe(true);
      const reported = results.flatMap(
        (r) => (JSON.parse(r.out.split('\n')[1]!) as { failures: Array<[string, number, string]> }).failures,
      );
      for (const [, , file] of reported) expect(JSON.parse(readFileSync(file, 'utf8')).signature.kind).toBe('leak');
    },
  );
});
