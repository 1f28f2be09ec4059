/**
 * The worked example, as its README runs it: `attnfuzz check --suite training` flags the #721
 * dispatch, shrinks it to one short unpadded sequence in a one-layer model and saves it (into a
 * temporary corpus: the committed one is never written), and the training check stays quiet on a
 * correct kernel and on padded batches (which is why the real bug hid).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { REGRESSIONS_DIR, readSavedCase } from '../../src/corpus/index.js';
import { summarizeVerdict } from '../../src/oracle/index.js';
import { checkCase, fixedKernel, sdpaKernel, search } from '../../src/runner/index.js';
import type { TrainingCase } from '../../src/training/index.js';
import forgotIsCausal from './kernel.js';

const SMALL: TrainingCase = {
  version: 1,
  kind: 'training',
  model: { vocab: 11, dModel: 8, layers: 1, heads: 2, kvHeads: 1, ffn: 8 },
  batch: { layout: 'unpadded', lengths: [4] },
  lora: { targets: ['q', 'v'], rank: 2, alpha: 4, rslora: false, dropout: 0, initB: 'random' },
  adamw: { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-4, weightDecay: 0 },
  steps: 2,
  seed: 3,
};

const corpus = mkdtempSync(join(tmpdir(), 'attnfuzz-example-'));
afterAll(() => rmSync(corpus, { recursive: true, force: true }));

/** `attnfuzz <argv>` in process: exit code and what it printed. */
async function attnfuzz(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let [out, err] = ['', ''];
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s), errIsTTY: false });
  return { code, out, err };
}

describe('examples/forgot-is-causal', () => {
  it('attnfuzz check --suite training flags it, shrinks it to a small unpadded case and saves it', async () => {
    const committed = readdirSync(REGRESSIONS_DIR).sort();
    const r = await attnfuzz(
      'check',
      '--suite',
      'training',
      '--kernel',
      'examples/forgot-is-causal/kernel.ts',
      '--seed',
      '1',
      '--runs',
      '50',
      '--corpus',
      corpus,
    );
    expect(r.code, r.err).toBe(1);
    // The first failing tensor is the logits, at query 0: the position that now sees token 1.
    expect(r.out).toMatch(/^ {2}logits MISMATCH maxAbs=\S+ allowed=\S+ \(no baseline, floor \S+\) @ \[0,0,\d+\] /m);
    const json = /^saved: (\S+\.json)$/m.exec(r.out)?.[1];
    expect(json, r.out).toBeDefined();
    expect(r.out).toContain(`replay: npx attnfuzz replay ${json}`);
    const saved = readSavedCase(json!);
    expect(saved).toMatchObject({
      format: 'attnfuzz-case',
      version: 2,
      kind: 'training',
      kernel: { module: 'examples/forgot-is-causal/kernel.ts' },
      expect: { kind: 'pass' },
    });
    const c = saved.case as TrainingCase;
    expect(c.batch).toEqual({ layout: 'unpadded', lengths: [2] }); // batch 1, the shortest sequence that has a future
    expect(c.model.layers).toBe(1);
    expect(readdirSync(REGRESSIONS_DIR).sort()).toEqual(committed);
  });

  it(
    'is fine when the batch really has padding (or packed documents): the model then passes an explicit ' +
      'causal mask',
    async () => {
      const kernel = fixedKernel(forgotIsCausal);
      for (const [layout, lengths] of [
        ['right-padded', [5, 2]],
        ['left-padded', [2, 5, 3]],
        ['packed', [3, 4]],
      ] as const) {
        expect((await checkCase({ ...SMALL, batch: { layout, lengths } }, kernel)).verdict.status, layout).toBe('pass');
      }
      // ...but a "padded" batch whose rows are all full has an all-ones mask, which is dropped: the bug shows.
      expect(
        (await checkCase({ ...SMALL, batch: { layout: 'right-padded', lengths: [4, 4] } }, kernel)).verdict,
      ).toMatchObject({
        status: 'mismatch',
        failing: { tensor: 'logits' },
      });
    },
  );

  it(
    'a correct kernel behind the same dispatch (the built-in sdpa contract kernel) stays quiet on the ' + 'same search',
    async () => {
      const r = await search({ suite: 'training', kernel: fixedKernel(sdpaKernel), seed: 1, numRuns: 10 });
      expect(r.status, r.status === 'failed' ? summarizeVerdict(r.shrunk.verdict) : '').toBe('clean');
      expect(r.cases).toBe(10);
    },
  );
});
