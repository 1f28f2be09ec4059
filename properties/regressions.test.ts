/**
 * Every saved failure in corpus/regressions replays to its recorded expectation (see
 * src/corpus/format.ts): a failure `attnfuzz check` saved for a kernel must now pass (it is a
 * regression test), and a file marked expect "fail" must still fail, saying so loudly when it
 * starts passing. A corrupt or unknown-version file fails this test by name and is never deleted.
 * Training failures (kind "training", saved by `check --suite training`) replay through the
 * training check, a fraction of a second each.
 */
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { corpusFiles, formatReplay, replayFile, REGRESSIONS_DIR } from '../src/corpus/index.js';

const files = existsSync(REGRESSIONS_DIR) ? corpusFiles(REGRESSIONS_DIR) : [];

describe('saved failures in corpus/regressions', () => {
  it('every .json file of the folder is replayed, and only those (heatmaps sit beside them)', () => {
    if (files.length === 0) console.log(`attnfuzz: ${REGRESSIONS_DIR} holds no saved failures`);
    const json = existsSync(REGRESSIONS_DIR) ? readdirSync(REGRESSIONS_DIR).filter((f) => f.endsWith('.json')) : [];
    expect(files.map((f) => f.split('/').pop()).sort()).toEqual(json.sort());
  });
  it.each(files)('%s replays to its expectation', async (file) => {
    const o = await replayFile(file);
    if (o.status === 'now-passes') console.warn(`attnfuzz: ${formatReplay(o)}`);
    expect(o.status, formatReplay(o)).toBe('ok');
  });
});
