/**
 * `attnfuzz check` end to end through `main`, as a new user meets it: what it says before it
 * starts, every suite, a run that checks nothing, a corpus folder that cannot take the failure
 * (checked before the search; and if it breaks during the search, the repro is still printed and
 * the exit code still says a failure was found), flag errors.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSavedCase } from '../../corpus/index.js';
import { main } from '../main.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s), errIsTTY: false });
  return { code, out, err };
}
const tmp = (name: string) => mkdtempSync(join(tmpdir(), `attnfuzz-check-${name}-`));
const module = (dir: string, name: string, text: string) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};

describe('attnfuzz check', () => {
  it('--version prints the package version', async () => {
    const r = await cli('--version');
    expect(r.code).toBe(0);
    expect(r.out.trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  });

  it('says what it checks, on which backend, with which seed, before it starts', async () => {
    const r = await cli('check', '--kernel', 'flash', '--runs', '5', '--seed', '42');
    expect(r.code).toBe(0);
    expect(r.err.split('\n')[0]).toMatch(
      /^check: flash \(attention suite, forward and backward\) on (cpu|wasm), seed 42, budget 5 cases$/,
    );
    expect(r.out).toMatch(
      /^flash \(attention, forward and backward\) on (cpu|wasm): no failure in 5 cases \(0 unsupported\)/,
    );
  });

  it(
    '--suite lora finds a kernel that scales by alpha instead of alpha/r, and the built-in LoRA ' + 'kernels pass',
    async () => {
      const dir = tmp('lora');
      const r = await cli(
        'check',
        '--suite',
        'lora',
        '--kernel',
        'test/fixtures/broken-kernels/lora-scaling-alpha.ts',
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
        kernel: { module: 'test/fixtures/broken-kernels/lora-scaling-alpha.ts' },
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
      const fixture = 'test/fixtures/broken-kernels/decode-reads-page-padding.ts';
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

  it('a run that checks nothing is not a pass: every case declined by supports exits 2 and says why', async () => {
    const dir = tmp('declined');
    const shy = module(
      dir,
      'shy.mjs',
      `export default { name: 'shy', forward: (q) => q, supports: () => 'I only do Sq = 4096' };\n`,
    );
    const r = await cli('check', '--kernel', shy, '--runs', '20', '--corpus', dir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /nothing was checked: all 20 cases were declined by the kernel's supports \(first reason: I only do Sq = 4096\)/,
    );
  });

  it(
    'the corpus folder is checked before the search: a regular file or /proc fails at once, ' + 'naming --corpus',
    async () => {
      const dir = tmp('corpus');
      const file = module(dir, 'plain', '');
      const r = await cli('check', '--kernel', 'flash', '--runs', '5', '--corpus', file);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(new RegExp(`^check: --corpus ${file}: cannot save cases there: .*is not a folder\\n$`));
      const t0 = performance.now();
      const p = await cli('check', '--kernel', 'flash', '--runs', '5', '--corpus', '/proc/attnfuzz-corpus');
      expect(p.code).toBe(2);
      expect(p.err).toMatch(/^check: --corpus \/proc\/attnfuzz-corpus: cannot save cases there/);
      expect(performance.now() - t0).toBeLessThan(10_000);
    },
  );

  it(
    'a failure found is never lost: if the corpus breaks during the search, the repro is printed and the ' +
      'exit code is still 1',
    async () => {
      const dir = tmp('lost');
      const corpus = join(dir, 'corpus');
      // A broken kernel that, once running, replaces the corpus folder by a file (a disk gone away).
      const sabotage = module(
        dir,
        'sabotage.mjs',
        `import { rmSync, writeFileSync } from 'node:fs';
export default { name: 'sabotage', forward(q, k, v, opts, tf) {
  rmSync(${JSON.stringify(corpus)}, { recursive: true, force: true });
  writeFileSync(${JSON.stringify(corpus)}, 'not a folder');
  return tf.zeros([q.shape[0], q.shape[1], q.shape[2], v.shape[3]]);
} };\n`,
      );
      const r = await cli('check', '--kernel', sabotage, '--runs', '50', '--seed', '1', '--corpus', corpus);
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/^\S+sabotage\.mjs on \w+: FAILED \(mismatch\)/);
      expect(r.out).toMatch(/^fast-check: \{ seed: 1, path: /m);
      expect(r.out).not.toMatch(/^saved:/m);
      expect(r.err).toMatch(
        new RegExp(`check: --corpus ${corpus}: could not save the case \\(.*\\); the repro above is complete`),
      );
      expect(existsSync(corpus)).toBe(true);
    },
  );

  it.each([
    [
      ['--suite', 'vision'],
      /option '--suite <name>' argument 'vision' is invalid\. Allowed choices are attention, lora, training, decode\./,
    ],
    [['--time', '-1'], /option '--time <seconds>' argument '-1' is invalid\. must be a positive number of seconds/],
    [['--runs', '1.5'], /option '--runs <n>' argument '1\.5' is invalid\. must be a positive integer/],
    [['--seed', 'x'], /option '--seed <n>' argument 'x' is invalid\. must be an integer/],
    [
      ['--backend', 'gpu'],
      /option '--backend <name>' argument 'gpu' is invalid\. Allowed choices are cpu, wasm, tensorflow\./,
    ],
    [['--kernel', 'nope.ts'], /^check: --kernel nope\.ts: no such file/],
    [
      ['--suite', 'lora', '--kernel', 'flash'],
      /^check: --kernel flash: the built-in 'flash' does not run in the lora suite/,
    ],
  ])('%o exits 2 with the reason, nothing on stdout', async (flags, message) => {
    const argv = flags.includes('--kernel') ? flags : ['--kernel', 'flash', ...flags];
    const r = await cli('check', '--runs', '1', ...argv);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(message);
  });
});

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
        'test/fixtures/broken-kernels/lowprec-detached-q.ts',
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

describe('attnfuzz check: --forward-only, --junk, --profile', () => {
  const EINSUM = 'test/fixtures/broken-kernels/einsum-attention.ts';
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
        'test/fixtures/broken-kernels/einsum-attention-unscaled.ts',
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
      const UNSCALED = 'test/fixtures/broken-kernels/einsum-attention-unscaled.ts';
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
        'test/fixtures/broken-kernels/textbook.ts',
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

describe('attnfuzz replay', () => {
  it('a folder with nothing to replay exits 2 instead of passing', async () => {
    const r = await cli('replay', tmp('empty'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^replay: nothing to replay: no \.json files in /);
  });
  it(
    'a folder that only holds folders of saved cases names them (replay does not descend; golden files are ' +
      'not saved cases)',
    async () => {
      const r = await cli('replay', 'corpus');
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/did you mean corpus\/regressions corpus\/upstream\?\)\n$/);
    },
  );
  it('replays corpus/upstream: every known tfjs failure still fails as recorded', async () => {
    const r = await cli('replay', 'corpus/upstream');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n').at(-1)).toMatch(
      /^replay: \d+ files: (\d+) ok, 0 failing, 0 failing differently, 0 now passing/,
    );
  });
});
