/**
 * The Python worker (targets/torch/attnfuzz_worker.py) with PyTorch itself (Debian's python3-torch 1.13
 * here; skipped with the reason in its title when no python has torch): the seed bug as a Python
 * kernel is found and shrunk to one sequence of two tokens, its fix passes; the built-in targets
 * torch:sdpa, torch:mha and torch:eager pass what they do not decline; a bfloat16 case reaches a
 * kernel as torch.bfloat16; py: modules run the decode and LoRA suites too; a missing Python, torch
 * or CUDA is a one-line error naming what to install.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SEED } from '../fixtures/profile.js';
import type { AttentionCase } from '../src/case/index.js';
import { type KernelUnderTest, resolveKernel, type SuiteName, search } from '../src/runner/index.js';

/** A python that imports torch: ATTNFUZZ_PYTHON, else python3 on PATH, else Debian's /usr/bin/python3. */
const PYTHON =
  [process.env.ATTNFUZZ_PYTHON, 'python3', '/usr/bin/python3'].find(
    (p) => p !== undefined && spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0,
  ) ?? null;
const probe = (code: string) => (PYTHON ? spawnSync(PYTHON, ['-c', code], { encoding: 'utf8' }).stdout.trim() : '');
const torchVersion = probe('import torch; print(torch.__version__)');
const hasCuda = probe('import torch; print(torch.cuda.is_available())') === 'True';

const small = { maxBatch: 2, maxHeads: 4, maxSeq: 12, maxHeadDim: 12 };

async function withKernel<T>(spec: string, suite: SuiteName, f: (k: KernelUnderTest) => Promise<T>): Promise<T> {
  const k = await resolveKernel(spec, suite, process.cwd(), '--kernel', { python: PYTHON! });
  try {
    return await f(k);
  } finally {
    await k.close?.();
  }
}

const NO_TORCH = '(skipped: no python3 with torch; apt-get install python3-torch)';

describe(`the Python worker ${PYTHON ? `(PyTorch ${torchVersion})` : NO_TORCH}`, () => {
  it.skipIf(PYTHON === null)(
    'finds the seed bug as a Python kernel within 60 s, shrunk to one sequence of two tokens, causal, no mask',
    async () => {
      await withKernel('py:examples/forgot-is-causal/forgot_is_causal.py', 'attention', async (kernel) => {
        const r = await search({ suite: 'attention', kernel, seed: SEED, timeMs: 60_000, shrinkTimeMs: 30_000 });
        expect(r.status).toBe('failed');
        if (r.status !== 'failed') return;
        const c = r.shrunk.case as AttentionCase;
        const s = c.shapes;
        expect([s.B, s.Hq, Math.max(s.Sq, s.Sk), c.causal !== 'none', c.mask]).toEqual([1, 1, 2, true, null]);
      });
    },
    120_000,
  );

  it.skipIf(PYTHON === null)(
    'passes the fixed Python kernel',
    async () => {
      await withKernel('py:examples/forgot-is-causal/correct.py', 'attention', async (kernel) => {
        const r = await search({ suite: 'attention', kernel, seed: SEED, numRuns: 120, constraints: small });
        expect(r.status, r.status === 'failed' ? JSON.stringify(r.shrunk.case) : '').toBe('clean');
      });
    },
    120_000,
  );

  it.skipIf(PYTHON === null).each(['torch:sdpa', 'torch:mha', 'torch:eager'])(
    '%s passes the cases it does not decline (float32 on PyTorch 1.13 CPU)',
    async (spec) => {
      await withKernel(spec, 'attention', async (kernel) => {
        const r = await search({ suite: 'attention', kernel, seed: SEED, numRuns: 80, constraints: small });
        expect(r.status, r.status === 'failed' ? JSON.stringify(r.shrunk.case) : '').toBe('clean');
        expect(r.unsupported).toBeLessThan(r.cases);
      });
    },
    120_000,
  );

  it.skipIf(PYTHON === null)(
    'a bfloat16 case reaches the kernel as torch.bfloat16 (a kernel that checks its dtypes passes, score options too)',
    async () => {
      await withKernel('py:test/fixtures/python/contract.py', 'attention', async (kernel) => {
        const constraints = { ...small, precisions: ['bfloat16' as const], allowSinks: true, allowSoftcap: true };
        const r = await search({ suite: 'attention', kernel, seed: SEED, numRuns: 60, constraints });
        expect(r.status, r.status === 'failed' ? JSON.stringify(r.shrunk.verdict) : '').toBe('clean');
        expect(r.unsupported).toBe(0);
      });
    },
    120_000,
  );

  it.skipIf(PYTHON === null).each([
    ['decode', 'py:test/fixtures/python/decode.py'],
    ['lora', 'py:test/fixtures/python/lora.py'],
  ] as const)(
    'runs the %s suite through a py: module',
    async (suite, spec) => {
      await withKernel(spec, suite, async (kernel) => {
        const r = await search({ suite, kernel, seed: SEED, numRuns: 60 });
        expect(r.status, r.status === 'failed' ? JSON.stringify(r.shrunk.verdict) : '').toBe('clean');
        expect(r.unsupported).toBeLessThan(r.cases);
      });
    },
    120_000,
  );

  it.skipIf(PYTHON === null)(
    'a missing Python, torch or CUDA is one line naming what to install',
    async () => {
      const start = (python: string, device?: string) =>
        resolveKernel('torch:sdpa', 'attention', process.cwd(), '--kernel', { python, ...(device ? { device } : {}) });
      await expect(start('/no/such/python3')).rejects.toThrow(
        new RegExp(
          String.raw`^--kernel torch:sdpa: \/no\/such\/python3 not found: install Python 3 with PyTorch ` +
            String.raw`\(apt-get install python3-torch, or pip install torch\), or name a Python with --python or ` +
            'ATTNFUZZ_PYTHON$',
        ),
      );
      // A Python without torch: the same interpreter without its site packages.
      const dir = mkdtempSync(join(tmpdir(), 'attnfuzz-nopy-'));
      const bare = join(dir, 'python3');
      writeFileSync(bare, `#!/bin/sh\nexec ${PYTHON} -S "$@"\n`);
      chmodSync(bare, 0o755);
      await expect(start(bare)).rejects.toThrow(
        new RegExp(
          String.raw`^--kernel torch:sdpa: PyTorch is not installed for \S+ \(Python [\d.]+\): install it \(pip ` +
            String.raw`install torch, or apt-get install python3-torch\), or name another Python with --python or ` +
            'ATTNFUZZ_PYTHON$',
        ),
      );
      if (!hasCuda)
        await expect(start(PYTHON!, 'cuda:0')).rejects.toThrow(
          new RegExp(
            String.raw`^--kernel torch:sdpa: --device cuda:0: PyTorch \S+ here has no CUDA ` +
              String.raw`\(torch.cuda.is_available\(\) is False\): install a CUDA build of PyTorch`,
          ),
        );
      await expect(start(PYTHON!, 'tpu')).rejects.toThrow('--device tpu: expected cpu, cuda or cuda:N');
    },
    60_000,
  );
});
