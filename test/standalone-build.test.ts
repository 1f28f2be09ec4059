/**
 * The self-contained attnfuzz (`npm run build:standalone`, scripts/standalone.mjs): one .mjs with
 * tfjs's wasm files and the PyTorch worker beside it, well under 30 MB, that runs in a folder with
 * no node_modules: `check` on a built-in, on a plain-Node worker through exec:, and on torch:sdpa
 * where a python3 with torch is found (skipped, saying why, where none is).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const PYTHON =
  [process.env.ATTNFUZZ_PYTHON, 'python3', '/usr/bin/python3'].find(
    (p) => p !== undefined && spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0,
  ) ?? null;

let dir = '';
const run = (...args: string[]) =>
  spawnSync(process.execPath, ['attnfuzz.mjs', ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 240_000,
    env: { ...process.env, NODE_PATH: '', ...(PYTHON ? { ATTNFUZZ_PYTHON: PYTHON } : {}) },
  });

describe('the self-contained build', () => {
  beforeAll(() => {
    const out = mkdtempSync(join(tmpdir(), 'attnfuzz-standalone-build-'));
    const b = spawnSync(process.execPath, [join(ROOT, 'scripts/standalone.mjs'), '--out', out], { encoding: 'utf8' });
    expect(b.status, b.stderr).toBe(0);
    // A folder far from the repository: no node_modules above it to fall back on.
    dir = mkdtempSync(join(tmpdir(), 'attnfuzz-standalone-'));
    cpSync(out, dir, { recursive: true });
    cpSync(join(ROOT, 'examples/workers'), join(dir, 'workers'), { recursive: true });
  }, 120_000);

  it('is one .mjs, the tfjs wasm files and the Python worker, under 30 MB', () => {
    const files = readdirSync(dir).filter((f) => f !== 'workers');
    expect(files.sort()).toEqual([
      'attnfuzz.mjs',
      'attnfuzz_worker.py',
      'tfjs-backend-wasm-simd.wasm',
      'tfjs-backend-wasm-threaded-simd.wasm',
      'tfjs-backend-wasm.wasm',
    ]);
    const bytes = files.reduce((n, f) => n + statSync(join(dir, f)).size, 0);
    expect(bytes).toBeLessThan(30 * 2 ** 20);
  });

  it('runs check on a built-in (wasm backend) and on a plain-Node worker, with no node_modules', () => {
    const a = run('check', '--kernel', 'sdpa', '--backend', 'wasm', '--runs', '20', '--corpus', 'c');
    expect(a.stdout, a.stderr).toMatch(/sdpa \(attention, forward and backward\) on wasm: no failure in 20 cases/);
    const b = run('check', '--kernel', `exec:${process.execPath} workers/correct.mjs`, '--runs', '30', '--corpus', 'c');
    expect(b.stdout, b.stderr).toMatch(/no failure in 30 cases/);
  }, 240_000);

  const which = PYTHON ? `(${PYTHON})` : '(skipped: no python3 with torch)';
  it.skipIf(PYTHON === null)(
    `runs check --kernel torch:sdpa with the Python worker beside it ${which}`,
    () => {
      const r = run('check', '--kernel', 'torch:sdpa', '--runs', '30', '--corpus', 'c');
      expect(r.stdout, r.stderr).toMatch(
        /torch:sdpa \(attention, forward and backward\) on cpu: no failure in 30 cases/,
      );
    },
    240_000,
  );
});
