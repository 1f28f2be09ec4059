/**
 * `attnfuzz check --precision` end to end through `main`: the flag pins the dtype of every case, and
 * a bad value is refused naming the flag and the choices (check and fuzz).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../../fixtures/cli.js';

const tmp = (name: string) => mkdtempSync(join(tmpdir(), `attnfuzz-check-${name}-`));
const module = (dir: string, name: string, text: string) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};

describe('attnfuzz check --precision', () => {
  it(
    'pins the dtype of every case: a kernel that throws outside float32 is clean under --precision float32, ' +
      'in the attention and training suites',
    async () => {
      const dir = tmp('precision');
      const flash = join(process.cwd(), 'kernels/flash/index.ts');
      const f32only = module(
        dir,
        'f32-only.ts',
        `import { flashKernel } from ${JSON.stringify(flash)};
export default { name: 'f32-only', forward(q, k, v, o, tf) {
  if (o.precision !== 'float32') throw new Error('got ' + o.precision);
  return flashKernel.forward(q, k, v, o, tf);
} };\n`,
      );
      const r = await cli(
        'check',
        '--kernel',
        f32only,
        '--precision',
        'float32',
        '--runs',
        '40',
        '--seed',
        '2',
        '--corpus',
        dir,
      );
      expect(r.code, r.out + r.err).toBe(0);
      expect(r.err.split('\n')[0]).toMatch(/\(attention suite, forward and backward, float32\) on /);
      expect(r.out).toMatch(/\(attention, forward and backward, float32\) on \w+: no failure in 40 cases/);
      const t = await cli(
        'check',
        '--suite',
        'training',
        '--kernel',
        f32only,
        '--precision',
        'float32',
        '--runs',
        '6',
        '--seed',
        '2',
        '--corpus',
        dir,
      );
      expect(t.code, t.out + t.err).toBe(0);
    },
  );

  it(
    'a kernel wrong only in bfloat16 is found under --precision bfloat16, and the shrunk case stays ' + 'in bfloat16',
    async () => {
      const dir = tmp('precision-bf16');
      const r = await cli(
        'check',
        '--kernel',
        'fixtures/broken-kernels/lowprec-detached-q.ts',
        '--precision',
        'bfloat16',
        '--runs',
        '200',
        '--seed',
        '4',
        '--corpus',
        dir,
        '--json',
      );
      expect(r.code).toBe(1);
      const j = JSON.parse(r.out.trim().split('\n').pop()!);
      expect(j).toMatchObject({
        status: 'failed',
        precision: 'bfloat16',
        case: { precision: 'bfloat16' },
        verdict: { status: 'mismatch', failing: { tensor: 'dq' } },
      });
    },
  );

  it('a bad value exits 2 naming the flag and the choices', async () => {
    for (const command of [['check', '--kernel', 'flash'], ['fuzz']]) {
      const r = await cli(...command, '--precision', 'bf16', '--runs', '1');
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err).toMatch(
        /option '--precision <dtype>' argument 'bf16' is invalid\. Allowed choices are float32, bfloat16, float16\./,
      );
    }
  });
});
