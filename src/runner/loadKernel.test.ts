import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AttentionCase, parseCase } from '../case/index.js';
import { checkCase } from './check.js';
import { builtinKernel } from './kernelUnderTest.js';
import { loadKernelModule, resolveKernel, validateKernel } from './loadKernel.js';

const c: AttentionCase = parseCase({
  version: 1,
  kind: 'attention',
  shapes: { B: 1, Hq: 2, Hkv: 1, Sq: 3, Sk: 3, D: 2, Dv: 2 },
  scale: null,
  causal: 'none',
  window: null,
  keyLengths: null,
  paddingSide: 'right',
  mask: null,
  dropout: null,
  precision: 'float32',
  layout: 'BSHD',
  values: 'normal',
  junk: 'none',
  blocks: { Br: 2, Bc: 2 },
  seed: 3,
});

// A plain-object kernel in plain JS, using only the tf it is handed (GQA by repeat_interleave).
const JS_KERNEL = `export default {
  name: 'plain-js',
  forward(q, k, v, opts, tf) {
    const G = q.shape[1] / k.shape[1];
    const head = (x, h) => tf.slice(x, [0, h, 0, 0], [x.shape[0], 1, x.shape[2], x.shape[3]]);
    const rep = (x) => tf.concat(Array.from({ length: k.shape[1] }, (_, h) => Array(G).fill(head(x, h))).flat(), 1);
    return tf.matMul(tf.softmax(tf.mul(tf.matMul(q, rep(k), false, true), opts.scale)), rep(v));
  },
  supports: (opts) =>
    opts.causal === 'none' && !opts.mask && !opts.keyLengths && !opts.window && !opts.dropout ? true : 'no masking',
};
`;

describe('kernels under test', () => {
  const dir = mkdtempSync(join(tmpdir(), 'attnfuzz-kernels-'));
  it('user modules load from any folder as .mjs, .js and .ts, and run', async () => {
    for (const ext of ['mjs', 'js', 'ts']) {
      const file = join(dir, `k.${ext}`);
      writeFileSync(file, JS_KERNEL);
      if (ext === 'js') writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
      const k = await resolveKernel(file);
      expect(k.ref).toEqual({ module: file });
      expect((await checkCase(c, k)).verdict.status).toBe('pass');
    }
  });
  it('a bad export is one line naming the file', async () => {
    const file = join(dir, 'bad.mjs');
    writeFileSync(file, 'export default { name: "x" };');
    await expect(loadKernelModule(file)).rejects.toThrow(
      new RegExp(`^--kernel ${file}: default export \\.forward must be a function`),
    );
    await expect(loadKernelModule(join(dir, 'missing.ts'))).rejects.toThrow(/no such file/);
    expect(() => validateKernel(undefined, 'm.ts')).toThrow(
      /^m\.ts: default export must be an AttentionKernel .* got undefined$/,
    );
  });
  it('checks the declarations of an attention kernel once, naming the field and what it got', async () => {
    const k = { name: 'k', forward: () => null };
    expect(
      validateKernel(
        { ...k, tiles: { Br: 64, Bc: 64 }, guarantees: { unseenKeysUnread: true }, backward: false },
        'm.ts',
      ),
    ).toMatchObject({ backward: false });
    expect(() => validateKernel({ ...k, tiles: { Br: 64 } }, 'm.ts')).toThrow(
      /^m\.ts: default export \.tiles must be \{ Br, Bc \} of two integers >= 1, got an object with keys \[Br\]$/,
    );
    expect(() => validateKernel({ ...k, guarantees: { neverNaN: true } }, 'm.ts')).toThrow(
      /\.guarantees must be an object of known guarantees \(unseenKeysUnread\); unknown: neverNaN/,
    );
    expect(() => validateKernel({ ...k, backward: 'no' }, 'm.ts')).toThrow(
      /\.backward must be a boolean \(false: the kernel has no backward\), got string$/,
    );
    expect(() => validateKernel({ ...k, forwardWithKeep: 1 }, 'm.ts')).toThrow(
      /\.forwardWithKeep must be a function \(q, k, v, opts, tf\) => \{ out, keep \}, got number 1$/,
    );
  });
  it("built-in names resolve to the registry, flash with the case's block sizes", async () => {
    expect((await resolveKernel('flash')).attention!(c).name).toBe('flash(Br=2,Bc=2)');
    expect((await resolveKernel('eager')).attention!(c).name).toBe('eager');
    expect((await resolveKernel('lora', 'lora')).lora!.name).toBe('lora');
    expect(builtinKernel('sdpa').training).toMatchObject({ name: 'sdpa' });
  });
  it('a kernel of the wrong kind for its suite is refused by name', async () => {
    await expect(resolveKernel('flash', 'lora')).rejects.toThrow(
      /^--kernel flash: the built-in 'flash' does not run in the lora suite; built-ins that do: lora, lora-merged$/,
    );
    await expect(resolveKernel('lora', 'training')).rejects.toThrow(
      /does not run in the training suite; built-ins that do: eager, sdpa, flash$/,
    );
    const file = join(dir, 'my-lora.mjs');
    writeFileSync(file, `export default { name: 'mine', kind: 'lora', forward: (x) => x };`);
    await expect(resolveKernel(file, 'attention')).rejects.toThrow(
      /is a LoRA kernel \(defineLoraKernel\); the attention suite needs an attention kernel/,
    );
    expect((await resolveKernel(file, 'lora')).lora!.name).toBe('mine');
  });
  it(
    '--suite decode takes a decode kernel or an attention kernel with a decode field, and refuses the others ' +
      'by file and field',
    async () => {
      expect((await resolveKernel('flash', 'decode')).decode!.name).toBe('flash-decode');
      await expect(resolveKernel('eager', 'decode')).rejects.toThrow(
        /^--kernel eager: the built-in 'eager' does not run in the decode suite; built-ins that do: flash$/,
      );
      const write = (name: string, text: string) => {
        const f = join(dir, name);
        writeFileSync(f, text);
        return f;
      };
      const decodeOnly = write('dec.mjs', `export default { name: 'dec', decode: (q) => q };`);
      expect(await resolveKernel(decodeOnly, 'decode')).toMatchObject({ label: decodeOnly, decode: { name: 'dec' } });
      await expect(resolveKernel(decodeOnly, 'attention')).rejects.toThrow(
        new RegExp(
          `^--kernel ${decodeOnly}: is a decode kernel \\(defineDecodeKernel: \\.decode, no \\.forward\\); the ` +
            `attention suite needs an attention kernel \\(or run it with --suite decode\\)$`,
        ),
      );
      const both = write('both.mjs', `export default { name: 'both', forward: (q) => q, decode: (q) => q };`);
      const k = await resolveKernel(both, 'decode');
      expect(k.decode).toBeDefined();
      expect(k.attention).toBeDefined();
      const attentionOnly = write('att.mjs', `export default { name: 'att', forward: (q) => q };`);
      await expect(resolveKernel(attentionOnly, 'decode')).rejects.toThrow(
        new RegExp(
          `^--kernel ${attentionOnly}: default export \\.decode must be a function \\(q, cache, cacheSeqlens, ` +
            `opts, tf\\) => out, got an attention kernel without one`,
        ),
      );
      const lora = write('lora2.mjs', `export default { name: 'l', kind: 'lora', forward: (x) => x };`);
      await expect(resolveKernel(lora, 'decode')).rejects.toThrow(
        /is a LoRA kernel \(defineLoraKernel\); the decode suite needs a decode kernel/,
      );
      expect(() => validateKernel({ name: 'x', decode: 3 }, 'm.ts', 'decode')).toThrow(
        /^m\.ts: default export \.decode must be a function \(q, cache, cacheSeqlens, opts, tf\) => out, got number$/,
      );
    },
  );
});
