/**
 * `attnfuzz check --forward-only | --junk | --profile` end to end through `main`: the flags that
 * shape attention cases, and their refusal in the suites they do not apply to.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../../fixtures/cli.js';
import { readSavedCase } from '../../corpus/index.js';

const tmp = (name: string) => mkdtempSync(join(tmpdir(), `attnfuzz-check-${name}-`));
const module = (dir: string, name: string, text: string) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};

describe('attnfuzz check: --forward-only, --junk, --profile', () => {
  const EINSUM = 'fixtures/broken-kernels/einsum-attention.ts';
  it(
    '--forward-only checks a kernel without a backward (tfjs has no Einsum gradient) and says which ' + 'passes ran',
    async () => {
      const r = await cli(
        'check',
        '--kernel',
        EINSUM,
        '--forward-only',
        '--runs',
        '25',
        '--seed',
        '3',
        '--corpus',
        tmp('fwd'),
      );
      expect(r.err.split('\n')[0]).toMatch(/^check: .*einsum-attention\.ts \(attention suite, forward only\) on /);
      expect(r.out).toMatch(/\(attention, forward only\) on \w+: no failure in 25 cases/);
      expect(r.code).toBe(0);
    },
  );
  it(
    '--forward-only catches a wrong forward, the backward tensors not judged; without it a missing gradient ' +
      'is a THREW verdict',
    async () => {
      const wrong = await cli(
        'check',
        '--kernel',
        'fixtures/broken-kernels/einsum-attention-unscaled.ts',
        '--forward-only',
        '--runs',
        '100',
        '--seed',
        '3',
        '--corpus',
        tmp('fwd-wrong'),
        '--json',
      );
      expect(wrong.code).toBe(1);
      const j = JSON.parse(wrong.out.trim().split('\n').pop()!);
      expect(j).toMatchObject({
        status: 'failed',
        passes: 'forward only',
        verdict: { status: 'mismatch', failing: { tensor: 'out', pass: 'forward' } },
      });
      expect(
        j.verdict.tensors
          .filter((t: { status: string }) => t.status === 'skipped')
          .map((t: { tensor: string; reason: string }) => `${t.tensor}: ${t.reason}`),
      ).toEqual(['dq', 'dk', 'dv'].map((t) => `${t}: forward only (the kernel has no backward)`));
      const threw = await cli('check', '--kernel', EINSUM, '--runs', '5', '--seed', '3', '--corpus', tmp('fwd-threw'));
      expect(threw.code).toBe(1);
      expect(threw.out).toMatch(/THREW in backward: .*gradient function not found for Einsum/);
    },
  );
  it(
    'a case saved by check --forward-only replays forward only: the wrong forward still fails (no THREW), ' +
      'the right one passes; replay --forward-only does the same for a file that does not say so',
    async () => {
      const dir = tmp('fwd-replay');
      const UNSCALED = 'fixtures/broken-kernels/einsum-attention-unscaled.ts';
      const found = await cli(
        'check',
        '--kernel',
        UNSCALED,
        '--forward-only',
        '--runs',
        '100',
        '--seed',
        '3',
        '--corpus',
        dir,
        '--json',
      );
      expect(found.code).toBe(1);
      const file = JSON.parse(found.out.trim().split('\n').pop()!).saved as string;
      const saved = JSON.parse(readFileSync(file, 'utf8'));
      expect(saved.kernel).toEqual({ module: UNSCALED, forwardOnly: true });
      const again = await cli('replay', file);
      expect(again.code).toBe(1);
      expect(again.out).toMatch(/out MISMATCH .*\n.*dq not judged: forward only/);
      expect(again.out).not.toMatch(/THREW/);
      const right = module(
        dir,
        'right.json',
        JSON.stringify({ ...saved, kernel: { module: EINSUM, forwardOnly: true } }),
      );
      expect((await cli('replay', right)).code).toBe(0);
      const plain = module(dir, 'plain.json', JSON.stringify({ ...saved, kernel: { module: EINSUM } }));
      expect((await cli('replay', plain)).out).toMatch(/THREW in backward: .*gradient function not found for Einsum/);
      const forced = await cli('replay', '--forward-only', plain);
      expect(forced.code, forced.out + forced.err).toBe(0);
    },
  );
  it(
    '--junk nan finds a textbook kernel (P·V over every key) and says why once, from the verdict: it reads ' +
      'keys it must not see',
    async () => {
      const r = await cli(
        'check',
        '--kernel',
        'fixtures/broken-kernels/textbook.ts',
        '--junk',
        'nan',
        '--runs',
        '300',
        '--seed',
        '3',
        '--corpus',
        tmp('junk-nan'),
      );
      expect(r.code, r.err).toBe(1);
      expect(r.out).toMatch(/ NONFINITE got NaN /);
      const why = r.out.split('\n').filter((l) => l.includes('why:'));
      expect(why).toHaveLength(1);
      expect(why[0]).toMatch(
        /^ {2}why: reads keys it must not see \(0·NaN\): NaN at key \d+ \(b=\d+, kv head \d+\), which no query may/,
      );
      const saved = readSavedCase(/^saved: (.+\.json)$/m.exec(r.out)![1]!);
      expect(saved.found?.verdict).toMatch(/; why: reads keys it must not see \(0·NaN\)/);
    },
  );
  it(
    '--junk and --forward-only shape attention cases only, --profile attention and decode cases: another ' +
      'suite is a usage error',
    async () => {
      for (const flag of [['--junk', 'nan'], ['--forward-only']]) {
        const r = await cli('check', '--kernel', 'lora', '--suite', 'lora', ...flag, '--runs', '1');
        expect(r.code).toBe(2);
        expect(r.err).toBe(`check: ${flag[0]}: applies to the attention suite only, got --suite lora\n`);
      }
      const r = await cli('check', '--kernel', 'lora', '--suite', 'lora', '--profile', 'deep', '--runs', '1');
      expect(r.code).toBe(2);
      expect(r.err).toBe('check: --profile: applies to the attention and decode suites only, got --suite lora\n');
      expect((await cli('check', '--kernel', 'flash', '--junk', 'all', '--runs', '1')).err).toMatch(
        /--junk <level>' argument 'all' is invalid\. Allowed choices are none, finite, nan/,
      );
    },
  );
});
