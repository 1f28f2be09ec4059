/**
 * `--report-only` over several targets reads each target's own run when they never ran together, and
 * names the report it lacks otherwise.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type MutationOptions, mutationRun } from './run.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const loc = { start: { line: 36, column: 9 }, end: { line: 36, column: 16 } };

function options(out: string): MutationOptions {
  return {
    root: ROOT,
    targets: ['eager', 'flash'],
    files: null,
    sample: null,
    shard: null,
    concurrency: 1,
    budget: { seed: 1, runs: 100, backend: 'wasm' },
    reportOnly: true,
    fresh: false,
    docs: false,
    out,
  };
}

describe('mutate --report-only', () => {
  let out = '';
  afterEach(() => {
    vi.restoreAllMocks();
    rmSync(out, { recursive: true, force: true });
  });

  it("joins each target's own report when the targets never ran together", async () => {
    out = mkdtempSync(join(tmpdir(), 'attnfuzz-mutate-'));
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => written.push(String(s)) > 0);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    for (const [t, file] of [
      ['eager', 'kernels/eager/adapter.ts'],
      ['flash', 'kernels/flash/adapter.ts'],
    ] as const) {
      mkdirSync(join(out, t));
      const mutants = [
        { id: '1', mutatorName: 'StringLiteral', replacement: '""', location: loc, status: 'NoCoverage' },
      ];
      writeFileSync(join(out, t, 'mutation.json'), JSON.stringify({ files: { [file]: { mutants } } }));
    }
    expect(await mutationRun(options(out))).toBe(0);
    const text = written.join('');
    expect(text).toContain('`kernels/eager/adapter.ts`');
    expect(text).toContain('`kernels/flash/adapter.ts`');
    expect(text).toMatch(/\*\*all\*\* \| 2 \|/);
    expect(readFileSync(join(out, 'eager', 'mutation.json'), 'utf8')).toContain('NoCoverage');
  });

  it('names the report it lacks', async () => {
    out = mkdtempSync(join(tmpdir(), 'attnfuzz-mutate-'));
    mkdirSync(join(out, 'eager'));
    writeFileSync(join(out, 'eager', 'mutation.json'), JSON.stringify({ files: {} }));
    await expect(mutationRun(options(out))).rejects.toThrow(/eager\+flash\/mutation\.json: no report/);
  });
});
