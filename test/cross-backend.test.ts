/**
 * `attnfuzz check --backends cpu,wasm` finds a kernel that is right on cpu and wrong on wasm, which
 * single-backend fuzzing on cpu cannot see, shrinks it to a case read at a glance and names the
 * backend; a correct kernel runs clean on both; the search is deterministic; the saved file
 * replays cross-backend (whatever the active backend) to the same verdict; usage errors exit 2.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/index.js';
import { runCheck, type CheckFlags } from '../src/cli/commands/check.js';
import { replayFile } from '../src/corpus/index.js';
import { resolveKernel, searchCrossBackend, searchFailure } from '../src/runner/index.js';
import { SEED } from '../properties/support/profile.js';

const constraints = { maxBatch: 2, maxHeads: 4, maxSeq: 6, maxHeadDim: 4 };
const FIXTURE = 'test/fixtures/broken-kernels/backend-dependent.ts';

async function cli(flags: CheckFlags): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCheck(flags, { out: (s) => (out += s), err: (s) => (err += s), errIsTTY: false });
  return { code, out, err };
}

describe('check --backends cpu,wasm', () => {
  it('finds a kernel broken on wasm only, shrunk to B = 1 and one odd Sk, naming wasm', async () => {
    const kernel = await resolveKernel(FIXTURE);
    // On cpu alone the kernel is flash: nothing to find.
    await useBackend('cpu');
    expect(searchFailure({ kernel, seed: SEED, numRuns: 40, constraints }).status).toBe('clean');
    const r = await searchCrossBackend({ kernel, backends: ['cpu', 'wasm'], seed: SEED, numRuns: 300, shrinkTimeMs: 10_000, constraints });
    expect(r.status, `not found in ${r.cases} cases`).toBe('failed');
    if (r.status !== 'failed') return;
    const c = r.shrunk.case;
    expect(r.shrunk.verdict).toMatchObject({ status: 'backend-failure', backend: 'wasm' });
    expect(r.shrunk.runs.map((x) => [x.backend, x.check.verdict.status])).toEqual([['cpu', 'pass'], ['wasm', expect.not.stringMatching(/pass/)]]);
    expect(c.shapes.B).toBe(1);
    expect(c.shapes.Sk).toBe(3); // the smallest odd Sk > 1
    expect(c.shapes.Sq + c.shapes.D + c.shapes.Dv + c.shapes.Hq).toBeLessThanOrEqual(6);
  });

  it('the command prints the repro naming wasm, saves it with its backends, and it replays cross-backend', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'attnfuzz-cross-'));
    const { code, out } = await cli({ kernel: FIXTURE, backends: 'cpu,wasm', runs: '300', seed: String(SEED), corpus: dir });
    expect(code).toBe(1);
    expect(out).toMatch(/\[cpu vs wasm\]: FAILED on wasm/);
    expect(out).toMatch(/^verdict: wasm: /m);
    expect(out).toMatch(/^ {2}cpu vs wasm: \w+ DISAGREE max\|a-b\|=/m);
    const file = /^saved: (.+\.json)$/m.exec(out)![1]!;
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    expect(saved).toMatchObject({ version: 1, backends: ['cpu', 'wasm'], backend: 'cpu' });

    // Replayed from cpu, it still runs wasm (where alone it fails): the same verdict, line for line.
    await useBackend('cpu');
    const o = await replayFile(file);
    expect(o.status).toBe('failing');
    if (o.status === 'invalid' || o.kind !== 'attention') return;
    expect(o.cross?.runs.map((x) => x.backend)).toEqual(['cpu', 'wasm']);
    expect(o.reproduces).toBe(true);
    expect(o.summary).toBe(saved.verdict.summary);

    // Without `backends` the same file is a single-backend cpu case, which passes.
    const plain = join(dir, 'plain.json');
    writeFileSync(plain, JSON.stringify({ ...saved, backends: undefined }));
    expect((await replayFile(plain)).status).toBe('ok');
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...saved, backends: ['cpu'] }));
    const b = await replayFile(bad);
    expect(b.status === 'invalid' && b.message).toMatch(/bad\.json: backends: expected an array of at least two/);
  });

  it('a correct kernel (flash) runs clean on cpu and wasm', async () => {
    const r = await searchCrossBackend({ kernel: await resolveKernel('flash'), backends: ['cpu', 'wasm'], seed: SEED, numRuns: 30, constraints });
    expect(r.status).toBe('clean');
    expect(r.cases).toBe(30);
  });

  it('same seed, same sequence of cases', async () => {
    const kernel = await resolveKernel('flash');
    const seen = async (seed: number) => {
      const cases: string[] = [];
      await searchCrossBackend({ kernel, backends: ['cpu', 'wasm'], seed, numRuns: 10, constraints, onCase: (x) => cases.push(JSON.stringify(x.case)) });
      return cases;
    };
    const a = await seen(7);
    expect(a).toHaveLength(10);
    expect(await seen(7)).toEqual(a);
    expect(await seen(8)).not.toEqual(a);
  });
});

describe('check --backends usage errors (exit 2, one line)', () => {
  it.each([
    [{ backends: 'cpu,wasm', backend: 'cpu' }, /^check: --backends and --backend are exclusive/],
    [{ backends: 'cpu' }, /^check: --backends needs at least two different backends/],
    [{ backends: 'cpu,cpu' }, /^check: --backends needs at least two different backends/],
    [{ backends: 'cpu,gpu' }, /^check: --backends: unknown backend 'gpu'; expected one of cpu, wasm, tensorflow/],
    [{ backends: 'cpu,tensorflow' }, /^check: --backends tensorflow: backend 'tensorflow' needs .*npm install @tensorflow\/tfjs-node/],
  ])('%o', async (flags, message) => {
    const { code, out, err } = await cli({ kernel: 'flash', runs: '1', ...flags });
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toMatch(message);
    expect(err.trimEnd().split('\n')).toHaveLength(1);
  });
});
