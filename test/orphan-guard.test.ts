/**
 * A campaign killed with SIGKILL (the OOM killer, `kill -9`, a scheduler ending a job) leaves no
 * worker process behind, even one stuck in a kernel's `while (true) {}`, which never sees its
 * parent's channel close (src/campaign/orphanGuard.ts). Worker threads cannot outlive their
 * process; worker processes (`--isolation process`, the tensorflow backend's default) could.
 * Linux: processes are found through /proc.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alive, processes } from './support/processes.js';

const ROOT = join(import.meta.dirname, '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(f: () => T | undefined, ms: number): Promise<T | undefined> {
  for (const t0 = Date.now(); Date.now() - t0 < ms; await sleep(100)) {
    const v = f();
    if (v !== undefined) return v;
  }
  return f();
}

describe.skipIf(process.platform !== 'linux')('a campaign killed with SIGKILL', () => {
  it(
    'can fail: without the guard, a child spinning in a loop outlives its killed parent (the control of the ' +
      'test below)',
    async () => {
      const parent = spawn(
        process.execPath,
        [
          '-e',
          "const c = require('node:child_process').spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: " +
            "'ignore' }); console.log(c.pid); setInterval(() => {}, 1000);",
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const child = Number(
        await new Promise<string>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(d.toString()))),
      );
      parent.kill('SIGKILL');
      await sleep(1500);
      try {
        expect(alive([child])).toHaveLength(1);
      } finally {
        spawnSync('kill', ['-9', String(child)]);
      }
    },
  );

  it('leaves none of its worker processes running, though both are stuck in while (true)', async () => {
    const campaign = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/fixtures/hung-campaign.ts', mkdtempSync(join(tmpdir(), 'attnfuzz-orphans-'))],
      { cwd: ROOT, stdio: 'ignore' },
    );
    const workersOf = () => processes().filter((p) => p.ppid === campaign.pid && p.cmd.includes('campaign/worker.ts'));
    // Stuck: two workers, each having burnt 5 s of CPU (start-up takes under 3 s; the rest is the loop).
    const stuck = await until(() => {
      const w = workersOf();
      return w.length === 2 && w.every((p) => p.cpu > 500) ? w.map((p) => p.pid) : undefined;
    }, 60_000);
    expect(stuck, 'the two workers never got stuck in the loop').toBeDefined();
    campaign.kill('SIGKILL');
    const left = await until(() => (alive(stuck!).length === 0 ? [] : undefined), 5000);
    const survivors = alive(stuck!);
    for (const p of survivors) spawnSync('kill', ['-9', String(p.pid)]);
    expect(
      left,
      `still running 5 s after the campaign was killed: ` +
        `${survivors.map((p) => `${p.pid} ${p.cmd.slice(0, 60)}`).join('; ')}`,
    ).toEqual([]);
  }, 90_000);
});
