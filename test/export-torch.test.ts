/**
 * `attnfuzz export --torch`, checked with PyTorch itself (Debian's python3-torch 1.13 here; skipped
 * with the reason in its title when no python has torch, so CI needs neither): a case attnfuzz
 * found for the adapters#721 bug (causal dropped when no mask is passed) exported as a script,
 * on which PyTorch's SDPA passes, and on which a kernel_under_test that drops is_causal when no
 * mask is given fails with the verdict attnfuzz printed when it found the case.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cli } from '../fixtures/cli.js';
import { SEED } from '../fixtures/profile.js';
import { type AttentionCase, attentionCase } from '../src/case/index.js';
import { featuresOf, saveCase, savedCaseOf } from '../src/corpus/index.js';
import { formatVerdict } from '../src/oracle/index.js';
import { builtinKernel, checkCase, resolveKernel, search } from '../src/runner/index.js';
import { PYTHON, python, pythons, type Ran, torchVersion } from './support/torchPython.js';

const BROKEN = `
_sdpa = kernel_under_test
def kernel_under_test(q, k, v, attn_mask=None, is_causal=False, scale=None):
    if attn_mask is None:
        is_causal = False  # adapters#721: no mask was passed, so the causal flag is dropped too
    return _sdpa(q, k, v, attn_mask=attn_mask, is_causal=is_causal, scale=scale)


if __name__ == "__main__":`;

/** flash-attention#1973 in Python: the sinks enter the forward, but no gradient reaches them. */
const SINKS_DETACHED = `
_default = kernel_under_test
def kernel_under_test(q, k, v, attn_mask=None, is_causal=False, scale=None,
                      softcap=None, alibi_slopes=None, bias=None, sinks=None):
    detached = None if sinks is None else sinks.detach()
    return _default(q, k, v, attn_mask, is_causal, scale, softcap, alibi_slopes, bias, detached)


if __name__ == "__main__":`;

/** Tensor by tensor, a verdict as `NAME STATUS` (which tensors fail, and how). */
const statusOf = (l: string) => /^\s*(\S+) (OK|MISMATCH|NONFINITE|SHAPE)/.exec(l)?.slice(1, 3).join(' ');

describe(
  `attnfuzz export --torch ` +
    `${PYTHON ? `(PyTorch ${torchVersion})` : '(skipped: no python3 with torch; apt-get install python3-torch)'}`,
  () => {
    it.skipIf(PYTHON === null)(
      'the exported script passes with SDPA, and fails with the verdict attnfuzz printed when is_causal is ' +
        'dropped without a mask',
      async () => {
        const kernel = await resolveKernel('fixtures/broken-kernels/causal-ignored-without-mask.ts');
        const only = {
          maxBatch: 2,
          maxHeads: 2,
          maxSeq: 4,
          maxHeadDim: 4,
          allowMask: false,
          allowPadding: false,
          allowWindow: false,
          allowDropout: false,
          fixed: { causal: 'top-left' as const },
        };
        const r = await search({
          suite: 'attention',
          kernel,
          seed: SEED,
          timeMs: 30_000,
          shrinkTimeMs: 10_000,
          constraints: only,
        });
        expect(r.status).toBe('failed');
        if (r.status !== 'failed') return;
        const dir = mkdtempSync(join(tmpdir(), 'attnfuzz-export-'));
        const file = saveCase(savedCaseOf(r.shrunk, kernel.ref, { seed: r.seed, path: r.path }), dir).json;
        const script = join(dir, 'repro.py');
        expect(await cli('export', '--torch', file, '--out', script)).toMatchObject({
          code: 0,
          out:
            `wrote ${script}: run it with python3 ${script} (PyTorch; swap kernel_under_test for the kernel ` +
            `to check)\n`,
        });

        const sdpa = python(script);
        expect(sdpa.stderr).toBe('');
        expect(sdpa.status, sdpa.stdout).toBe(0);
        expect(sdpa.stdout).toMatch(/^PASS: /m);

        writeFileSync(
          join(dir, 'broken.py'),
          readFileSync(script, 'utf8').replace('\nif __name__ == "__main__":', BROKEN),
        );
        const broken = python(join(dir, 'broken.py'));
        expect(broken.status, broken.stdout + broken.stderr).toBe(1);
        // Tensor by tensor, the same verdict as attnfuzz's: which tensors fail, how, and where.
        const status = (l: string) => /^\s*(\S+) (OK|MISMATCH|NONFINITE|SHAPE)/.exec(l)?.slice(1, 3).join(' ');
        const theirs = broken.stdout
          .split('\n')
          .filter((l) => l.startsWith('  '))
          .map(status);
        // The script judges out, dq, dk, dv (SDPA returns no lse; flash's lse is judged by attnfuzz only).
        const judged = /^\s*(out|dq|dk|dv) /;
        expect(theirs).toEqual(
          formatVerdict(r.shrunk.verdict)
            .filter((l) => judged.test(l))
            .map(status),
        );
        const failing =
          r.shrunk.verdict.status === 'mismatch' || r.shrunk.verdict.status === 'nonfinite'
            ? r.shrunk.verdict.failing.tensor
            : '?';
        expect(broken.stdout).toMatch(new RegExp(`^FAIL \\(${r.shrunk.verdict.status} in ${failing}\\): `, 'm'));
      },
    );

    it.skipIf(PYTHON === null)(
      'cases with softcap, ALiBi, a bias and sinks export; each passes with the default kernel (SDPA, or the ' +
        'formula where SDPA has no such option)',
      async () => {
        const dir = mkdtempSync(join(tmpdir(), 'attnfuzz-export-score-'));
        const flash = builtinKernel('flash');
        const options = {
          maxBatch: 2,
          maxHeads: 4,
          maxSeq: 5,
          maxHeadDim: 4,
          allowDropout: false,
          allowSoftcap: true,
          allowAlibi: true,
          allowBias: true,
          allowSinks: true,
        };
        const cases = fc.sample(
          attentionCase(options).filter(
            (c) => c.softcap != null || c.alibi != null || c.bias != null || c.sinks != null,
          ),
          { seed: SEED, numRuns: 6 },
        );
        const scripts: string[] = [];
        for (const [n, c] of cases.entries()) {
          const checked = await checkCase(c, flash);
          const file = saveCase(savedCaseOf(checked, flash.ref, { seed: SEED, path: String(n) }), dir).json;
          scripts.push(join(dir, `case${n}.py`));
          expect((await cli('export', '--torch', file, '--out', scripts[n]!)).code).toBe(0);
        }
        for (const [n, r] of pythons(scripts).entries()) {
          const c = cases[n] as AttentionCase;
          const on = (['softcap', 'alibi', 'bias', 'sinks'] as const).filter((f) => c[f] != null).join(', ');
          expect(r.status, `case ${n} (${on}, ${c.precision}):\n${r.stdout}${r.stderr}`).toBe(0);
          // bias and sinks come with their gradients, judged like dq.
          if (c.bias != null) expect(r.stdout).toMatch(/^ {2}dbias OK /m);
          if (c.sinks != null) expect(r.stdout).toMatch(/^ {2}dsinks OK /m);
        }
      },
      120_000,
    );

    it.skipIf(PYTHON === null)(
      'cases with a row that sees no key export and pass with the default kernel (SDPA before 2.5 gives NaN ' +
        'there: the script uses the formula)',
      async () => {
        const dir = mkdtempSync(join(tmpdir(), 'attnfuzz-export-empty-'));
        const flash = builtinKernel('flash');
        const options = { maxBatch: 2, maxHeads: 4, maxSeq: 5, maxHeadDim: 4, allowDropout: false };
        const empty = (c: AttentionCase) => featuresOf(c)['empty-rows'] === 'yes';
        // Plain cases, and cases with a bias (SDPA's float mask path): both went to SDPA before.
        const plain = fc.sample(
          attentionCase(options).filter((c) => empty(c) && c.softcap == null && c.sinks == null),
          { seed: SEED, numRuns: 3 },
        );
        const biased = fc.sample(
          attentionCase({ ...options, allowBias: true, allowAlibi: true, precisions: ['float32'] }).filter(
            (c) => empty(c) && (c.bias != null || c.alibi != null) && c.softcap == null && c.sinks == null,
          ),
          { seed: SEED, numRuns: 2 },
        );
        const cases = [...plain, ...biased];
        const scripts: string[] = [];
        for (const [n, c] of cases.entries()) {
          const checked = await checkCase(c, flash);
          expect(checked.verdict.status).toBe('pass');
          const file = saveCase(savedCaseOf(checked, flash.ref, { seed: SEED, path: String(n) }), dir).json;
          scripts.push(join(dir, `case${n}.py`));
          expect((await cli('export', '--torch', file, '--out', scripts[n]!)).code).toBe(0);
        }
        for (const [n, r] of pythons(scripts).entries()) {
          expect(r.status, `case ${n} (${cases[n]!.precision}):\n${r.stdout}${r.stderr}`).toBe(0);
          expect(r.stdout).toMatch(/^ {2}dq OK /m);
        }
      },
      120_000,
    );

    it.skipIf(PYTHON === null)(
      'a case of the sink-without-gradient fixture fails in the script as attnfuzz judged it, once ' +
        'kernel_under_test detaches the sinks',
      async () => {
        const kernel = await resolveKernel('fixtures/broken-kernels/sink-no-grad.ts');
        const r = await search({
          suite: 'attention',
          kernel,
          seed: SEED,
          timeMs: 30_000,
          shrinkTimeMs: 10_000,
          constraints: {
            maxBatch: 2,
            maxHeads: 4,
            maxSeq: 6,
            maxHeadDim: 4,
            precisions: ['float32'],
            allowDropout: false,
          },
        });
        expect(r.status).toBe('failed');
        if (r.status !== 'failed') return;
        const dir = mkdtempSync(join(tmpdir(), 'attnfuzz-export-sinks-'));
        const script = join(dir, 'repro.py');
        expect(
          (
            await cli(
              'export',
              '--torch',
              saveCase(savedCaseOf(r.shrunk, kernel.ref, { seed: r.seed, path: r.path }), dir).json,
              '--out',
              script,
            )
          ).code,
        ).toBe(0);
        writeFileSync(
          join(dir, 'broken.py'),
          readFileSync(script, 'utf8').replace('\nif __name__ == "__main__":', SINKS_DETACHED),
        );
        const [passes, broken] = pythons([script, join(dir, 'broken.py')]) as [Ran, Ran];
        expect(passes.status).toBe(0);
        expect(broken.status, broken.stdout + broken.stderr).toBe(1);
        const theirs = broken.stdout
          .split('\n')
          .filter((l) => l.startsWith('  '))
          .map(statusOf);
        const judged = /^\s*(out|dq|dk|dv|dbias|dsinks) /;
        expect(theirs).toEqual(
          formatVerdict(r.shrunk.verdict)
            .filter((l) => judged.test(l))
            .map(statusOf),
        );
        expect(broken.stdout).toMatch(/^FAIL \(mismatch in dsinks\): /m);
      },
      120_000,
    );

    it('a case it cannot express is refused with the reason, exit 2', async () => {
      const r = await cli('export', '--torch', 'corpus/does-not-exist.json');
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/^export: corpus\/does-not-exist\.json: cannot read/);
    });
  },
);
