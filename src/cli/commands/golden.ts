/** `attnfuzz golden <files or folders>`: checks implementations against the PyTorch golden files. */
import type { Command } from 'commander';
import { runGoldenCommand } from '../../golden/index.js';
import type { Io } from '../io.js';
import { adapterOption, backendOption, browserOption, jsonOption, type PageFlags, pageOptionsOf } from '../options.js';

export function register(program: Command, io: Io, setCode: (c: number) => void): void {
  program
    .command('golden')
    .description(
      'check kernels against golden files computed by PyTorch in float64 (attention and LoRA with autograd, ' +
        'KV-cache decode forward)',
    )
    .argument('<paths...>', 'golden files, or folders searched recursively for *.json')
    .option(
      '--kernels <list>',
      'comma-separated: reference, eager, sdpa, flash, lora, lora-merged, or kernel module paths (default: ' +
        'the reference and every built-in; flash runs decode files through flashDecodeKernel)',
    )
    .addOption(backendOption())
    .addOption(adapterOption())
    .addOption(browserOption())
    .addOption(jsonOption())
    .action(async (paths: string[], opts: { kernels?: string; backend?: string; json?: boolean } & PageFlags) =>
      setCode(await runGoldenCommand(paths, { ...opts, pages: pageOptionsOf(opts) }, io)),
    );
}
