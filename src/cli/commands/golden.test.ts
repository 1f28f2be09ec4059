/** `attnfuzz golden` end to end through `main`: output, --json, and the exit codes 0 / 1 / 2. */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../main.js';

const GOLDEN = 'corpus/golden/attention-keylen-left-causal-tl-b2.json';
const LORA = 'corpus/golden/lora-r4-rslora.json';
const dir = mkdtempSync(join(tmpdir(), 'attnfuzz-golden-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s), errIsTTY: false });
  return { code, out, err };
}

/** Parsed JSON as the tests edit it: any field at any depth, set to values of any type (wrong ones on purpose). */
// biome-ignore lint/suspicious/noExplicitAny: the edits write wrong types on purpose; a real type would reject them
type EditedJson = any;

/** A copy of a golden file, edited, in the temp dir. */
function variant(name: string, from: string, edit: (g: EditedJson) => void): string {
  const g = JSON.parse(readFileSync(from, 'utf8'));
  edit(g);
  const f = join(dir, name);
  writeFileSync(f, JSON.stringify(g));
  return f;
}

describe('attnfuzz golden', () => {
  it('exit 0 when every tensor passes; prints an aligned table and a summary naming what ran', async () => {
    const r = await run('golden', GOLDEN, LORA, '--kernels', 'reference,eager');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toMatch(/^file\s+kernel\s+tensor\s+max abs\s+max rel\s+bound\s+result$/);
    // 4 attention tensors x 2 kernels + 4 lora tensors x reference (eager does not run lora files)
    expect(lines.filter((l) => l.endsWith('PASS'))).toHaveLength(12);
    // aligned: every row's result sits under the header's 'result'
    for (const l of lines.slice(1, -1)) expect(l.indexOf('PASS')).toBe(lines[0]!.indexOf('result'));
    expect(lines.at(-1)).toBe(
      'golden: PASS: 2 files (1 attention, 1 lora-linear, 0 decode); ran reference (attention, lora-linear), ' +
        'eager (attention); 12 tensors: 12 passed, 0 failed; 0 skipped, 0 errored',
    );
  });

  it('--json prints {file, kernel, tensor, maxAbs, maxRel, pass} per tensor', async () => {
    const r = await run('golden', LORA, '--kernels', 'reference', '--json');
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.out) as Array<Record<string, unknown>>;
    expect(rows.map((x) => x.tensor)).toEqual(['y', 'dx', 'dA', 'dB']);
    for (const x of rows) {
      expect(Object.keys(x)).toEqual(['file', 'kernel', 'tensor', 'maxAbs', 'maxRel', 'pass']);
      expect(x).toMatchObject({ file: LORA, kernel: 'reference', pass: true });
    }
  });

  it('exit 1 when a tensor is off, naming file, kernel and tensor', async () => {
    const f = variant('off.json', GOLDEN, (g) => (g.expected.dk.data[5] += 0.01));
    const r = await run('golden', f, '--kernels', 'reference');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/reference\s+dk\s+1\.00e-2\s+\S+\s+1\.00e-10\s+FAIL/);
    expect(r.out).toContain(`FAIL ${f} reference: dk (`);
    expect(r.out.trim().split('\n').at(-1)).toMatch(/^golden: FAIL: .*4 tensors: 3 passed, 1 failed/);
  });

  it(
    'a decode kernel module (defineDecodeKernel) runs the decode files: one reading page padding fails the ' +
      'paged one (exit 1), the contiguous one passes',
    async () => {
      const r = await run(
        'golden',
        'corpus/golden/decode-paged-shuffled.json',
        'corpus/golden/decode-contiguous-smax.json',
        '--kernels',
        'fixtures/broken-kernels/decode-reads-page-padding.ts',
      );
      expect(r.err).toBe('');
      expect(r.code).toBe(1);
      expect(r.out).toMatch(
        /decode-contiguous-smax\.json\s+fixtures\/broken-kernels\/decode-reads-page-padding\.ts\s+out\s.*PASS/,
      );
      expect(r.out).toContain(
        'FAIL corpus/golden/decode-paged-shuffled.json ' +
          'fixtures/broken-kernels/decode-reads-page-padding.ts: out (',
      );
      expect(r.out.trim().split('\n').at(-1)).toMatch(
        new RegExp(
          String.raw`^golden: FAIL: 2 files \(0 attention, 0 lora-linear, 2 decode\); ` +
            String.raw`ran fixtures\/broken-kernels\/decode-reads-page-padding\.ts \(decode\); ` +
            '2 tensors: 1 passed, 1 failed',
        ),
      );
    },
  );

  it('folders are searched recursively for *.json', async () => {
    const tree = join(dir, 'tree');
    mkdirSync(join(tree, 'deep'), { recursive: true });
    cpSync(LORA, join(tree, 'deep', 'a.json'));
    writeFileSync(join(tree, 'README.md'), 'not a golden');
    const r = await run('golden', tree, '--kernels', 'reference', '--json');
    expect(r.code).toBe(0);
    expect(new Set((JSON.parse(r.out) as Array<{ file: string }>).map((x) => x.file))).toEqual(
      new Set([join(tree, 'deep', 'a.json')]),
    );
  });

  it.each<[string, () => string[], RegExp]>([
    [
      'a wrong version',
      () => ['golden', variant('v3.json', LORA, (g) => (g.version = 3))],
      /^golden: .*v3\.json: unsupported version 3 \(this attnfuzz reads versions 1 and 2\)\n$/,
    ],
    [
      'inconsistent shapes',
      () => ['golden', variant('shape.json', GOLDEN, (g) => (g.inputs.dOut.shape = [2, 2, 8, 2]))],
      /^golden: .*shape\.json: inputs\.dOut\.shape \[2,2,8,2\] does not match out \[B,Hq,Sq,Dv\] = \[2,2,4,4\]\n$/,
    ],
    ['an unreadable file', () => ['golden', join(dir, 'absent.json')], /^golden: .*absent\.json: cannot read \(ENOENT/],
    [
      'not JSON',
      () => {
        writeFileSync(join(dir, 'bad.json'), '{oops');
        return ['golden', join(dir, 'bad.json')];
      },
      /^golden: .*bad\.json: not JSON \(/,
    ],
    [
      'an unknown kernel',
      () => ['golden', LORA, '--kernels', 'reference,fast'],
      /^golden: --kernels: unknown kernel 'fast'; expected some of reference, eager/,
    ],
    [
      'an unknown backend',
      () => ['golden', LORA, '--backend', 'gpu'],
      new RegExp(
        String.raw`^error: option '--backend <name>' argument 'gpu' is invalid\. ` +
          String.raw`Allowed choices are cpu, wasm, tensorflow, webgpu, webgl\.\n`,
      ),
    ],
    [
      'a missing backend package',
      () => ['golden', LORA, '--backend', 'tensorflow'],
      /^golden: --backend: backend 'tensorflow' needs @tensorflow\/tfjs-node-gpu .*npm install @tensorflow\/tfjs-node/,
    ],
  ])('exit 2 on %s, with one line on stderr', async (_, argv, want) => {
    const r = await run(...argv());
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(want);
    expect(r.err.replace('(add --help for usage)\n', '').trimEnd().split('\n')).toHaveLength(1);
  });

  it('a bad file is named and the good ones still run (exit 2: bad input)', async () => {
    const bad = variant('bad-shape.json', GOLDEN, (g) => (g.inputs.dOut.shape = [2, 2, 8, 2]));
    const r = await run('golden', bad, LORA, '--kernels', 'reference');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^golden: .*bad-shape\.json: inputs\.dOut\.shape/);
    expect(r.err).toMatch(/golden: 1 of 2 files could not be read \(named above\); the others ran/);
    expect(r.out.trim().split('\n').at(-1)).toMatch(/^golden: PASS: 1 files \(0 attention, 1 lora-linear, 0 decode\)/);
  });

  it('--kernels takes a user kernel module: a correct kernel passes, a broken one fails by tensor', async () => {
    const good = join(dir, 'good.ts');
    writeFileSync(
      good,
      `import { sdpaKernel } from ${JSON.stringify(join(process.cwd(), 'src/runner/index.js'))};\nexport ` +
        `default { ...sdpaKernel, name: 'mine' };\n`,
    );
    const ok = await run('golden', GOLDEN, '--kernels', good);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(new RegExp(`${good.replace(/[.]/g, '\\.')}\\s+dv\\s+\\S+\\s+\\S+\\s+\\S+\\s+PASS`));
    const broken = await run('golden', GOLDEN, '--kernels', 'fixtures/broken-kernels/value-grad-detached.ts');
    expect(broken.code).toBe(1);
    expect(broken.out).toMatch(/FAIL \S+ fixtures\/broken-kernels\/value-grad-detached\.ts: dv \(/);
  });
});
