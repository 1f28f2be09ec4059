/**
 * `--profile` reaches decode cases as it reaches attention cases: `deep` draws caches of up to 1024
 * keys a row and page sizes up to 64 (the default: 20 keys, pages up to 8), for `check --suite
 * decode` and for a campaign's decode targets alike.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SEED } from '../../fixtures/profile.js';
import { type DecodeCase, decodeCase } from '../case/index.js';
import { main } from './main.js';
import { suiteConstraintsOf } from './options.js';
import { profileConstraints } from './profile.js';

const sample = (profile: 'default' | 'deep'): DecodeCase[] =>
  fc.sample(decodeCase(suiteConstraintsOf('decode', { profile })), { seed: SEED, numRuns: 400 });
const longest = (cs: DecodeCase[]) => Math.max(...cs.flatMap((c) => c.cacheSeqlens));
const pages = (cs: DecodeCase[]) => cs.flatMap((c) => (c.cache.kind === 'paged' ? [c.cache.pageSize] : []));

describe('--profile for decode cases', () => {
  it('deep: caches up to 1024 keys a row and pages up to 64, beyond the default 20 and 8', () => {
    const deep = sample('deep');
    expect(longest(deep)).toBeGreaterThan(20);
    expect(longest(deep)).toBeLessThanOrEqual(1024);
    expect(Math.max(...pages(deep))).toBeGreaterThan(8);
    expect(Math.max(...pages(deep))).toBeLessThanOrEqual(64);
    const plain = sample('default');
    expect(longest(plain)).toBeLessThanOrEqual(20);
    expect(Math.max(...pages(plain))).toBeLessThanOrEqual(8);
  });

  it('a campaign target of the decode suite gets the same constraints as check', () => {
    expect(profileConstraints('deep', { kernel: 'flash', suite: 'decode' })).toEqual(
      suiteConstraintsOf('decode', { profile: 'deep' }),
    );
    expect(profileConstraints('deep', { kernel: 'lora', suite: 'lora' })).toBeUndefined();
  });

  it('check --suite decode --profile deep runs flash clean', async () => {
    let [out, err] = ['', ''];
    const code = await main(
      [
        'check',
        '--suite',
        'decode',
        '--kernel',
        'flash',
        '--profile',
        'deep',
        '--runs',
        '25',
        '--seed',
        String(SEED),
        '--corpus',
        mkdtempSync(join(tmpdir(), 'attnfuzz-profile-')),
      ],
      { out: (s) => void (out += s), err: (s) => void (err += s), errIsTTY: false },
    );
    expect(code, err + out).toBe(0);
    expect(out).toMatch(/^flash \(decode, forward only\) on \w+: no failure in 25 cases/);
  }, 120_000);
});
