/**
 * What a kernel is asked, and as what it is taken: the training suite asks the kernel's `supports`
 * about each attention call of the model (a declined call makes the case unsupported, not failed),
 * and a suite named on the command line decides the kind a module is validated as.
 */
import { describe, expect, it } from 'vitest';
import { cli } from '../fixtures/cli.js';
import { SEED } from '../fixtures/profile.js';
import { tf } from '../src/backend/index.js';
import { checkCase, resolveKernel } from '../src/runner/index.js';
import type { TrainingCase } from '../src/training/index.js';

/** A one-layer training case whose attention has dropout: every call of the model has p = 0.1. */
const withDropout: TrainingCase = {
  version: 1,
  kind: 'training',
  model: { vocab: 11, dModel: 8, layers: 1, heads: 2, kvHeads: 1, ffn: 12 },
  batch: { layout: 'unpadded', lengths: [4] },
  lora: { targets: ['q', 'v'], rank: 2, alpha: 4, rslora: false, dropout: 0, initB: 'random' },
  adamw: { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-4, weightDecay: 0.01 },
  steps: 1,
  seed: 5,
  attentionDropout: 0.1,
};

describe('the training suite asks supports', () => {
  it(
    'a correct kernel that declines dropout: the case with attention dropout is unsupported, with ' + 'its reason',
    async () => {
      const k = await resolveKernel('fixtures/broken-kernels/declines-dropout.ts', 'training');
      const before = tf.memory().numTensors;
      const v = (await checkCase(withDropout, k)).verdict;
      expect(v).toEqual({ status: 'unsupported', reason: 'dropout not supported' });
      // Declined before the gradient tape: no tensor kept for a backward that never runs.
      expect(tf.memory().numTensors).toBe(before);
      const none = (await checkCase({ ...withDropout, attentionDropout: undefined }, k)).verdict;
      expect(none.status).toBe('pass');
    },
  );

  it('can fail: a kernel that throws on dropout without declining it is a THREW with its message', async () => {
    const k = await resolveKernel('fixtures/broken-kernels/throws-on-dropout.ts', 'training');
    const v = (await checkCase(withDropout, k)).verdict;
    expect(v).toMatchObject({ status: 'threw', phase: 'forward', message: 'dropout not supported' });
  });

  it('check --suite training of the declining kernel runs clean, its dropout cases counted unsupported', async () => {
    const r = await cli(
      'check',
      '--suite',
      'training',
      '--kernel',
      'fixtures/broken-kernels/declines-dropout.ts',
      '--runs',
      '25',
      '--seed',
      String(SEED),
      '--json',
    );
    expect(r.code, r.out + r.err).toBe(0);
    const json = JSON.parse(r.out) as { status: string; cases: number; unsupported: number };
    expect(json.status).toBe('clean');
    expect(json.unsupported).toBeGreaterThan(0);
    expect(json.unsupported).toBeLessThan(json.cases);
  });
});

describe('the suite named decides the kind', () => {
  it('check --suite lora takes a plain-object LoRA kernel that has supports', async () => {
    const r = await cli(
      'check',
      '--suite',
      'lora',
      '--kernel',
      'fixtures/broken-kernels/plain-lora-with-supports.mjs',
      '--runs',
      '30',
      '--seed',
      String(SEED),
      '--json',
    );
    expect(r.code, r.out + r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ status: 'clean', cases: 30 });
  });
});
