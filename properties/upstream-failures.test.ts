/**
 * Known upstream failures: tfjs bugs our kernels work around, kept as saved cases in
 * corpus/upstream. Each replay asserts the bug is still there; when tfjs fixes it, the replay
 * fails and says so, so the workaround and the exclusion in the op properties can go.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Tensor } from '@tensorflow/tfjs-core';
import { tf, useBackend, type BackendName } from '../src/backend/index.js';

interface UpstreamCase {
  format: 'attnfuzz-upstream';
  version: 1;
  name: string;
  issue: string;
  reason: string;
  op: 'matMul' | 'gather';
  /** 'throws': tfjs raises `expectedError`; 'wrong-value': the forward result differs from `expected`. */
  check: 'throws' | 'wrong-value';
  backends: BackendName[];
  inputs: Record<string, { shape: number[]; data: number[] }>;
  attrs: Record<string, unknown>;
  expectedError?: string;
  expected?: { shape: number[]; data: number[] };
}

const DIR = join(import.meta.dirname, '..', 'corpus', 'upstream');

function load(file: string): UpstreamCase {
  const c = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as UpstreamCase;
  if (c.format !== 'attnfuzz-upstream' || c.version !== 1) throw new Error(`corpus/upstream/${file}: format: expected attnfuzz-upstream version 1`);
  return c;
}

/**
 * Replays the case: for 'throws', runs the op under autodiff and returns the error message (null
 * if it succeeded); for 'wrong-value', returns a description of the wrong output (null if right).
 */
function replay(c: UpstreamCase): string | null {
  const t = (n: string) => tf.tensor(c.inputs[n]!.data, c.inputs[n]!.shape);
  if (c.check === 'wrong-value') {
    const { transposeA, transposeB } = c.attrs as { transposeA: boolean; transposeB: boolean };
    const got = tf.tidy(() => Array.from(tf.matMul(t('a'), t('b'), transposeA, transposeB).dataSync()));
    const want = c.expected!.data;
    const bad = got.findIndex((v, n) => Math.abs(v - want[n]!) > 1e-6 * Math.max(1, Math.abs(want[n]!)));
    return bad < 0 ? null : `element ${bad}: got ${got[bad]}, expected ${want[bad]}`;
  }
  try {
    tf.tidy(() => {
      if (c.op === 'matMul') {
        const { transposeA, transposeB } = c.attrs as { transposeA: boolean; transposeB: boolean };
        return tf.grads((a: Tensor, b: Tensor) => tf.sum(tf.matMul(a, b, transposeA, transposeB)))([t('a'), t('b')]);
      }
      const { indices, axis } = c.attrs as { indices: number[]; axis: number };
      return tf.grad((x: Tensor) => tf.sum(tf.gather(x, tf.tensor1d(indices, 'int32'), axis)))(t('x'));
    });
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();

describe('known upstream failures still fail (corpus/upstream)', () => {
  it('has saved cases', () => expect(files.length).toBeGreaterThan(0));
  for (const file of files) {
    const c = load(file);
    for (const backend of c.backends) {
      it(`${c.issue} on ${backend}: ${c.name}`, async () => {
        await useBackend(backend);
        const error = replay(c);
        if (error === null) {
          expect.fail(`corpus/upstream/${file}: now PASSES on ${backend}: ${c.issue} looks fixed; remove the workaround, this file and the exclusion in properties/tfjs-ops.test.ts`);
        }
        if (c.check === 'throws') expect(error).toContain(c.expectedError);
        await useBackend('cpu');
      });
    }
  }
});
