#!/usr/bin/env node
// `attnfuzz`. Installed from the package (which ships dist/, not src/): runs the compiled CLI with
// plain Node. In a clone (src/ present): runs the TypeScript sources through tsx, so `npx attnfuzz`
// needs no build step and never runs a stale dist/. The child gets every SIGINT, SIGTERM and
// SIGHUP this process gets (a campaign stops gracefully on them), and this process exits only
// after it: a signal to this process never leaves the child running on its own.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const mainTs = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
if (existsSync(mainTs)) {
  const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');
  const child = spawn(process.execPath, [tsxCli, mainTs, ...args], { stdio: 'inherit' });
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => child.kill(s));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 2)));
} else {
  const { main, exitWhenFlushed } = await import('../dist/src/cli/main.js');
  exitWhenFlushed(await main(args));
}
