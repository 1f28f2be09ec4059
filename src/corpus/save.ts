/**
 * Writing saved failures: atomically (a temp file in the same folder, then rename), so a crash or
 * a concurrent run never leaves a half-written file that replay would report as corrupt.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { tf } from '../backend/index.js';
import { failureHash, FAILURE_FORMAT, FAILURE_VERSION, type SavedFailure } from './format.js';

/** The default folder of saved failures, relative to the working directory. */
export const REGRESSIONS_DIR = 'corpus/regressions';

const require = createRequire(import.meta.url);

export function versions(): SavedFailure['versions'] {
  const pkg = require('../../package.json') as { version: string };
  return { attnfuzz: pkg.version, tfjs: tf.version_core };
}

/** Writes `content` to `file` atomically. */
export function writeAtomic(file: string, content: string): void {
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  writeFileSync(tmp, content);
  renameSync(tmp, file);
}

export interface SavedPaths {
  readonly hash: string;
  readonly json: string;
  /** Where the heatmap goes: same hash, .svg. */
  readonly svg: string;
}

export function pathsFor(dir: string, hash: string): SavedPaths {
  return { hash, json: join(dir, `${hash}.json`), svg: join(dir, `${hash}.svg`) };
}

/** Saves a failure as `<dir>/<hash>.json` (and the heatmap, if given, as `<hash>.svg`). */
export function saveFailure(
  failure: Omit<SavedFailure, 'format' | 'version' | 'versions'> & { versions?: SavedFailure['versions'] },
  dir: string = REGRESSIONS_DIR,
  svg?: string,
): SavedPaths {
  mkdirSync(dir, { recursive: true });
  const paths = pathsFor(dir, failureHash(failure.case, failure.kernel, failure.backends));
  const record: SavedFailure = { format: FAILURE_FORMAT, version: FAILURE_VERSION, ...failure, versions: failure.versions ?? versions() };
  // Fields in reading order: what, then why.
  writeAtomic(paths.json, JSON.stringify(record, null, 2) + '\n');
  if (svg !== undefined) writeAtomic(paths.svg, svg);
  return paths;
}
