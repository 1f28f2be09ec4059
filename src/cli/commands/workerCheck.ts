/**
 * `attnfuzz worker-check '<command line>' [--runs N] [--seed S] [--timeout S] [--python P] [--json]`:
 * checks a worker against the protocol (docs/PROTOCOL.md) and the contract, for anyone writing one.
 * The command is started as `exec:` would start it (no shell); `py:file.py` and `torch:<target>` are
 * accepted too.
 *
 *   hello       it starts and says a valid hello (what it declares, printed)
 *   contract    one case per restriction and option, each declared precision and score feature,
 *               judged by the oracle (a decline is reported with its reason, not as a failure)
 *   random      N default cases of each suite it runs (check's search, shrunk on a failure)
 *   protocol    an unknown suite answered without dying, ids kept, round-trip time, exit at end of input
 *
 * Exit 0: every probe passed (declines allowed); 1: one failed; 2: it did not start, or a usage error.
 */
import { type Command, Option } from 'commander';
import { splitCommandLine, type WorkerKernel } from '../../execute/index.js';
import { summarizeVerdict } from '../../oracle/index.js';
import { type KernelUnderTest, resolveKernel, type SuiteName, search, targetOf } from '../../runner/index.js';
import { durationSeconds } from '../duration.js';
import type { Io } from '../io.js';
import { jsonOption, pythonOption, runsOption, seedOption } from '../options.js';
import { contractProbes, type Probe, protocolProbes } from './workerProbes.js';

export interface WorkerCheckFlags {
  /** Seconds a run may take before the worker is killed and the run fails (default 10). */
  readonly timeout?: number;
  readonly runs?: number;
  readonly seed?: number;
  readonly json?: boolean;
  readonly python?: string;
}

const MARK = { pass: 'ok      ', declined: 'declined', fail: 'FAIL    ' } as const;

/** The kernel spec for a command line: a target as given, else `exec:` of the command. */
function specOf(command: string): string {
  return targetOf(command) !== null ? command : `exec:${command}`;
}

async function randomProbes(kernel: KernelUnderTest, suites: readonly string[], o: WorkerCheckFlags): Promise<Probe[]> {
  const out: Probe[] = [];
  for (const suite of suites.filter((s): s is SuiteName => s === 'attention' || s === 'decode' || s === 'lora')) {
    const r = await search({ suite, kernel, seed: o.seed ?? 1, numRuns: o.runs ?? 200, shrinkTimeMs: 30_000 });
    const name = `${r.cases} random ${suite} cases (seed ${r.seed})`;
    out.push(
      r.status === 'clean'
        ? { name, outcome: 'pass', detail: `${r.unsupported} declined` }
        : { name, outcome: 'fail', detail: `${summarizeVerdict(r.shrunk.verdict)}: ${JSON.stringify(r.shrunk.case)}` },
    );
  }
  return out;
}

export async function runWorkerCheck(command: string, flags: WorkerCheckFlags, io: Io): Promise<number> {
  const spec = specOf(command);
  let kernel: KernelUnderTest;
  try {
    const suite = 'attention' as const;
    const o = { timeoutMs: (flags.timeout ?? 10) * 1000, ...(flags.python ? { python: flags.python } : {}) };
    kernel = await resolveKernel(spec, suite, process.cwd(), '--kernel', o);
  } catch (e) {
    io.err(`worker-check: ${(e as Error).message.split('\n')[0]}\n`);
    return 2;
  }
  // The worker kernel behind the roles (any of them is the same object): its hello says what it declared.
  const host = (kernel.attention?.() ?? kernel.decode ?? kernel.lora) as Partial<WorkerKernel> | undefined;
  const hello = host?.hello;
  const probes: Probe[] = [];
  try {
    if (hello) {
      io.err(
        `worker-check: ${spec}\n  hello: ${hello.name}, protocol ${hello.protocol}, ` +
          `suites ${hello.suites.join(' ')}, precisions ${(hello.precisions ?? ['all']).join(' ')}, ` +
          `${hello.backward === false ? 'forward only' : 'backward'}${hello.device ? `, ${hello.device}` : ''}\n`,
      );
      if (hello.suites.includes('attention')) probes.push(...(await contractProbes(kernel, hello)));
      probes.push(...(await randomProbes(kernel, hello.suites, flags)));
    }
    if (spec.startsWith('exec:')) probes.push(...(await protocolProbes(splitCommandLine(command), {})));
  } finally {
    await kernel.close?.();
  }
  const failed = probes.filter((p) => p.outcome === 'fail').length;
  if (flags.json) io.out(`${JSON.stringify({ worker: spec, hello, probes, failed })}\n`);
  else {
    for (const p of probes) io.out(`  ${MARK[p.outcome]} ${p.name}${p.detail ? `: ${p.detail}` : ''}\n`);
    io.out(
      `worker-check: ${failed === 0 ? 'PASS' : 'FAIL'}: ${probes.length} probes, ${failed} failed, ` +
        `${probes.filter((p) => p.outcome === 'declined').length} declined\n`,
    );
  }
  return failed === 0 ? 0 : 1;
}

export function register(program: Command, io: Io, setCode: (c: number) => void): void {
  program
    .command('worker-check')
    .description(
      'check a worker against the protocol (docs/PROTOCOL.md) and the contract: its hello, one case per ' +
        'restriction and option, random cases, and the protocol rules',
    )
    .argument('<command>', "the worker's command line (quoted), or py:file.py, torch:<target>")
    .addOption(runsOption().default(200))
    .addOption(
      new Option('--timeout <seconds>', 'per run: a worker still silent after this is killed and the run fails')
        .argParser(durationSeconds)
        .default(10),
    )
    .addOption(seedOption())
    .addOption(pythonOption())
    .addOption(jsonOption())
    .action(async (command: string, opts: WorkerCheckFlags) => setCode(await runWorkerCheck(command, opts, io)));
}
