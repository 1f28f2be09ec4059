/**
 * `attnfuzz replay` end to end through `main`: a folder with nothing to replay is not a pass, and
 * the committed upstream corpus still fails as recorded.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../../fixtures/cli.js';

const tmp = (name: string) => mkdtempSync(join(tmpdir(), `attnfuzz-check-${name}-`));

describe('attnfuzz replay', () => {
  it('a folder with nothing to replay exits 2 instead of passing', async () => {
    const r = await cli('replay', tmp('empty'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^replay: nothing to replay: no \.json files in /);
  });
  it(
    'a folder that only holds folders of saved cases names them (replay does not descend; golden files are ' +
      'not saved cases)',
    async () => {
      const r = await cli('replay', 'corpus');
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/did you mean corpus\/regressions corpus\/upstream\?\)\n$/);
    },
  );
  it('replays corpus/upstream: every known tfjs failure still fails as recorded', async () => {
    const r = await cli('replay', 'corpus/upstream');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n').at(-1)).toMatch(
      /^replay: \d+ files: (\d+) ok, 0 failing, 0 failing differently, 0 now passing/,
    );
  });
});
