/**
 * `npx attnfuzz fuzz` as a process tree (bin/attnfuzz.mjs -> the CLI, its worker threads): the
 * CLI runs with one GC thread per isolate, the seed is printed before anything runs, and a SIGTERM
 * to the command a user or CI started stops the campaign gracefully (the report written, ended by
 * the signal) and leaves no process behind. Linux: descendants are found through /proc.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SEED } from '../fixtures/profile.js';
import { alive, descendants, processes } from './support/processes.js';

const ROOT = join(import.meta.dirname, '..');
const tmp = (name: string) => mkdtempSync(join(tmpdir(), `attnfuzz-signal-${name}-`));

describe.skipIf(process.platform !== 'linux')('attnfuzz fuzz and signals', () => {
  it(
    'prints the seed first; a SIGTERM stops it gracefully, writes the report and leaves no ' + 'process behind',
    async () => {
      const [corpus, report] = [tmp('corpus'), tmp('report')];
      const p = spawn(
        process.execPath,
        [
          join(ROOT, 'bin', 'attnfuzz.mjs'),
          'fuzz',
          '--kernels',
          'lora',
          '--suites',
          'lora',
          '--time',
          '120',
          '--workers',
          '2',
          '--seed',
          String(SEED),
          '--corpus',
          corpus,
          '--report',
          report,
        ],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let err = '';
      let out = '';
      p.stdout.on('data', (d: Buffer) => void (out += d.toString()));
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
        p.on('exit', (code, signal) => resolve({ code, signal })),
      );
      // Running: the seed line is out and the workers have had time to start.
      await new Promise<void>((resolve) =>
        p.stderr.on('data', (d: Buffer) => {
          err += d.toString();
          if (err.includes('\n')) setTimeout(resolve, 2500);
        }),
      );
      expect(err.split('\n')[0]).toBe(`fuzz: seed ${SEED}, shard 0/1, 2 workers on cpu, profile default, budget 120 s`);
      const tree = descendants(p.pid!);
      expect(tree.length).toBeGreaterThan(0);
      // bin/attnfuzz.mjs's NODE_FLAGS: V8's GC helper threads would take CPU from the workers.
      const cli = processes().filter((x) => tree.includes(x.pid) && x.cmd.includes('src/cli/main.ts'));
      expect(cli.map((x) => x.cmd.includes(' --single-threaded-gc '))).toEqual([true]);
      p.kill('SIGTERM');
      // 0: cases ran, none failed; 2: the signal came before the first case (a loaded machine).
      const { code, signal } = await exited;
      expect(signal).toBe(null);
      expect(code === 0 || (code === 2 && err.includes('fuzz: nothing was checked: no case ran')), err).toBe(true);
      expect(err).toMatch(/fuzz: SIGTERM: stopping/);
      expect(out).toMatch(/ended by signal: 0 failed/);
      expect(JSON.parse(readFileSync(join(report, 'report.json'), 'utf8'))).toMatchObject({
        ended: 'signal',
        seed: SEED,
      });
      // esbuild's service (tsx's transformer) ends when its parent's pipe closes: give it a moment.
      const left = () => alive(tree).map((p) => `${p.pid} ${p.cmd.slice(0, 80)}`);
      for (let n = 0; n < 30 && left().length > 0; n++) await new Promise((r) => setTimeout(r, 100));
      expect(left()).toEqual([]);
    },
  );

  it(
    'check: a kernel with an infinite loop in forward ends check after --timeout, which prints the seed, the ' +
      'case and the search again with every flag that shapes it; no process is left',
    async () => {
      const shaping = ['--profile', 'deep', '--junk', 'finite', '--forward-only'];
      const p = spawn(
        process.execPath,
        [
          join(ROOT, 'bin', 'attnfuzz.mjs'),
          'check',
          '--kernel',
          'fixtures/broken-kernels/infinite-loop.ts',
          '--runs',
          '5',
          '--timeout',
          '2',
          '--seed',
          String(SEED),
          ...shaping,
          '--corpus',
          tmp('check'),
        ],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let err = '';
      p.stderr.on('data', (d: Buffer) => void (err += d.toString()));
      const tree: number[] = [];
      const watch = setInterval(() => tree.push(...descendants(p.pid!).filter((x) => !tree.includes(x))), 200);
      const { code } = await new Promise<{ code: number | null }>((resolve) =>
        p.on('exit', (c) => resolve({ code: c })),
      );
      clearInterval(watch);
      expect(code).toBe(128 + 9);
      const lines = err.split('\n');
      expect(lines[0]).toMatch(
        new RegExp(
          `^check: fixtures/broken-kernels/infinite-loop\\.ts \\(attention suite, forward only\\) on ` +
            `cpu, seed ${SEED}, budget 5 cases$`,
        ),
      );
      expect(lines[1]).toBe(
        `check: case 1 did not finish in 2 s: the kernel hangs (or is slower than --timeout allows); the same ` +
          `search: attnfuzz check --kernel fixtures/broken-kernels/infinite-loop.ts --seed ${SEED} ` +
          `--runs 5 --profile deep --junk finite --forward-only; the case:`,
      );
      expect(JSON.parse(lines[2]!)).toMatchObject({ kind: 'attention' });
      for (let n = 0; n < 30 && tree.some((pid) => existsSync(`/proc/${pid}`)); n++)
        await new Promise((r) => setTimeout(r, 100));
      expect(tree.filter((pid) => existsSync(`/proc/${pid}`))).toEqual([]);
    },
  );
});
