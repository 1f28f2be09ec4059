/**
 * The package as a user installs it: `npm pack` (prepack builds dist/), then the tarball installed
 * into a fresh folder with `npm ci --offline` against a lockfile made from ours (consumerLock.mjs),
 * so no network is needed beyond the npm cache that `npm ci` of this repo filled. Checks the bin,
 * `import ... from 'attnfuzz'` in .mjs and .ts (tsc and tsx), and a .ts user kernel through the CLI.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

it('packs, installs offline into a fresh folder, and works there', () => {
  const work = mkdtempSync(join(tmpdir(), 'attnfuzz-pack-'));
  try {
    const r = spawnSync('bash', [join(ROOT, 'scripts', 'pack-check.sh'), work], { encoding: 'utf8', timeout: 300_000 });
    const out = `${r.stdout}\n${r.stderr}`;
    expect(r.status, out).toBe(0);
    expect(out).toContain('Usage: attnfuzz');
    expect(out).toContain('mjs ok: mjs');
    expect(out).toContain('tsc ok');
    expect(out).toMatch(/^bad-types\.ts rejected, as it should be: bad-types\.ts\(\d+,\d+\): error TS/m);
    expect(out).toContain('ts ok: ts backend wasm');
    expect(out).toMatch(/saved versions: \{"attnfuzz":"\d+\.\d+\.\d+"/);
    expect(out).toContain('tfjs-core copies: 1');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}, 300_000);
