/**
 * `attnfuzz check` on a kernel that keeps a tensor alive per call: the numbers are right, so the
 * search is clean, but check says how many tensors were left and how to get the smallest leaking
 * case; a kernel that frees what it makes leaves none.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SEED } from '../fixtures/profile.js';
import { main } from '../src/cli/main.js';

async function check(
  kernel: string,
): Promise<{ code: number; json: { status: string; cases: number; leakedTensors: number }; err: string }> {
  let [out, err] = ['', ''];
  const corpus = mkdtempSync(join(tmpdir(), 'attnfuzz-leaks-'));
  const code = await main(
    ['check', '--kernel', kernel, '--runs', '12', '--seed', String(SEED), '--corpus', corpus, '--json'],
    { out: (s) => void (out += s), err: (s) => void (err += s), errIsTTY: false },
  );
  return { code, json: JSON.parse(out), err };
}

describe('check counts tensors a kernel leaves alive', () => {
  it(
    'a kernel that keeps one tensor per call: clean, with the count (at least one per case) and a warning ' +
      'naming fuzz',
    async () => {
      const { code, json, err } = await check('fixtures/broken-kernels/leaks-a-tensor.ts');
      expect(code).toBe(0);
      expect(json.status).toBe('clean');
      expect(json.leakedTensors).toBeGreaterThanOrEqual(
        json.cases - (json as unknown as { unsupported: number }).unsupported,
      );
      expect(err).toMatch(
        new RegExp(
          String.raw`^check: warning: \d+ tensors were left alive over 12 cases: .*` +
            String.raw`\x60attnfuzz fuzz --kernels fixtures\/broken-kernels\/leaks-a-tensor\.ts ` +
            String.raw`--suites attention\x60 shrinks it`,
          'm',
        ),
      );
    },
  );
  it('flash leaves none', async () => {
    const { json, err } = await check('flash');
    expect(json.leakedTensors).toBe(0);
    expect(err).not.toMatch(/warning/);
  });
});
