/**
 * `attnfuzz check --kernel <name | module> [--suite attention|lora|training|decode] [--backend B |
 *  --backends a,b] [--time S] [--runs N] [--seed S] [--corpus DIR] [--json]
 *  [--precision float32|bfloat16|float16] [--profile default|deep|nightly] [--junk finite|nan|none]
 *  [--forward-only]`
 *
 * --precision pins the dtype of the cases of any suite (default: every precision is drawn).
 * --profile shapes attention and decode cases: their sizes (deep: decode-shaped attention against
 * caches up to 4096 keys; decode cases against caches up to 1024 keys, pages up to 64). The last
 * two shape attention cases only: --junk what is written at keys no query may see (NaN only for a kernel that never
 * reads them: the default when it declares so), --forward-only checks a kernel without a backward
 * (as declaring `backward: false`); the summary line says which passes ran.
 *
 * Searches for a case where the kernel disagrees with the float64 reference (src/runner `search`),
 * and on a failure prints the shrunk repro first, then saves it to <corpus>/<hash>.json with its
 * heatmap. Exit 0: cases were checked and none failed; 1: a failure (even if saving it failed:
 * the repro printed is complete); 2: usage or load error, or nothing was checked.
 *
 * This file is the options table; checkRun.ts runs the search, checkReport.ts reports its end.
 */
import { type Command, Option } from 'commander';
import { REGRESSIONS_DIR } from '../../corpus/index.js';
import { SUITES } from '../../runner/index.js';
import { durationSeconds } from '../duration.js';
import type { Io } from '../io.js';
import {
  adapterOption,
  backendOption,
  backendsOption,
  browserOption,
  deviceOption,
  forwardOnlyOption,
  jsonOption,
  junkOption,
  precisionOption,
  profileOption,
  pythonOption,
  runsOption,
  seedOption,
  timeOption,
} from '../options.js';
import type { CheckFlags } from './checkFlags.js';
import { runCheck } from './checkRun.js';

export type { CheckFlags } from './checkFlags.js';
export { runCheck } from './checkRun.js';

/** The options table of `check`: each flag, its rule and its default; the action is `runCheck`. */
export function register(program: Command, io: Io, setCode: (c: number) => void): void {
  program
    .command('check')
    .description('search for a case where a kernel disagrees with the float64 reference; shrink, print and save it')
    .requiredOption(
      '--kernel <name|module|target>',
      'a built-in (eager, sdpa, flash; lora, lora-merged for --suite lora; flash for --suite decode), a ' +
        'module whose default export is the kernel, or a target: torch:sdpa, torch:mha, torch:eager, py:file.py, ' +
        "'exec:<command>' (docs/targets/, docs/PROTOCOL.md)",
    )
    .addOption(
      new Option(
        '--suite <name>',
        'attention: the kernel alone; lora: a LoRA linear kernel; training: the kernel as the attention of a ' +
          'tiny LoRA-trained decoder; decode: KV-cache decode (contiguous or paged cache, cacheSeqlens)',
      )
        .choices(SUITES)
        .default('attention'),
    )
    .addOption(timeOption())
    .addOption(runsOption())
    .addOption(seedOption())
    .addOption(
      new Option('--timeout <seconds>', 'per case: a case still running after this ends check, printing the case')
        .argParser(durationSeconds)
        .default(60),
    )
    .addOption(backendOption())
    .addOption(backendsOption())
    .addOption(adapterOption())
    .addOption(browserOption())
    .addOption(new Option('--corpus <dir>', 'where failures are saved').default(REGRESSIONS_DIR))
    .addOption(precisionOption())
    .addOption(profileOption())
    .addOption(junkOption())
    .addOption(forwardOnlyOption())
    .addOption(jsonOption())
    .addOption(deviceOption())
    .addOption(pythonOption())
    .action(async (opts: CheckFlags) => setCode(await runCheck(opts, io)));
}
