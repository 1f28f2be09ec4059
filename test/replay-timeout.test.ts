/**
 * `attnfuzz replay` of a saved case on which a kernel hangs (a campaign saves such cases as
 * TIMEOUT): the replay ends after --timeout, names the file, and the outcomes of the files before
 * it are already printed; it never hangs.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
// a known dv mismatch of a detached-gradient fixture
const SAVED = join(ROOT, 'corpus', 'regressions', 'df9885ff51ed498a.json');

describe.skipIf(process.platform !== 'linux')('replay of a case that hangs', () => {
  it('ends after --timeout naming the file; files replayed before it were printed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'attnfuzz-replay-timeout-'));
    const saved = JSON.parse(readFileSync(SAVED, 'utf8')) as Record<string, unknown>;
    const [first, hung, after] = ['a-ok.json', 'b-hangs.json', 'c-never.json'].map((f) => join(dir, f));
    writeFileSync(first!, JSON.stringify(saved));
    writeFileSync(
      hung!,
      JSON.stringify({
        ...saved,
        kernel: { module: 'fixtures/broken-kernels/infinite-loop.ts' },
        expect: { kind: 'pass' },
      }),
    );
    writeFileSync(after!, JSON.stringify(saved));
    const p = spawn(process.execPath, [join(ROOT, 'bin', 'attnfuzz.mjs'), 'replay', dir, '--timeout', '8'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let [out, err] = ['', ''];
    p.stdout.on('data', (d: Buffer) => void (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => void (err += d.toString()));
    const code = await new Promise<number | null>((resolve) =>
      p.on('exit', (c, signal) => resolve(signal === 'SIGKILL' ? 128 + 9 : c)),
    );
    expect(code).toBe(128 + 9);
    expect(out).toContain(first); // its outcome was printed before the hang
    expect(out).not.toContain(after);
    const lines = err.split('\n');
    const at = lines.findIndex((l) => l.startsWith('replay: case 2 did not finish in 8 s'));
    expect(lines[at], err).toBe(
      'replay: case 2 did not finish in 8 s: the kernel hangs (or is slower than --timeout allows); the files ' +
        'after it were not replayed; the case:',
    );
    expect(lines[at + 1]).toBe(hung);
  });
});
