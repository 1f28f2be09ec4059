/**
 * `attnfuzz worker-check '<command>'`, the conformance check anyone can run against their own
 * worker: the plain-Node example passes every probe; the same worker with the seed bug fails the
 * causal probes (and the random cases), naming them; a command that is not there exits 2.
 */
import { describe, expect, it } from 'vitest';
import { cli } from '../fixtures/cli.js';

const node = JSON.stringify(process.execPath);

describe('attnfuzz worker-check', () => {
  it('passes the correct plain-Node worker: hello, contract probes, random cases, protocol rules', async () => {
    const r = await cli('worker-check', `${node} examples/workers/correct.mjs`, '--runs', '40');
    expect(r.err).toContain('hello: node-attention, protocol 1, suites attention');
    expect(r.out).toMatch(/ok {7}causal top-left, Sq = Sk, no mask \(adapters#721\)/);
    expect(r.out).toMatch(/ok {7}a run of an unknown suite is answered/);
    expect(r.out).toMatch(/ok {7}exits at end of input/);
    expect(r.out).toMatch(/worker-check: PASS: \d+ probes, 0 failed/);
    expect(r.code).toBe(0);
  }, 60_000);

  it('fails the seed bug on the causal probes, naming each, exit 1', async () => {
    const r = await cli('worker-check', `${node} examples/workers/forgot-is-causal.mjs`, '--runs', '40');
    expect(r.out).toMatch(/FAIL {5}causal top-left, Sq = Sk, no mask \(adapters#721\): out MISMATCH/);
    expect(r.out).toMatch(/ok {7}bool mask \[1, 1, Sq, Sk\]/); // with a mask the flag is kept
    expect(r.out).toMatch(/worker-check: FAIL/);
    expect(r.code).toBe(1);
  }, 60_000);

  it('a command that is not there is one line and exit 2', async () => {
    const r = await cli('worker-check', '/no/such/worker --flag');
    expect(r.err.trim()).toBe(
      'worker-check: --kernel exec:/no/such/worker --flag: cannot start worker /no/such/worker: ENOENT',
    );
    expect(r.code).toBe(2);
  });
});
