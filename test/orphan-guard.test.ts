/**
 * A campaign killed with SIGKILL (the OOM killer, `kill -9`, a scheduler ending a job) leaves no
 * worker process behind, even one stuck in a kernel's `while (true) {}`, which never sees its
 * parent's channel close (src/campaign/orphanGuard.ts). Worker threads cannot outlive their
 * process; worker processes (`--isolation process`, the tensorflow backend's default) could.
 * Linux: processes are found through /proc.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
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
    // Each worker writes its pid here as it enters the loop (fixtures/broken-kernels/infinite-loop.ts).
    const marks = mkdtempSync(join(tmpdir(), 'attnfuzz-orphans-loop-'));
    const campaign = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/fixtures/hung-campaign.ts', mkdtempSync(join(tmpdir(), 'attnfuzz-orphans-'))],
      { cwd: ROOT, stdio: 'ignore', env: { ...process.env, ATTNFUZZ_TEST_LOOP_DIR: marks } },
    );
    const seen = new Set<number>();
    const workersOf = () => {
      const w = processes().filter((p) => p.ppid === campaign.pid && p.cmd.includes('campaign/worker.ts'));
      for (const p of w) seen.add(p.pid);
      return w;
    };
    try {
      // Stuck: two workers, each in the loop. Start-up is the only wait, however loaded the machine.
      const entered = await until(() => {
        const w = workersOf();
        const looping = new Set(readdirSync(marks).map(Number));
        return w.length === 2 && w.every((p) => looping.has(p.pid)) ? w : undefined;
      }, 150_000);
      expect(entered, 'the two workers never got stuck in the loop').toBeDefined();
      const stuck = entered!.map((p) => p.pid);
      // And spinning there: each burns CPU after entering (a tenth of a second is enough to see it).
      const spinning = await until(() => {
        const now = alive(stuck);
        return now.length === 2 && now.every((p) => p.cpu >= entered!.find((e) => e.pid === p.pid)!.cpu + 10)
          ? true
          : undefined;
      }, 60_000);
      expect(spinning, 'the two workers entered the loop but burn no CPU').toBe(true);
      campaign.kill('SIGKILL');
      const left = await until(() => (alive(stuck).length === 0 ? [] : undefined), 5000);
      const survivors = alive(stuck);
      for (const p of survivors) spawnSync('kill', ['-9', String(p.pid)]);
      expect(
        left,
        `still running 5 s after the campaign was killed: ` +
          `${survivors.map((p) => `${p.pid} ${p.cmd.slice(0, 60)}`).join('; ')}`,
      ).toEqual([]);
    } finally {
      // Whatever failed above, nothing this test started keeps running.
      campaign.kill('SIGKILL');
      for (const p of alive([...seen]).filter((x) => x.cmd.includes('campaign/worker.ts')))
        spawnSync('kill', ['-9', String(p.pid)]);
    }
  }, 240_000);
});
