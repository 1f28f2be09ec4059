/**
 * Every saved failure in corpus/regressions replays to its recorded expectation (see
 * src/corpus/format.ts): a failure `attnfuzz check` saved for a kernel must now pass (it is a
 * regression test), and a file marked expect "fail" must still fail, saying so loudly when it
 * starts passing. A corrupt or unknown-version file fails this test by name and is never deleted.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { corpusFiles, formatReplay, replayFile, REGRESSIONS_DIR } from '../src/corpus/index.js';

const files = existsSync(REGRESSIONS_DIR) ? corpusFiles(REGRESSIONS_DIR) : [];

describe('saved failures in corpus/regressions', () => {
  it('the folder is replayed (an empty corpus is reported, not hidden)', () => {
    if (files.length === 0) console.log(`attnfuzz: ${REGRESSIONS_DIR} holds no saved failures`);
    expect(Array.isArray(files)).toBe(true);
  });
  it.each(files)('%s replays to its expectation', async (file) => {
    const o = await replayFile(file);
    if (o.status === 'now-passes') console.warn(`attnfuzz: ${formatReplay(o)}`);
    expect(o.status, formatReplay(o)).toBe('ok');
  });
});
