/**
 * `attnfuzz corpus list | show | merge | minimize` through `main`: the table a user reads, a known
 * failure that starts passing is reported (list --replay, exit 1), merge needs --into, a folder
 * that is not there exits 2 and says so.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from '../../../fixtures/cli.js';
import { parseLoraCase } from '../../case/index.js';
import { CASE_FORMAT, type SavedCase, saveCase } from '../../corpus/index.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'attnfuzz-corpus-cli-'));
const c = parseLoraCase(
  {
    version: 1,
    kind: 'lora',
    rank: 2,
    alpha: 1,
    rslora: false,
    dropout: null,
    N: 1,
    in: 2,
    out: 2,
    precision: 'float32',
    seed: 5,
  },
  'test',
);
const signature = {
  kernel: 'lora',
  suite: 'lora' as const,
  kind: 'mismatch' as const,
  tensor: 'dA',
  pass: 'backward' as const,
  features: { 'rank>1': 'yes' },
};
/** The built-in LoRA kernel is right: a case marked as a known failure of it "now passes". */
const known: SavedCase = {
  format: CASE_FORMAT,
  version: 2,
  kind: 'lora',
  case: c,
  kernel: { builtin: 'lora' },
  expect: { kind: 'mismatch', tensor: 'dA' },
  reason: 'a tfjs bug',
  found: { verdict: 'dA MISMATCH maxAbs=1', at: '2026-02-03T04:05:06Z' },
  signature,
};

describe('attnfuzz corpus', () => {
  it(
    'list shows signature, kernel, first seen, hits, size and mark; --replay reports a known failure that ' +
      'now passes (exit 1)',
    async () => {
      const dir = tmp();
      const p = saveCase(known, dir);
      const r = await cli('corpus', 'list', dir);
      expect(r.code).toBe(0);
      const [head, row, total] = r.out.trim().split('\n');
      expect(head).toMatch(/^signature\s+kernel\s+first seen\s+hits\s+size\s+mark\s+file$/);
      expect(row).toMatch(
        new RegExp(
          `^lora mismatch dA backward \\[rank>1\\]\\s+lora\\s+2026-02-03 04:05:06\\s+0\\s+\\d+\\s+mismatch in ` +
            `dA\\s+${p.json}$`,
        ),
      );
      expect(total).toBe('1 saved case, 1 signature');
      const replayed = await cli('corpus', 'list', dir, '--replay');
      expect(replayed.code).toBe(1);
      expect(replayed.err).toMatch(/^NOW PASSES .*: lora: lora passes a case kept as a known failure/m);
    },
  );

  it('show prints the case with how to replay it', async () => {
    const dir = tmp();
    const p = saveCase(known, dir);
    const r = await cli('corpus', 'show', p.json);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`signature:  lora lora mismatch dA backward [rank>1]`);
    expect(r.out).toContain(`replay:     npx attnfuzz replay ${p.json}`);
  });

  it(
    'merge needs --into; a folder that is not there exits 2 and is named; minimize reports what ' + 'it removed',
    async () => {
      expect((await cli('corpus', 'merge', tmp())).err).toMatch(/required option '--into <dir>' not specified/);
      expect(await cli('corpus', 'list', '/no/such/folder')).toMatchObject({
        code: 2,
        err: 'corpus list: /no/such/folder: no such folder\n',
      });
      const [a, into] = [tmp(), tmp()];
      saveCase(known, a);
      expect(await cli('corpus', 'merge', a, '--into', into)).toMatchObject({
        code: 0,
        out: expect.stringMatching(/corpus merge: 1 written, 0 removed, 0 marks moved\n$/),
      });
      expect(await cli('corpus', 'minimize', into)).toMatchObject({
        code: 0,
        out: 'corpus minimize: 0 written, 0 removed, 0 marks moved\n',
      });
    },
  );
});
