import { describe, expect, it } from 'vitest';
import { goldenRunners, GoldenUsageError, selectRunners } from './index.js';

describe('selectRunners (--kernels)', () => {
  const available = goldenRunners({}); // only the float64 references: no registry kernels
  it('defaults to every available implementation, and picks by name across kinds', () => {
    expect(selectRunners(undefined, available).map((r) => `${r.name}/${r.kind}`)).toEqual(['reference/attention', 'reference/lora-linear']);
    expect(selectRunners(' reference ,', available)).toHaveLength(2);
  });
  it('an unknown name, a known name this build lacks, and an empty list are usage errors naming the flag', () => {
    expect(() => selectRunners('reference,fast', available)).toThrow(new GoldenUsageError("golden: --kernels: unknown kernel 'fast'; expected some of reference, eager, sdpa, flash, lora, lora-merged"));
    expect(() => selectRunners('flash', available)).toThrow(/^golden: --kernels: kernel 'flash' is not in this build's registry \(kernels\/index\.ts\); available: reference$/);
    expect(() => selectRunners(',', available)).toThrow(/^golden: --kernels: empty list/);
  });
  it('registry exports are picked up by name, and non-kernels are ignored', () => {
    const fake = { forward: () => { throw new Error('unused'); } };
    const names = goldenRunners({ eagerKernel: fake, loraMerged: fake, sdpaKernel: 42 }).map((r) => `${r.name}/${r.kind}`);
    expect(names).toEqual(['reference/attention', 'reference/lora-linear', 'eager/attention', 'lora-merged/lora-linear']);
  });
});
