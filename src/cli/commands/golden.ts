/** `attnfuzz golden <files or folders>`: checks implementations against the PyTorch golden files. */
import type { Command } from 'commander';
import { runGoldenCommand } from '../../golden/index.js';

export function register(program: Command, setCode: (c: number) => void): void {
  program
    .command('golden')
    .description('check kernels against golden files computed by PyTorch (float64 autograd)')
    .argument('<paths...>', 'golden files, or folders searched recursively for *.json')
    .option('--kernels <names>', 'comma-separated: reference, eager, sdpa, flash, lora, lora-merged (default: all available)')
    .option('--backend <name>', 'tfjs backend: cpu, wasm or tensorflow (default: ATTNFUZZ_BACKEND, else cpu)')
    .option('--json', 'print an array of {file, kernel, tensor, maxAbs, maxRel, pass}')
    .action(async (paths: string[], opts: { kernels?: string; backend?: string; json?: boolean }) => {
      const io = { out: (s: string) => process.stdout.write(s), err: (s: string) => process.stderr.write(s) };
      setCode(await runGoldenCommand(paths, opts, io));
    });
}
