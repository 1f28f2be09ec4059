/**
 * The mutants of a file as Stryker makes them (its instrumenter, default mutators), and the sampled
 * mode's fixed random sample: per file, the first k of one shuffle seeded by the sample seed and
 * the file's path, so the same seed picks the same mutants of an unchanged file whatever else is
 * sampled with it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Instrumenter } from '@stryker-mutator/instrumenter';
import { shuffled } from './grid.js';
import { type MutantIdentity, mutantKey } from './store.js';

const quiet = {
  isTraceEnabled: () => false,
  isDebugEnabled: () => false,
  isInfoEnabled: () => false,
  isWarnEnabled: () => true,
  isErrorEnabled: () => true,
  isFatalEnabled: () => true,
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: (m: string) => process.stderr.write(`${m}\n`),
  error: (m: string) => process.stderr.write(`${m}\n`),
  fatal: (m: string) => process.stderr.write(`${m}\n`),
};

/** Every mutant Stryker makes of `file` (a path from `root`), in its order. */
export async function mutantsOf(root: string, file: string): Promise<MutantIdentity[]> {
  const instrumenter = new Instrumenter(quiet);
  const content = readFileSync(join(root, file), 'utf8');
  const r = await instrumenter.instrument([{ name: file, mutate: true, content }], {
    plugins: null,
    excludedMutations: [],
    ignorers: [],
  });
  return r.mutants.map((m) => ({
    file,
    location: m.location,
    mutatorName: m.mutatorName,
    replacement: m.replacement,
  }));
}

/** The keys of k mutants of each file (all of a file with k or fewer), fixed for a seed. */
export async function sampleKeys(root: string, files: readonly string[], k: number, seed: number): Promise<string[]> {
  const out: string[] = [];
  for (const f of files) {
    const keys = (await mutantsOf(root, f)).map(mutantKey);
    out.push(...shuffled(keys, `${seed}:${f}`).slice(0, k));
  }
  return out;
}
