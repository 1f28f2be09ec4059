#!/usr/bin/env node
/**
 * `attnfuzz`: a thin wrapper over exported functions. Each command lives in commands/<name>.ts and
 * exports `register(program, io, setCode)`; flags are commander options with their rules
 * (options.ts). Exit codes: 0 ok, 1 a check failed, 2 usage or input error.
 */
import { Command, CommanderError } from 'commander';
import { packageVersion } from '../corpus/index.js';
import * as bench from './commands/bench.js';
import * as check from './commands/check.js';
import * as corpus from './commands/corpus.js';
import * as exportCommand from './commands/export.js';
import * as fuzz from './commands/fuzz.js';
import * as golden from './commands/golden.js';
import * as replay from './commands/replay.js';
import * as workerCheck from './commands/workerCheck.js';
import { type Io, processIo } from './io.js';

/** The commander program of every command; actions report their exit code through `setCode`. */
export function cliProgram(io: Io, setCode: (c: number) => void): Command {
  const program = new Command('attnfuzz')
    .description(
      'Differential fuzzing of attention and LoRA kernels: finds where two implementations disagree and shrinks it',
    )
    .version(packageVersion(), '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError('(add --help for usage)');
  for (const command of [check, fuzz, replay, golden, corpus, exportCommand, bench, workerCheck])
    command.register(program, io, setCode);
  for (const c of program.commands)
    c.exitOverride().configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  return program;
}

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  let code = 0;
  const program = cliProgram(io, (c) => {
    code = Math.max(code, c);
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    io.err(`attnfuzz: ${(e as Error).message.split('\n')[0]}\n`);
    return 2;
  }
  return code;
}

/**
 * Exits with `code` once stdout and stderr have taken everything written: writes to a pipe are
 * asynchronous in Node, and a bare process.exit cuts a long report short.
 */
export function exitWhenFlushed(code: number): void {
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

const isEntry = process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop()!);
if (isEntry) {
  void main(process.argv.slice(2)).then(exitWhenFlushed);
}
