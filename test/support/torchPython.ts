/**
 * PyTorch for the tests that run exported scripts (test/export-torch.test.ts): the python that
 * imports torch, and two ways to run scripts with it.
 */
import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';

/** The first of ATTNFUZZ_PYTHON, python3 on PATH, Debian's /usr/bin/python3 that imports torch, and torch's version. */
export const [PYTHON, torchVersion] = ((): [string, string] | [null, null] => {
  for (const p of [process.env.ATTNFUZZ_PYTHON, 'python3', '/usr/bin/python3']) {
    if (p === undefined) continue;
    const r = spawnSync(p, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) return [p, r.stdout.trim()];
  }
  return [null, null];
})();

export interface Ran {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `python3 script`, as the user runs it. */
export const python = (script: string): Ran => spawnSync(PYTHON!, [script], { encoding: 'utf8', timeout: 120_000 });

/**
 * Each script as `python3 script` runs it (as __main__, with its own globals and argv, sys.exit's code
 * as its status), in one interpreter: importing torch costs about 1.5 s of CPU, the scripts next to nothing.
 */
const BATCH = `
import contextlib, io, json, runpy, sys, traceback
import torch  # once, for every script
for path in sys.argv[1:]:
    out, err, status = io.StringIO(), io.StringIO(), 0
    sys.argv = [path]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            runpy.run_path(path, run_name="__main__")
        except SystemExit as e:
            status = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        except BaseException:
            traceback.print_exc()
            status = 1
    print(json.dumps({"status": status, "stdout": out.getvalue(), "stderr": err.getvalue()}), flush=True)
`;

export function pythons(scripts: readonly string[]): Ran[] {
  const r = spawnSync(PYTHON!, ['-c', BATCH, ...scripts], { encoding: 'utf8', timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  // One JSON line per script (whatever a library printed to the process's own stdout is left out).
  const ran = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{"status": '))
    .map((l) => JSON.parse(l) as Ran);
  expect(ran).toHaveLength(scripts.length);
  return ran;
}
