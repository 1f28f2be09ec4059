#!/usr/bin/env node
// `attnfuzz`. Installed from the package (which ships dist/, not src/): runs the compiled CLI. In a
// clone (src/ present): runs the TypeScript sources with tsx's loader, so `npx attnfuzz` needs no
// build step and never runs a stale dist/. Either way in a child Node with NODE_FLAGS. The child
// gets every SIGINT, SIGTERM and SIGHUP this process gets (a campaign stops gracefully on them),
// and this process exits only after it: a signal to this process never leaves the child running
// on its own.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

// V8 collects garbage on helper threads by default. A campaign runs as many workers as cores, so
// those threads only take CPU from the workers: sdpa on wasm, per case in a warm worker, the
// worker's own 2.40 ms either way, the helpers' 0.17 ms -> 0.01 ms with one GC thread per isolate.
// 2 worker threads over 1: 1.82x -> 1.96x (bench/campaign.ts, bench/RESULTS.md). Worker threads
// share the flag; worker processes inherit it (src/campaign/spawn.ts: INHERITED_FLAGS).
// test/fuzz-signals.test.ts checks that the CLI process runs with it.
const NODE_FLAGS = ['--single-threaded-gc'];

const args = process.argv.slice(2);
const mainTs = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const entry = existsSync(mainTs)
  ? ['--import', import.meta.resolve('tsx'), mainTs]
  : [fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url))];
const child = spawn(process.execPath, [...NODE_FLAGS, ...entry, ...args], { stdio: 'inherit' });
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => child.kill(s));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 2)));
