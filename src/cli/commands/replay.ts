/**
 * `attnfuzz replay <file | folder ...> [--backend B] [--timeout S] [--json] [--forward-only]`: re-runs
 * saved cases (any kind) and checks each against its expectation (src/corpus/savedCase.ts). Exit 0:
 * every file meets its expectation; 1: some do not; 2: a file is unreadable or invalid, a flag is
 * wrong, or there was nothing to replay. A case that runs past --timeout (a campaign saves the cases
 * on which a kernel hung) ends the replay with the file named (watchdog.ts; killed, exit 137) rather
 * than hanging it. A case saved by `check --forward-only` replays forward only by itself (its kernel
 * ref says so); --forward-only replays every attention case so (a file saved by another tool, or a
 * kernel that lost its backward).
 *
 * A corpus may come from elsewhere (a CI artifact, another shard's folder): a saved case whose kernel
 * would run a command (`exec:...`, `py:...`) or load a module outside this folder is not run unless
 * the user names that kernel (`--kernel`) or passes `--trust`; it is reported, naming what it would run.
 */
import { type Command, Option } from 'commander';
import { type AnyBackend, isPageBackend, useBackend } from '../../backend/index.js';
import { foldersWithCases, formatReplay, type ReplayOutcome, replayAll, replayDetails } from '../../corpus/index.js';
import type { AdapterChoice } from '../../execute/index.js';
import { durationSeconds } from '../duration.js';
import type { Io } from '../io.js';
import {
  adapterOption,
  backendOf,
  backendOption,
  browserOption,
  forwardOnlyOption,
  jsonOption,
  pageOptionsOf,
} from '../options.js';
import { startWatchdog } from '../watchdog.js';

export interface ReplayFlags {
  readonly backend?: AnyBackend;
  /** Page backends: which adapter (default: the kind the case was saved on) and which Chromium. */
  readonly adapter?: AdapterChoice;
  readonly browser?: string;
  readonly json?: boolean;
  /** Seconds one saved case may take; absent: no limit. */
  readonly timeout?: number;
  readonly forwardOnly?: boolean;
  /** Kernels the user names: saved cases naming one may run it (a command, a module outside the project). */
  readonly kernel?: string[];
  /** Run whatever the saved cases name. */
  readonly trust?: boolean;
}

export async function runReplay(paths: readonly string[], flags: ReplayFlags, io: Io): Promise<number> {
  let backend: AnyBackend;
  try {
    backend = backendOf(flags.backend);
    if (!isPageBackend(backend)) await useBackend(backend);
  } catch (e) {
    io.err(`replay: --backend: ${(e as Error).message.split('\n')[0]}\n`);
    return 2;
  }
  const watchdog = flags.timeout
    ? startWatchdog(flags.timeout * 1000, 'replay', 'the files after it were not replayed')
    : null;
  const print = (o: ReplayOutcome) => {
    (o.status === 'invalid' ? io.err : io.out)(`${formatReplay(o)}\n`);
    const details = replayDetails(o);
    if (details.length > 0) io.out(details.join('\n') + '\n');
  };
  const outcomes = await replayAll(paths, process.cwd(), {
    forwardOnly: flags.forwardOnly === true,
    ...(isPageBackend(backend) ? { pageBackend: backend } : {}),
    pages: pageOptionsOf(flags),
    allow: flags.kernel ?? [],
    trust: flags.trust === true,
    ...(watchdog ? { onFile: (file: string) => watchdog.beat(file) } : {}),
    ...(flags.json ? {} : { onOutcome: print }),
  });
  watchdog?.stop();
  if (outcomes.length === 0) {
    const below = paths.flatMap(foldersWithCases);
    io.err(
      `replay: nothing to replay: no .json files in ${paths.join(', ')}` +
        `${below.length > 0 ? ` (replay does not descend into folders; did you mean ${below.join(' ')}?)` : ''}\n`,
    );
    return 2;
  }
  const n = (s: string) => outcomes.filter((o) => o.status === s).length;
  if (flags.json) {
    const rows = outcomes.map((o) =>
      o.status === 'invalid'
        ? { file: o.file, status: o.status, message: o.message }
        : {
            file: o.file,
            status: o.status,
            kind: o.saved.kind,
            kernel: o.check.kernel,
            expect: o.saved.expect,
            verdict: o.summary,
          },
    );
    io.out(JSON.stringify(rows) + '\n');
  } else {
    io.out(
      `replay: ${outcomes.length} files: ${n('ok')} ok, ${n('failing')} failing, ${n('fails-differently')} ` +
        `failing differently, ${n('now-passes')} now passing (kept as known failures), ${n('invalid')} invalid\n`,
    );
  }
  if (n('invalid') > 0) return 2;
  return outcomes.every((o) => o.status === 'ok') ? 0 : 1;
}

export function register(program: Command, io: Io, setCode: (c: number) => void): void {
  program
    .command('replay')
    .description('re-run saved cases (corpus/regressions, corpus/upstream) and check each against its expectation')
    .argument('<paths...>', 'saved case files, or folders of them')
    .addOption(backendOption())
    .addOption(adapterOption())
    .addOption(browserOption())
    .addOption(
      new Option('--timeout <seconds>', 'per saved case: one still running after this ends replay, naming its file')
        .argParser(durationSeconds)
        .default(60),
    )
    .addOption(jsonOption())
    .addOption(forwardOnlyOption())
    .addOption(
      new Option(
        '--kernel <spec...>',
        "kernels you vouch for: a saved case naming one may run it (a command such as 'exec:...', a module " +
          'outside this folder); without it such a case is reported and not run',
      ),
    )
    .addOption(new Option('--trust', 'run whatever the saved cases name (only for a corpus you wrote)'))
    .action(async (paths: string[], opts: ReplayFlags) => setCode(await runReplay(paths, opts, io)));
}
