import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_KERNELS } from '../runner/index.js';
import { GoldenUsageError, selectRunners } from './index.js';

const names = async (list?: string) => (await selectRunners(list)).map((r) => `${r.name}/${r.kind}`);

describe('selectRunners (--kernels)', () => {
  it('defaults to the float64 references and every built-in of the registry', async () => {
    const all = await names();
    expect(all.slice(0, 3)).toEqual(['reference/attention', 'reference/lora-linear', 'reference/decode']);
    for (const k of BUILTIN_KERNELS)
      expect(
        all.some((n) => n.startsWith(`${k}/`)),
        k,
      ).toBe(true);
  });
  it('picks by name across kinds', async () => {
    expect(await names(' reference ,')).toEqual(['reference/attention', 'reference/lora-linear', 'reference/decode']);
    expect(await names('flash,lora-merged')).toEqual(['flash/attention', 'flash/decode', 'lora-merged/lora-linear']);
  });
  it('takes kernel modules: an attention kernel, or a LoRA kernel marked by defineLoraKernel', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'attnfuzz-golden-kernels-'));
    const att = join(dir, 'att.mjs');
    writeFileSync(att, `export default { name: 'mine', forward: (q) => q };\n`);
    const lora = join(dir, 'lora.mjs');
    writeFileSync(lora, `export default { name: 'my-lora', kind: 'lora', forward: (x) => x };\n`);
    expect(await names(`${att},${lora}`)).toEqual([`${att}/attention`, `${lora}/lora-linear`]);
  });
  it('an unknown name, a missing module and an empty list are usage errors naming the flag', async () => {
    await expect(selectRunners('reference,fast')).rejects.toThrow(
      new GoldenUsageError(
        `golden: --kernels: unknown kernel 'fast'; expected some of reference, ${BUILTIN_KERNELS.join(', ')} ` +
          `or a module path`,
      ),
    );
    await expect(selectRunners('./no/such.ts')).rejects.toThrow(/^golden: --kernels \.\/no\/such\.ts: no such file/);
    await expect(selectRunners(',')).rejects.toThrow(/^golden: --kernels: empty list/);
  });
});
