/**
 * What an interrupted write leaves is recovered or reported, a file that does not load is named
 * and left where it is, and a new file never replaces one that exists (also when two writers race
 * for one name: link(2) fails where rename(2) would replace).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCase } from '../case/index.js';
import { readHits, writeHits } from './hits.js';
import { saveCase, tempNameFor, writeNew } from './save.js';
import { CASE_FORMAT, type SavedCase } from './savedCase.js';
import { formatTemp, scanCorpus } from './scan.js';

const c = parseCase({
  version: 1,
  kind: 'attention',
  shapes: { B: 1, Hq: 1, Hkv: 1, Sq: 1, Sk: 2, D: 1, Dv: 1 },
  scale: null,
  causal: 'bottom-right',
  window: null,
  keyLengths: null,
  paddingSide: 'right',
  mask: null,
  dropout: null,
  precision: 'float32',
  layout: 'BHSD',
  values: 'small-int',
  junk: 'none',
  blocks: { Br: 1, Bc: 1 },
  seed: 3,
});
const saved: SavedCase = {
  format: CASE_FORMAT,
  version: 2,
  kind: 'attention',
  case: c,
  kernel: { builtin: 'flash' },
  expect: { kind: 'pass' },
  signature: { kernel: 'flash', suite: 'attention', kind: 'leak', features: {} },
};
const text = JSON.stringify(saved, null, 2) + '\n';
const tmp = () => mkdtempSync(join(tmpdir(), 'attnfuzz-scan-'));
/** The name of a temp file a process that has ended left for `file`. */
const DEAD = spawnSync(process.execPath, ['-e', '0']).pid!;
const leftBy = (file: string) => tempNameFor(file).replace(`-${process.pid}-`, `-${DEAD}-`);

describe('writeNew', () => {
  it('writes a file that is not there, and never replaces one that is', () => {
    const f = join(tmp(), 'a.json');
    expect(writeNew(f, 'one')).toBe(true);
    expect(writeNew(f, 'two')).toBe(false);
    expect(readFileSync(f, 'utf8')).toBe('one');
    expect(readdirSync(join(f, '..'))).toEqual(['a.json']);
  });
  it('a case with a signature is saved under the signature hash, once', () => {
    const dir = tmp();
    const a = saveCase(saved, dir, '<svg/>\n');
    const b = saveCase({ ...saved, case: { ...c, seed: 4 } }, dir);
    expect(a.existed).toBe(false);
    expect(b).toMatchObject({ existed: true, json: a.json });
    expect(JSON.parse(readFileSync(a.json, 'utf8')).case.seed).toBe(3);
  });
});

describe('scanCorpus', () => {
  it('recovers a complete temp file, removes a duplicate, reports an incomplete one and leaves it', () => {
    const dir = tmp();
    writeFileSync(leftBy(join(dir, 'aaaa.json')), text);
    writeFileSync(join(dir, 'bbbb.json'), text);
    writeFileSync(leftBy(join(dir, 'bbbb.json')), text);
    const partial = leftBy(join(dir, 'cccc.json'));
    writeFileSync(partial, text.slice(0, 40));
    writeFileSync(leftBy(join(dir, 'cccc.svg')), '<svg>');
    const s = scanCorpus(dir);
    expect(s.temps.map((t) => t.action).sort()).toEqual(['incomplete', 'incomplete', 'recovered', 'removed-duplicate']);
    expect(s.entries.map((e) => e.file.split('/').pop())).toEqual(['aaaa.json', 'bbbb.json']);
    expect(existsSync(partial)).toBe(true);
    expect(formatTemp(s.temps.find((t) => t.file === partial)!)).toMatch(/incomplete write .* safe to delete$/);
    expect(scanCorpus(dir).temps.map((t) => t.action)).toEqual(['incomplete', 'incomplete']);
  });
  it('leaves alone a temp file whose writer is still running (another shard mid-write)', () => {
    const dir = tmp();
    const live = tempNameFor(join(dir, 'dddd.json'));
    writeFileSync(live, text);
    expect(scanCorpus(dir)).toMatchObject({ entries: [], temps: [{ file: live, action: 'in-progress' }] });
    expect(existsSync(live)).toBe(true);
  });
  it('names a corrupt or invalid file, skips it, and never deletes it', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'good.json'), text);
    writeFileSync(join(dir, 'corrupt.json'), '{"format": "attnfuzz-case", "vers');
    writeFileSync(join(dir, 'invalid.json'), JSON.stringify({ ...saved, kind: 'nope' }));
    const s = scanCorpus(dir);
    expect(s.entries).toHaveLength(1);
    expect(s.problems).toEqual([
      expect.stringMatching(/corrupt\.json: corrupt JSON/),
      expect.stringMatching(/invalid\.json: .*unknown kind "nope"/),
    ]);
    expect(readdirSync(dir).sort()).toEqual(['corrupt.json', 'good.json', 'invalid.json']);
  });
});

describe('hit counts', () => {
  it('are summed over runs by signature hash; a bad hits file is named', () => {
    const dir = tmp();
    writeHits(dir, 'r1', new Map([['h1', { signature: 's1', hits: 2, first: '2026-01-02', last: '2026-01-03' }]]));
    writeHits(
      dir,
      'r2',
      new Map([
        ['h1', { signature: 's1', hits: 5, first: '2026-01-01', last: '2026-01-02' }],
        ['h2', { signature: 's2', hits: 1, first: 'x', last: 'x' }],
      ]),
    );
    writeFileSync(join(dir, 'hits', 'bad.json'), '[]');
    const r = readHits(dir);
    expect(r.byHash.get('h1')).toEqual({ signature: 's1', hits: 7, first: '2026-01-01', last: '2026-01-03' });
    expect(r.byHash.get('h2')?.hits).toBe(1);
    expect(r.problems).toEqual([expect.stringMatching(/bad\.json: not a hits file/)]);
  });
});
