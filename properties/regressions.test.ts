/**
 * Every saved case replays to what its file expects (src/corpus `replayFile`, the one replay):
 *
 *   corpus/regressions  failures `attnfuzz check` saved: expect pass (a regression test), or a
 *                       known failure kept on purpose that must still fail with the same verdict
 *                       kind and tensor
 *   corpus/upstream     tfjs bugs our kernels work around (the op is the subject, no kernel), each
 *                       on the backends its file names; when tfjs fixes one, its replay says so and
 *                       the workaround, the file and the exclusion in tfjs-ops.test.ts can go
 *
 * A corrupt or unknown-version file fails by name and is never deleted.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { corpusFiles, formatReplay, REGRESSIONS_DIR, replayDetails, replayFile } from '../src/corpus/index.js';

const UPSTREAM_DIR = 'corpus/upstream';
const filesOf = (dir: string) => (existsSync(dir) ? corpusFiles(dir) : []);

async function expectReplaysOk(file: string, hint = ''): Promise<void> {
  const o = await replayFile(file);
  expect(
    o.status,
    [formatReplay(o), ...replayDetails(o), ...(o.status === 'now-passes' ? [hint] : [])].filter(Boolean).join('\n'),
  ).toBe('ok');
}

describe('saved cases in corpus/regressions', () => {
  const files = filesOf(REGRESSIONS_DIR);
  if (files.length === 0) it.skip(`${REGRESSIONS_DIR} holds no saved case`, () => {});
  it.each(files)('%s replays to its expectation', (file) => expectReplaysOk(file));
});

describe('known upstream failures in corpus/upstream still fail as recorded', () => {
  const files = filesOf(UPSTREAM_DIR);
  it('the folder holds the known tfjs failures (an empty folder would pass vacuously)', () =>
    expect(files.length).toBeGreaterThan(0));
  it.each(files)('%s replays to its expectation', (file) =>
    expectReplaysOk(
      file,
      'tfjs looks fixed: remove our workaround, this file and the exclusion in properties/tfjs-ops.test.ts',
    ),
  );
});
