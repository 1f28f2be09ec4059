/**
 * `attnfuzz replay <file | folder ...> [--backend B] [--json]`: re-runs saved failures and checks
 * each against its recorded expectation (see src/corpus/format.ts for the semantics).
 * Exit 0: every file meets its expectation; 1: some do not; 2: a file is unreadable/invalid or usage.
 */
import type { Command } from 'commander';
import { parseBackend, useBackend } from '../../backend/index.js';
import { formatReplay, replayAll } from '../../corpus/index.js';
import { summarizeVerdict } from '../../oracle/index.js';

export interface ReplayFlags {
  readonly backend?: string;
  readonly json?: boolean;
}

export async function runReplay(paths: readonly string[], flags: ReplayFlags, io: { out(s: string): void; err(s: string): void }): Promise<number> {
  try {
    await useBackend(parseBackend(flags.backend ?? (process.env.ATTNFUZZ_BACKEND || undefined), '--backend'));
  } catch (e) {
    io.err(`replay: ${(e as Error).message.split('\n')[0]}\n`);
    return 2;
  }
  const outcomes = await replayAll(paths);
  if (flags.json) {
    const rows = outcomes.map((o) =>
      o.status === 'invalid'
        ? { file: o.file, status: o.status, message: o.message }
        : { file: o.file, status: o.status, expect: o.saved.expect, verdict: summarizeVerdict(o.verdict), reproduces: o.reproduces },
    );
    io.out(JSON.stringify(rows) + '\n');
  } else {
    for (const o of outcomes) (o.status === 'invalid' ? io.err : io.out)(`${formatReplay(o)}\n`);
    const n = (s: string) => outcomes.filter((o) => o.status === s).length;
    io.out(`replay: ${outcomes.length} files: ${n('ok')} ok, ${n('failing')} failing, ${n('now-passes')} now passing (marked expect fail), ${n('invalid')} invalid\n`);
  }
  if (outcomes.some((o) => o.status === 'invalid')) return 2;
  return outcomes.every((o) => o.status === 'ok') ? 0 : 1;
}

export function register(program: Command, setCode: (c: number) => void): void {
  program
    .command('replay')
    .description('re-run saved failures (corpus/regressions) and check each against its expectation')
    .argument('<paths...>', 'saved failure files, or folders of them')
    .option('--backend <name>', 'tfjs backend: cpu, wasm or tensorflow (default: ATTNFUZZ_BACKEND, else cpu)')
    .option('--json', 'print an array of {file, status, expect, verdict, reproduces}')
    .action(async (paths: string[], opts: ReplayFlags) => {
      setCode(await runReplay(paths, opts, { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }));
    });
}
