/**
 * `attnfuzz export --torch FILE [--out SCRIPT]`: a saved attention case as a standalone Python
 * script (src/report torchScript.ts) that rebuilds its exact tensors, runs `kernel_under_test`
 * (PyTorch SDPA unless you swap it) forward and backward, and prints attnfuzz's verdict lines.
 * Exit 0: written; 2: the file cannot be read or the case cannot be exported (a flag error too).
 */
import { writeFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { readSavedCase, signatureOfSaved, signatureText } from '../../corpus/index.js';
import { torchScript } from '../../report/index.js';
import type { Io } from '../io.js';

export interface ExportFlags {
  readonly torch: string;
  readonly out?: string;
}

export function runExport(flags: ExportFlags, io: Io): number {
  const file = flags.torch;
  const out = flags.out ?? file.replace(/\.json$/, '') + '.py';
  try {
    const saved = readSavedCase(file);
    if (saved.case.kind !== 'attention')
      throw new Error(`${file}: only attention cases can be exported to PyTorch (this is a ${saved.kind} case)`);
    const script = torchScript({
      case: saved.case,
      source: file,
      signature: signatureText(signatureOfSaved(saved)),
      found: saved.found?.verdict ?? '(not recorded)',
    });
    writeFileSync(out, script);
  } catch (e) {
    const line = ((e as Error).message ?? String(e)).split('\n')[0]!;
    io.err(`export: ${line.startsWith(file) ? line : `${file}: ${line}`}\n`);
    return 2;
  }
  io.out(`wrote ${out}: run it with python3 ${out} (PyTorch; swap kernel_under_test for the kernel to check)\n`);
  return 0;
}

export function register(program: Command, io: Io, setCode: (c: number) => void): void {
  program
    .command('export')
    .description(
      'write a saved attention case as a standalone PyTorch script: exact tensors, kernel_under_test (SDPA by ' +
        'default), forward and backward, verdict',
    )
    .addOption(
      new Option('--torch <file>', 'the saved case (.json) to export as a PyTorch script').makeOptionMandatory(),
    )
    .addOption(new Option('--out <script>', 'where to write the script (default: the case file with .py)'))
    .action((opts: ExportFlags) => setCode(runExport(opts, io)));
}
