/**
 * Batch rows are independent: giving row b' new q, k, v, dOut, key length and mask row changes
 * nothing, bit for bit, in any other row's out, dq, dk, dv (measured: bit-identical in every
 * built-in kernel).
 */
import { describe, expect, it } from 'vitest';
import { batchMaxLength } from '../fixtures/broken-kernels/metamorphic/contract.js';
import { failsOn, formatFailure, holds } from './support/engine.js';
import { batchCases, batchIndependence } from './support/metamorphic-attention.js';
import { BUILTINS } from './support/run.js';

const cases = batchCases();

describe('batch row independence', () => {
  it.each(BUILTINS)("%s: changing batch row b' changes nothing in any other row", async (kernel) => {
    await holds(cases, batchIndependence(kernel, 'exact'), 15);
  });

  it("can fail: a kernel that masks every row with the batch's longest key length", async () => {
    const f = await failsOn(cases, batchIndependence(batchMaxLength, 'exact'), 30);
    expect(f.message).toMatch(/^eager-batch-max-length row \d after changing row \d: (out|dq|dk|dv): /m);
    expect(f.counterexample.case.keyLengths).not.toBeNull();
    // The repro names this file and test, so the replay line can be pasted as is.
    expect(formatFailure(f)).toMatch(
      /replay: ATTNFUZZ_SEED=-?\d+ npx vitest run properties\/metamorphic-batch\.test\.ts -t "can fail: a kernel/,
    );
  });
});
