import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findGoldenFiles, GoldenError, loadGolden } from './index.js';

const dir = mkdtempSync(join(tmpdir(), 'attnfuzz-golden-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const t = (shape: number[]) => ({
  shape,
  data: Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, n) => n / 10),
});

/** Parsed JSON as the tests edit it: any field at any depth, set to values of any type (wrong ones on purpose). */
// biome-ignore lint/suspicious/noExplicitAny: the edits write wrong types on purpose; a real type would reject them
type EditedJson = any;

/** A valid attention golden: q [1,2,1,1], k/v [1,1,2,1]. */
function attention(): EditedJson {
  return {
    format: 'attnfuzz-golden',
    version: 1,
    kind: 'attention',
    producer: 'test',
    name: 'tiny',
    hint: 'a fixture',
    options: { scale: 1, causal: 'none', window: null, keyLengths: null, paddingSide: 'right', mask: null },
    inputs: { q: t([1, 2, 1, 1]), k: t([1, 1, 2, 1]), v: t([1, 1, 2, 1]), dOut: t([1, 2, 1, 1]) },
    expected: { out: t([1, 2, 1, 1]), dq: t([1, 2, 1, 1]), dk: t([1, 1, 2, 1]), dv: t([1, 1, 2, 1]) },
  };
}

/** A valid lora golden: x [1,2], W0 [3,2], rank 2. */
function lora(): EditedJson {
  return {
    format: 'attnfuzz-golden',
    version: 1,
    kind: 'lora-linear',
    producer: 'test',
    name: 'tiny-lora',
    hint: 'a fixture',
    options: { rank: 2, alpha: 4, rslora: false },
    inputs: { x: t([1, 2]), W0: t([3, 2]), A: t([2, 2]), B: t([3, 2]), dY: t([1, 3]) },
    expected: { y: t([1, 3]), dx: t([1, 2]), dA: t([2, 2]), dB: t([3, 2]) },
  };
}

let n = 0;
function write(content: unknown): string {
  const f = join(dir, `case${n++}.json`);
  writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content));
  return f;
}

/** The one-line error loading `content` gives, with the file name replaced by FILE. */
function errorOf(content: unknown): string {
  const f = write(content);
  try {
    loadGolden(f);
  } catch (e) {
    expect(e).toBeInstanceOf(GoldenError);
    const msg = (e as Error).message;
    expect(msg).not.toContain('\n');
    return msg.replace(f, 'FILE');
  }
  throw new Error('loaded without error');
}

const edit = (base: () => EditedJson, f: (g: EditedJson) => void) => {
  const g = base();
  f(g);
  return g;
};

describe('golden files that cannot be used give one line naming the file and the field', () => {
  it('loads a file without a hint (optional: files written by other tools carry none)', () => {
    const g = loadGolden(write(edit(attention, (f) => delete f.hint)));
    expect(g.kind).toBe('attention');
    expect(g.hint).toBeUndefined();
  });

  it('accepts the valid fixtures', () => {
    const a = loadGolden(write(attention()));
    expect(a.kind).toBe('attention');
    if (a.kind === 'attention') expect(a.options).toMatchObject({ dropout: null, precision: 'float32' });
    expect(loadGolden(write(lora())).kind).toBe('lora-linear');
  });

  it.each<[string, unknown, string | RegExp]>([
    ['unparsable text', '{"format": ', /^golden: FILE: not JSON \(.+\)$/],
    ['not an object', '[1, 2]', 'golden: FILE: not a golden file: expected a JSON object, got an array'],
    [
      'another format',
      edit(attention, (g) => (g.format = 'npz')),
      'golden: FILE: format "npz" is not "attnfuzz-golden"',
    ],
    [
      'a newer version',
      edit(attention, (g) => (g.version = 3)),
      'golden: FILE: unsupported version 3 (this attnfuzz reads versions 1 and 2)',
    ],
    [
      'an unknown kind',
      edit(attention, (g) => (g.kind = 'conv')),
      'golden: FILE: kind "conv" is not one of attention, lora-linear, decode',
    ],
    ['a missing field', edit(attention, (g) => delete g.name), 'golden: FILE: name: missing (expected string)'],
    [
      'an unknown causal',
      edit(attention, (g) => (g.options.causal = 'diagonal')),
      'golden: FILE: options.causal: expected one of "none"|"top-left"|"bottom-right"',
    ],
    [
      'an unknown option',
      edit(attention, (g) => (g.options.dropout = { p: 0.1, seed: 1 })),
      'golden: FILE: options.dropout: unknown field (not in version 1)',
    ],
    [
      'a mask value of 2',
      edit(attention, (g) => (g.options.mask = { shape: [1, 1, 1, 2], data: [1, 2] })),
      /^golden: FILE: options\.mask\.data\[1\]: .*1/,
    ],
    [
      'a string in a shape',
      edit(attention, (g) => (g.inputs.k.shape = [1, 1, '2', 1])),
      'golden: FILE: inputs.k.shape[2]: expected number, received string',
    ],
    [
      'data too long',
      edit(attention, (g) => g.inputs.q.data.push(7)),
      'golden: FILE: inputs.q.data has 3 values, shape [1,2,1,1] needs 2',
    ],
    [
      'expected data too short',
      edit(attention, (g) => g.expected.dv.data.pop()),
      'golden: FILE: expected.dv.data has 1 values, shape [1,1,2,1] needs 2',
    ],
    [
      'Hq not a multiple of Hkv',
      edit(attention, (g) => {
        g.inputs.k = t([1, 3, 2, 1]);
        g.inputs.v = t([1, 3, 2, 1]);
      }),
      'golden: FILE: inputs.k.shape: Hq=2 is not a multiple of Hkv=3',
    ],
    [
      'q of rank 3',
      edit(attention, (g) => (g.inputs.q = t([2, 1, 1]))),
      'golden: FILE: inputs.q.shape: must have rank 4, got [2,1,1]',
    ],
    [
      'keyLengths of the wrong length',
      edit(attention, (g) => (g.options.keyLengths = [1, 2])),
      'golden: FILE: options.keyLengths: has 2 entries, B=1',
    ],
    [
      'a key length over Sk',
      edit(attention, (g) => (g.options.keyLengths = [3])),
      'golden: FILE: options.keyLengths[0]: must be an integer in [0, 2], got 3',
    ],
    [
      'a mask that does not broadcast',
      edit(attention, (g) => (g.options.mask = { shape: [1, 1, 2, 2], data: [1, 1, 1, 1] })),
      'golden: FILE: options.mask.shape: [1,1,2,2] does not broadcast to [B|1,Hq|1,Sq,Sk] = [1|1,2|1,1,2]',
    ],
    [
      'dOut of the wrong shape',
      edit(attention, (g) => (g.inputs.dOut = t([1, 2, 1, 2]))),
      'golden: FILE: inputs.dOut.shape [1,2,1,2] does not match out [B,Hq,Sq,Dv] = [1,2,1,1]',
    ],
    [
      'a gradient of the wrong shape',
      edit(attention, (g) => (g.expected.dk = t([1, 2, 2, 1]))),
      'golden: FILE: expected.dk.shape [1,2,2,1] does not match inputs.k.shape [1,1,2,1]',
    ],
    [
      'lora A against the rank',
      edit(lora, (g) => (g.inputs.A = t([3, 2]))),
      'golden: FILE: inputs.A.shape [3,2] does not match options (rank=2, in=2): expected [r,in] = [2,2]',
    ],
    [
      'lora W0 against x',
      edit(lora, (g) => (g.inputs.W0 = t([3, 4]))),
      'golden: FILE: inputs.W0.shape [3,4] does not match x (in=2): expected [out,in] = [3,2]',
    ],
    [
      'lora x of rank 1',
      edit(lora, (g) => (g.inputs.x = t([2]))),
      'golden: FILE: inputs.x.shape [2] must be 2 positive dims',
    ],
    ['lora rank 0', edit(lora, (g) => (g.options.rank = 0)), /^golden: FILE: options\.rank: .*0/],
  ])('%s', (_, content, want) => {
    const got = errorOf(content);
    if (typeof want === 'string') expect(got).toBe(want);
    else expect(got).toMatch(want);
  });

  it('an unreadable file names the file', () => {
    const f = join(dir, 'missing.json');
    expect(() => loadGolden(f)).toThrow(new RegExp(`^golden: ${f.replace(/[.]/g, '\\.')}: cannot read \\(ENOENT`));
  });
});

describe('findGoldenFiles', () => {
  it('takes files as given and searches folders recursively for *.json, sorted', () => {
    const root = join(dir, 'tree');
    mkdirSync(join(root, 'b', 'c'), { recursive: true });
    for (const f of ['z.json', 'a.json', 'notes.txt', 'b/c/d.json']) writeFileSync(join(root, f), '{}');
    expect(findGoldenFiles([root]).map((f) => f.slice(root.length + 1))).toEqual(['a.json', 'b/c/d.json', 'z.json']);
    expect(findGoldenFiles([join(root, 'notes.txt')])).toEqual([join(root, 'notes.txt')]);
    expect(() => findGoldenFiles([join(root, 'nope')])).toThrow(/^golden: .*nope: cannot read \(ENOENT/);
  });
});
