/**
 * `attnfuzz replay <file | folder ...> [--backend B] [--json]`: re-runs saved failures and checks
 * each against its recorded expectation (see src/corpus/format.ts for the semantics).
 * Exit 0: every file meets its expectation; 1: some do not; 2: a file is unreadable/invalid or usage.
 * Training files (kind "training") re-run the training check; when the kernel fails (expected or
 * not) the tensor-by-tensor report follows the file's line.
 */
import type { Command } from 'commander';
import { parseBackend, useBackend } from '../../backend/index.js';
import { formatReplay, replayAll, trainingReplayReport, type ReplayOutcome } from '../../corpus/index.js';

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
        : o.kind === 'training'
          ? { file: o.file, status: o.status, kind: o.kind, expect: o.saved.expect, verdict: o.summary[0] ?? 'pass', reproduces: o.reproduces, failing: o.summary }
          : { file: o.file, status: o.status, expect: o.saved.expect, verdict: o.summary, reproduces: o.reproduces },
    );
    io.out(JSON.stringify(rows) + '\n');
  } else {
    for (const o of outcomes) {
      (o.status === 'invalid' ? io.err : io.out)(`${formatReplay(o)}\n`);
      if (showsReport(o)) io.out(trainingReplayReport(o).join('\n') + '\n');
    }
    const n = (s: string) => outcomes.filter((o) => o.status === s).length;
    io.out(`replay: ${outcomes.length} files: ${n('ok')} ok, ${n('failing')} failing, ${n('now-passes')} now passing (marked expect fail), ${n('invalid')} invalid\n`);
  }
  if (outcomes.some((o) => o.status === 'invalid')) return 2;
  return outcomes.every((o) => o.status === 'ok') ? 0 : 1;
}

/** A training file whose kernel fails (unexpectedly or as marked): the whole report, to read top down. */
function showsReport(o: ReplayOutcome): o is Extract<ReplayOutcome, { kind: 'training' }> {
  return o.status !== 'invalid' && o.kind === 'training' && !o.report.ok;
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
