#!/usr/bin/env node
// `attnfuzz`. Installed from the package (which ships dist/, not src/): runs the compiled CLI with
// plain Node. In a clone (src/ present): runs the TypeScript sources through tsx, so `npx attnfuzz`
// needs no build step and never runs a stale dist/.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const mainTs = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
if (existsSync(mainTs)) {
  const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');
  const r = spawnSync(process.execPath, [tsxCli, mainTs, ...args], { stdio: 'inherit' });
  process.exit(r.status ?? 2);
} else {
  const { main, exitWhenFlushed } = await import('../dist/src/cli/main.js');
  exitWhenFlushed(await main(args));
}
