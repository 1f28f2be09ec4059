/**
 * `attnfuzz check` end to end through `main`, as a new user meets it: what it says before it
 * starts, a run that checks nothing, a corpus folder that cannot take the failure (checked before
 * the search; and if it breaks during the search, the repro is still printed and the exit code
 * still says a failure was found), flag errors. The suites: checkSuites.test.ts; --precision:
 * checkPrecision.test.ts; --forward-only, --junk, --profile: checkAttentionFlags.test.ts.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
      new RegExp(
        String.raw`option '--backend <name>' argument 'gpu' is invalid\. ` +
          String.raw`Allowed choices are cpu, wasm, tensorflow, webgpu, webgl\.`,
      ),
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
