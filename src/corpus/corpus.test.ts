/**
 * Saved cases: one format for every kind, one loader (version 1 refused, naming the file), atomic writes
 * that never rewrite an existing file, and replay statuses that tell a reproduced known failure
 * from one that now fails another way.
 */
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AttentionCase, parseCase } from '../case/index.js';
import { builtinKernel, checkCase } from '../runner/index.js';
import { parseSavedCase, readSavedCase } from './load.js';
import { formatReplay, replayFile } from './replay.js';
import { caseHash, ensureCorpusFolder, saveCase, savedCaseOf, writeAtomic } from './save.js';
import { CASE_FORMAT, CorpusFileError, canonicalJson, type SavedCase } from './savedCase.js';

const c: AttentionCase = parseCase({
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
const saved = (over: Partial<SavedCase> = {}): SavedCase => ({
  format: CASE_FORMAT,
  version: 2,
  kind: 'attention',
  case: c,
  kernel: { builtin: 'flash' },
  expect: { kind: 'pass' },
  ...over,
});
const tmp = (name: string) => mkdtempSync(join(tmpdir(), `attnfuzz-${name}-`));
const DETACHED = 'fixtures/broken-kernels/value-grad-detached.ts';

describe('saving', () => {
  it('names a file by a content hash of kind, case, kernel and backends, independent of key order', async () => {
    const reordered = JSON.parse(canonicalJson(c)) as AttentionCase;
    expect(caseHash(saved({ case: reordered }))).toBe(caseHash(saved()));
    expect(caseHash(saved({ kernel: { builtin: 'sdpa' } }))).not.toBe(caseHash(saved()));
    expect(caseHash(saved({ case: { ...c, seed: 4 } }))).not.toBe(caseHash(saved()));
    expect(caseHash(saved({ backends: ['cpu', 'wasm'] }))).not.toBe(caseHash(saved()));
  });
  it('writes atomically: no temp file is left, the content parses back, the found verdict is recorded', async () => {
    const dir = tmp('save');
    const check = await checkCase(c, builtinKernel('flash'));
    const p = saveCase(savedCaseOf(check, { builtin: 'flash' }, { seed: 1, path: '0' }), dir, '<svg/>');
    expect(readdirSync(dir).sort()).toEqual([`${p.hash}.json`, `${p.hash}.svg`]);
    const back = readSavedCase(p.json);
    expect(back).toMatchObject({
      kind: 'attention',
      case: c,
      kernel: { builtin: 'flash' },
      expect: { kind: 'pass' },
      found: { verdict: 'pass', seed: 1, path: '0' },
    });
    expect(back.found?.tfjs).toMatch(/^4\./);
  });
  it('never rewrites an existing file: an expectation written by hand survives the same case found again', async () => {
    const dir = tmp('keep');
    const first = saveCase(saved(), dir);
    const marked = {
      ...JSON.parse(readFileSync(first.json, 'utf8')),
      expect: { kind: 'mismatch', tensor: 'dv' },
      reason: 'known',
    };
    writeFileSync(first.json, JSON.stringify(marked));
    const again = saveCase(saved(), dir);
    expect(again).toMatchObject({ json: first.json, existed: true });
    expect(JSON.parse(readFileSync(first.json, 'utf8')).expect).toEqual({ kind: 'mismatch', tensor: 'dv' });
  });
  it('removes its temp file when the rename fails', async () => {
    const dir = tmp('atomic');
    const target = join(dir, 'sub');
    ensureCorpusFolder(target);
    expect(() => writeAtomic(target, 'x')).toThrow(); // renaming a file onto a folder fails
    expect(readdirSync(dir)).toEqual(['sub']);
  });
  it(
    'checks the corpus folder before anything is searched: a file, an unwritable place, /proc all fail fast ' +
      'with the reason',
    async () => {
      const dir = tmp('folder');
      const file = join(dir, 'plain');
      writeFileSync(file, '');
      expect(() => ensureCorpusFolder(file)).toThrow(/is not a folder/);
      expect(() => ensureCorpusFolder(join(file, 'below'))).toThrow(/is not a folder/);
      const t0 = performance.now();
      expect(() => ensureCorpusFolder('/proc/attnfuzz-x')).toThrow();
      expect(performance.now() - t0).toBeLessThan(5000);
      const locked = join(dir, 'locked');
      ensureCorpusFolder(locked);
      chmodSync(locked, 0o500);
      // root may write anywhere: the probe write is what decides
      if (process.getuid?.() !== 0) expect(() => ensureCorpusFolder(locked)).toThrow();
      chmodSync(locked, 0o700);
      ensureCorpusFolder(join(dir, 'a', 'b', 'c'));
      expect(existsSync(join(dir, 'a', 'b', 'c'))).toBe(true);
    },
  );
});

describe('reading', () => {
  it('rejects bad files with one line naming the file and the field', async () => {
    const ok = saved() as unknown as Record<string, unknown>;
    expect(() => parseSavedCase({ ...ok, kernel: { builtin: 'nope' } }, 'x.json')).toThrow(
      /^x\.json: kernel: expected \{"builtin": "eager"/,
    );
    expect(() => parseSavedCase({ ...ok, expect: { kind: 'mismatch' } }, 'x.json')).toThrow(
      /^x\.json: reason: a known failure must say why/,
    );
    expect(() => parseSavedCase({ ...ok, case: { ...c, shapes: { ...c.shapes, Hkv: 0 } } }, 'x.json')).toThrow(
      /^x\.json: case\.shapes\.Hkv/,
    );
    expect(() => parseSavedCase({ ...ok, format: 'other' }, 'x.json')).toThrow(
      /^x\.json: format: expected "attnfuzz-case"/,
    );
    expect(() => parseSavedCase({ ...ok, version: 7 }, 'x.json')).toThrow(/^x\.json: version: unknown version 7/);
    expect(() => parseSavedCase({ ...ok, kind: 'conv' }, 'x.json')).toThrow(/^x\.json: kind: unknown kind "conv"/);
    expect(() => parseSavedCase({ ...ok, expct: {} }, 'x.json')).toThrow(/^x\.json: expct: unknown field/);
    expect(() => parseSavedCase({ ...ok, kind: 'upstream' }, 'x.json')).toThrow(/^x\.json: case\./);
  });
  it('refuses version-1 files in one line naming the file and saying version 1 is no longer read', async () => {
    const v1 = {
      format: 'attnfuzz-failure',
      version: 1,
      case: c,
      kernel: { module: DETACHED },
      expect: 'fail',
      reason: 'on purpose',
      verdict: { status: 'mismatch', summary: 'cpu: dv MISMATCH maxAbs=1.49e+0 allowed=5.34e-7 @ b=0 h=0 key=0 dim=0' },
      seed: 1,
      path: '0',
      backend: 'cpu',
      versions: { attnfuzz: '0.1.0', tfjs: '4.22.0' },
    };
    // The whole message, on one line (no `m` flag: ^ and $ are its ends).
    const literal = (text: string) => text.replace(/[.()]/g, String.raw`\$&`);
    const noLonger = (file: string, format: string) =>
      new RegExp(
        `^${literal(`${file}: ${format} version 1 is no longer read (this attnfuzz reads attnfuzz-case version 2)`)}` +
          ': run the check that found it again to save it in the current format$',
      );
    expect(() => parseSavedCase(v1, 'old.json')).toThrow(noLonger('old.json', 'attnfuzz-failure'));
    const training = {
      format: 'attnfuzz-failure',
      version: 1,
      kind: 'training',
      case: {
        version: 1,
        kind: 'training',
        model: { vocab: 11, dModel: 8, heads: 1, kvHeads: 1, layers: 1, ffn: 8 },
        batch: { layout: 'unpadded', lengths: [2] },
        lora: { targets: ['q'], rank: 1, alpha: 1, rslora: false, dropout: 0, initB: 'zero' },
        adamw: { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 0.0001, weightDecay: 0 },
        steps: 1,
        seed: 0,
      },
      kernel: { builtin: 'sdpa' },
      expect: 'fail',
      reason: 'r',
      summary: ['dB layers.0.q FAIL maxAbs=1.1e-1 allowed=3.5e-6 @[1,0]'],
      seed: 1,
      backend: 'cpu',
    };
    expect(() => parseSavedCase(training, 't.json')).toThrow(noLonger('t.json', 'attnfuzz-failure'));
    const upstream = {
      format: 'attnfuzz-upstream',
      version: 1,
      name: 'n',
      issue: 'tensorflow/tfjs#1',
      reason: 'r',
      op: 'gather',
      check: 'throws',
      backends: ['wasm'],
      inputs: { x: { shape: [2, 1], data: [1, 2] } },
      attrs: { indices: [1], axis: 0 },
      expectedError: 'boom',
    };
    expect(() => parseSavedCase(upstream, 'u.json')).toThrow(noLonger('u.json', 'attnfuzz-upstream'));
    const dir = tmp('v1');
    writeFileSync(join(dir, 'old.json'), JSON.stringify(v1));
    expect(() => readSavedCase(join(dir, 'old.json'))).toThrow(CorpusFileError);
    expect(() => readSavedCase(join(dir, 'old.json'))).toThrow(
      /old\.json: attnfuzz-failure version 1 is no longer read/,
    );
  });
});

describe('replaying', () => {
  it('expect pass: ok on a correct kernel, failing on a broken one', async () => {
    const dir = tmp('replay');
    expect((await replayFile(saveCase(saved(), dir).json)).status).toBe('ok');
    const broken = await replayFile(saveCase(saved({ kernel: { module: DETACHED } }), dir).json);
    expect(broken.status).toBe('failing');
    expect(formatReplay(broken)).toMatch(
      /^FAIL .*: attention: fixtures\/broken-kernels\/value-grad-detached\.ts fails: dv MISMATCH/,
    );
  });
  it(
    'a known failure is ok only when it fails as recorded; another verdict or tensor is reported, a pass is ' +
      '"now passes"',
    async () => {
      const dir = tmp('known');
      const file = (name: string, over: Partial<SavedCase>) => {
        const f = join(dir, `${name}.json`);
        writeFileSync(f, JSON.stringify(saved({ reason: 'test', ...over })));
        return f;
      };
      const as = await replayFile(
        file('as', { kernel: { module: DETACHED }, expect: { kind: 'mismatch', tensor: 'dv' } }),
      );
      expect(as.status, formatReplay(as)).toBe('ok');
      const other = await replayFile(
        file('other', { kernel: { module: DETACHED }, expect: { kind: 'mismatch', tensor: 'dq' } }),
      );
      expect(other.status).toBe('fails-differently');
      expect(formatReplay(other)).toMatch(
        /^FAILS DIFFERENTLY .* was expected to fail with mismatch in dq \(test\) but: dv MISMATCH/,
      );
      const gone = await replayFile(file('gone', { expect: { kind: 'mismatch', tensor: 'dv' } }));
      expect(gone.status).toBe('now-passes');
    },
  );
  it('a missing kernel module or a corrupt file is invalid, named, and never deleted', async () => {
    const dir = tmp('invalid');
    const p = saveCase(saved({ kernel: { module: 'no/such/kernel.ts' } }), dir);
    const o = await replayFile(p.json);
    expect(o.status === 'invalid' && o.message).toMatch(/kernel\.module no\/such\/kernel\.ts: no such file/);
    const corrupt = join(dir, 'corrupt.json');
    writeFileSync(corrupt, '{"format": "attnfuzz-ca');
    const bad = await replayFile(corrupt);
    expect(bad.status === 'invalid' && bad.message).toMatch(/corrupt\.json: corrupt JSON/);
    expect(existsSync(corrupt) && existsSync(p.json)).toBe(true);
  });
});
