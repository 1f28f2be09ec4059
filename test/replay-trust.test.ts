/**
 * Replaying a corpus someone else wrote (a CI artifact, another shard's folder) never runs a command
 * or loads a module from outside the project by itself: a saved case naming one is reported, naming
 * what it would run, until the user names that kernel (`replay --kernel`) or passes `--trust`.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';

const SAVED = JSON.parse(readFileSync('corpus/regressions/df9885ff51ed498a.json', 'utf8')) as Record<string, unknown>;

async function replay(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let [out, err] = ['', ''];
  const code = await main(['replay', ...argv], {
    out: (s) => void (out += s),
    err: (s) => void (err += s),
    errIsTTY: false,
  });
  return { code, out, err };
}

/** A saved case whose kernel is `kernel`, in a fresh folder outside the project. */
function hostile(kernel: object): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'attnfuzz-hostile-'));
  const file = join(dir, 'case.json');
  writeFileSync(file, JSON.stringify({ ...SAVED, kernel, expect: { kind: 'pass' } }));
  return { dir, file };
}

describe('replay of a saved case from elsewhere', () => {
  it("whose kernel is a command ('exec:touch <file>') runs nothing without the user's say-so", async () => {
    const marker = join(mkdtempSync(join(tmpdir(), 'attnfuzz-pwned-')), 'pwned');
    const { file } = hostile({ target: `exec:touch ${marker}` });
    const r = await replay(file);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`exec:touch ${marker}`);
    expect(existsSync(marker)).toBe(false);
  });

  it('whose kernel is a module outside the project is not loaded until the user names it', async () => {
    const { dir, file } = hostile({});
    const marker = join(dir, 'imported');
    const module = join(dir, 'pwn.mjs');
    // Loading the module is what would run code: it leaves a marker, then exports a kernel.
    writeFileSync(
      module,
      `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'x');\n` +
        "export default { name: 'pwn', forward: (q, k, v, opts, tf) => tf.zeros([q.shape[0], q.shape[1], " +
        'q.shape[2], v.shape[3]]) };\n',
    );
    writeFileSync(file, JSON.stringify({ ...SAVED, kernel: { module }, expect: { kind: 'pass' } }));

    const refused = await replay(file);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/not replayed: it would load the module .*pwn\.mjs, outside .*; name that kernel/);
    expect(refused.err).toContain('--trust');
    expect(existsSync(marker)).toBe(false);

    const named = await replay(file, '--kernel', module);
    expect(named.code).toBe(1); // it ran: a kernel that returns zeros fails the case
    expect(existsSync(marker)).toBe(true);
  });

  it('corpus list and show read the files and run nothing', async () => {
    const marker = join(mkdtempSync(join(tmpdir(), 'attnfuzz-pwned-')), 'pwned');
    const { dir, file } = hostile({ target: `exec:touch ${marker}` });
    let out = '';
    const io = { out: (s: string) => void (out += s), err: () => {}, errIsTTY: false };
    expect(await main(['corpus', 'list', dir], io)).toBe(0);
    expect(await main(['corpus', 'show', file], io)).toBe(0);
    expect(out).toContain(`exec:touch ${marker}`);
    expect(existsSync(marker)).toBe(false);
  });
});
