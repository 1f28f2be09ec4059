/**
 * No kernel leaks tensors: the live tensor count (tf.memory().numTensors) is the same before and
 * after a forward and backward through the runner, which disposes everything it made, so any
 * difference is the kernel's (a tensor made outside tf.tidy, a tf.keep never released, a
 * tf.customGrad save that escapes).
 */
import { afterAll, describe, expect, it } from 'vitest';
import leaksATensor, { kept } from '../fixtures/broken-kernels/leaks-a-tensor.js';
import { tf } from '../src/backend/index.js';
import { type AttentionCase, attentionCase } from '../src/case/index.js';
import { failsOn, holds, type Relation } from './support/engine.js';
import { BUILTINS, type KernelArg, kernelFor, liveTensors, materialise, run } from './support/run.js';

const CASES = attentionCase({ maxBatch: 2, maxHeads: 4, maxSeq: 8, maxHeadDim: 8, layouts: ['BHSD'] });

function leaksNothing(kernel: KernelArg): Relation<AttentionCase> {
  return (c) => {
    const k = kernelFor(kernel, c);
    const m = materialise(c);
    const before = liveTensors();
    run(k, m);
    const after = liveTensors();
    return after === before
      ? null
      : `${k.name}: ${after - before} tensor(s) still alive after one forward + backward (${before} before, ` +
          `${after} after)`;
  };
}

describe('no kernel leaks tensors', () => {
  for (const kernel of BUILTINS)
    it(`${kernel}: a forward and backward leaves no tensor alive, for any options and precision`, async () =>
      holds(CASES, leaksNothing(kernel), 10));
});

describe('leaks, on a broken kernel', () => {
  afterAll(() => tf.dispose(kept.splice(0)));
  it('can fail: a kernel that keeps a tensor alive on every call: exactly one per forward', async () =>
    expect((await failsOn(CASES, leaksNothing(leaksATensor), 3)).message).toMatch(
      /^leaks-a-tensor: 1 tensor\(s\) still alive after one forward \+ backward/,
    ));
});
