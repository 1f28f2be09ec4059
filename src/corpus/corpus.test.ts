import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AttentionCase } from '../case/index.js';
import { canonicalJson, failureHash, parseSavedFailure } from './format.js';
import { replayFile } from './replay.js';
import { saveFailure } from './save.js';

const c: AttentionCase = {
  version: 1, kind: 'attention', shapes: { B: 1, Hq: 1, Hkv: 1, Sq: 1, Sk: 2, D: 1, Dv: 1 }, scale: null, causal: 'bottom-right', window: null,
  keyLengths: null, paddingSide: 'right', mask: null, dropout: null, precision: 'float32', layout: 'BHSD', values: 'small-int', junk: 'none', blocks: { Br: 1, Bc: 1 }, seed: 3,
};
const base = { case: c, verdict: { status: 'mismatch', summary: 'out MISMATCH' }, seed: 1, path: '0', backend: 'cpu' };

describe('saved failures', () => {
  it('are named by a content hash of case and kernel, independent of key order', () => {
    const reordered = JSON.parse(canonicalJson(c)) as AttentionCase;
    expect(failureHash(reordered, { builtin: 'flash' })).toBe(failureHash(c, { builtin: 'flash' }));
    expect(failureHash(c, { builtin: 'sdpa' })).not.toBe(failureHash(c, { builtin: 'flash' }));
    expect(failureHash({ ...c, seed: 4 }, { builtin: 'flash' })).not.toBe(failureHash(c, { builtin: 'flash' }));
  });
  it('are written atomically: no temp file is left, the content parses back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'attnfuzz-save-'));
    const p = saveFailure({ ...base, kernel: { builtin: 'flash' }, expect: 'pass' }, dir, '<svg/>');
    expect(readdirSync(dir).sort()).toEqual([`${p.hash}.json`, `${p.hash}.svg`]);
    const back = parseSavedFailure(JSON.parse(readFileSync(p.json, 'utf8')), p.json);
    expect(back.case).toEqual(c);
    expect(back.versions.tfjs).toMatch(/^4\./);
  });
  it('reject bad files with one line naming the file and the field', () => {
    const ok = { format: 'attnfuzz-failure', version: 1, ...base, kernel: { builtin: 'flash' } };
    expect(() => parseSavedFailure({ ...ok, kernel: { builtin: 'nope' } }, 'x.json')).toThrow(/^x\.json\.kernel: expected/);
    expect(() => parseSavedFailure({ ...ok, expect: 'fail' }, 'x.json')).toThrow(/^x\.json: reason: /);
    expect(() => parseSavedFailure({ ...ok, case: { ...c, shapes: { ...c.shapes, Hkv: 0 } } }, 'x.json')).toThrow(/^x\.json: case\.shapes\.Hkv/);
    expect(() => parseSavedFailure({ ...ok, format: 'other' }, 'x.json')).toThrow(/^x\.json: format: /);
  });
  it('replay: expect "pass" on a correct kernel is ok; expect "fail" on a correct kernel says it now passes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'attnfuzz-replay-'));
    const pass = saveFailure({ ...base, kernel: { builtin: 'flash' }, expect: 'pass' }, dir);
    expect((await replayFile(pass.json)).status).toBe('ok');
    const known = join(dir, 'known.json');
    writeFileSync(known, JSON.stringify({ format: 'attnfuzz-failure', version: 1, ...base, kernel: { builtin: 'flash' }, expect: 'fail', reason: 'test' }));
    expect((await replayFile(known)).status).toBe('now-passes');
    expect(existsSync(known)).toBe(true);
  });
  it('replay: a missing kernel module is reported by file, not thrown', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'attnfuzz-replay-'));
    const p = saveFailure({ ...base, kernel: { module: 'no/such/kernel.ts' }, expect: 'pass' }, dir);
    const o = await replayFile(p.json);
    expect(o.status === 'invalid' && o.message).toMatch(/kernel\.module no\/such\/kernel\.ts: no such file/);
  });
});
