#!/usr/bin/env node
/**
 * `attnfuzz`: a thin wrapper over exported functions. Each command lives in commands/<name>.ts and
 * exports `register(program)`; exit codes: 0 ok, 1 a check failed, 2 usage or input error.
 */
import { Command, CommanderError } from 'commander';

export async function main(argv: string[]): Promise<number> {
  const program = new Command('attnfuzz')
    .description('Differential fuzzing of attention and LoRA kernels')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  let code = 0;
  const setCode = (c: number) => {
    code = Math.max(code, c);
  };
  const commands = [
    // one line per command module
    await import('./commands/golden.js'),
    await import('./commands/check.js'),
    await import('./commands/replay.js'),
  ] as Array<{ register(p: Command, setCode: (c: number) => void): void }>;
  for (const c of commands) c.register(program, setCode);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    process.stderr.write(`attnfuzz: ${(e as Error).message}\n`);
    return 2;
  }
  return code;
}

const isEntry = process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop()!);
if (isEntry) {
  main(process.argv.slice(2)).then((c) => process.exit(c));
}
