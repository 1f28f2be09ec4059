#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so `npx attnfuzz` works without a build step.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const tsxCli = require.resolve('tsx/cli');
const mainTs = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const r = spawnSync(process.execPath, [tsxCli, mainTs, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 2);
