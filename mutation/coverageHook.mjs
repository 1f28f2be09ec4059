// Loaded with `node --import` into the processes of the unmutated (dry) run of a mutation run
// (mutation/runner.ts sets NODE_OPTIONS): at exit, writes the ids of the mutants whose code ran
// (Stryker's instrumented kernels count them in globalThis.__stryker__) to
// $ATTNFUZZ_MUTATION_COVERAGE/<pid>.json. A process that loaded no instrumented kernel writes nothing.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.ATTNFUZZ_MUTATION_COVERAGE;
if (dir) {
  process.on('exit', () => {
    const hits = globalThis.__stryker__?.mutantCoverage?.static;
    if (hits) writeFileSync(join(dir, `${process.pid}.json`), JSON.stringify(Object.keys(hits)));
  });
}
