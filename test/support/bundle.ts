/**
 * A TypeScript entry bundled once into one .mjs (esbuild), for tests that start it as a process
 * many times: plain Node starts it in about 0.4 s where tsx takes 1.2 s (the kill test starts 50).
 * The bundle goes to node_modules/.cache so its packages (tfjs, seedrandom) resolve as usual.
 */

import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { build } from 'esbuild';

export async function bundle(entry: string): Promise<string> {
  const dir = join(import.meta.dirname, '..', '..', 'node_modules', '.cache', 'attnfuzz-tests');
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, `${basename(entry, '.ts')}-${process.pid}.mjs`);
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    packages: 'external',
    logLevel: 'error',
  });
  return outfile;
}
