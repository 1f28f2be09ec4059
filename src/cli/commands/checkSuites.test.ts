/**
 * `attnfuzz check --suite lora | training | decode` end to end through `main`: each suite finds its
 * broken kernel, saves it where --corpus says, and the built-in kernels of the suite pass.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../../fixtures/cli.js';
import { readSavedCase } from '../../corpus/index.js';

const tmp = (name: string) => mkdtempSync(join(tmpdir(), `attnfuzz-check-${name}-`));

describe('attnfuzz check --suite', () => {
  it(
    '--suite lora finds a kernel that scales by alpha instead of alpha/r, and the built-in LoRA ' + 'kernels pass',
    async () => {
      const dir = tmp('lora');
      const r = await cli(
        'check',
        '--suite',
        'lora',
        '--kernel',
        'fixtures/broken-kernels/lora-scaling-alpha.ts',
        '--runs',
        '300',
        '--seed',
        '7',
        '--corpus',
        dir,
      );
      expect(r.code).toBe(1);
      const saved = readSavedCase(/^saved: (.+\.json)$/m.exec(r.out)![1]!);
      expect(saved).toMatchObject({
        kind: 'lora',
        kernel: { module: 'fixtures/broken-kernels/lora-scaling-alpha.ts' },
        expect: { kind: 'pass' },
      });
      // alpha vs alpha/r differ only when r > 1 (or rsLoRA: alpha vs alpha/sqrt(r))
      expect(saved.case).toMatchObject({ kind: 'lora' });
      expect((saved.case as { rank: number }).rank).toBeGreaterThan(1);
      expect(saved.found?.verdict).toMatch(/MISMATCH/);
      for (const k of ['lora', 'lora-merged']) {
        const ok = await cli(
          'check',
          '--suite',
          'lora',
          '--kernel',
          k,
          '--runs',
          '200',
          '--seed',
          '7',
          '--corpus',
          dir,
        );
        expect(ok.code, ok.out + ok.err).toBe(0);
      }
    },
  );

  it(
    '--suite training finds the adapter-hub/adapters#721 dispatch and saves it where --corpus says, never ' +
      'into the committed corpus',
    async () => {
      const dir = tmp('training');
      const r = await cli(
        'check',
        '--suite',
        'training',
        '--kernel',
        'examples/forgot-is-causal/kernel.ts',
        '--runs',
        '50',
        '--seed',
        '1',
        '--corpus',
        dir,
      );
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/^ {2}logits MISMATCH /m);
      const file = /^saved: (.+\.json)$/m.exec(r.out)![1]!;
      expect(file.startsWith(dir)).toBe(true);
      expect(readSavedCase(file)).toMatchObject({ kind: 'training', case: { batch: { layout: 'unpadded' } } });
    },
  );

  it(
    '--suite decode finds a paged decode reading padding lanes, reads the cache out in words, saves it and ' +
      'replay reproduces it; flash decode passes',
    async () => {
      const dir = tmp('decode');
      const fixture = 'fixtures/broken-kernels/decode-reads-page-padding.ts';
      const r = await cli(
        'check',
        '--suite',
        'decode',
        '--kernel',
        fixture,
        '--runs',
        '300',
        '--seed',
        '1',
        '--corpus',
        dir,
      );
      expect(r.code).toBe(1);
      expect(r.err.split('\n')[0]).toMatch(
        /^check: .*decode-reads-page-padding\.ts \(decode suite, forward only\) on (cpu|wasm), seed 1, budget 300/,
      );
      expect(r.out).toMatch(
        /^decode: paged cache, pageSize \d+.*; cacheSeqlens \[[\d, ]+\] \(a length is not a multiple of pageSize\)/m,
      );
      expect(r.out).toMatch(/^ {2}why: reads cache slots no query may read .* (is|are) padding/m);
      const file = /^saved: (.+\.json)$/m.exec(r.out)![1]!;
      expect(readSavedCase(file)).toMatchObject({ kind: 'decode', kernel: { module: fixture } });
      const again = await cli('replay', file);
      expect(again.code).toBe(1);
      expect(again.out).toMatch(/^FAIL .*: decode: .*decode-reads-page-padding\.ts fails: out NONFINITE/m);
      const ok = await cli(
        'check',
        '--suite',
        'decode',
        '--kernel',
        'flash',
        '--runs',
        '50',
        '--seed',
        '1',
        '--corpus',
        dir,
      );
      expect(ok.out).toMatch(/^flash \(decode, forward only\) on (cpu|wasm): no failure in 50 cases \(0 unsupported\)/);
    },
  );
});
