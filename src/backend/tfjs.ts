/**
 * The one tfjs namespace attnfuzz uses, with every gradient registered.
 *
 * tfjs-core's Node entry (a CommonJS bundle) registers no gradients, and its ESM build cannot be
 * imported by Node (extensionless relative imports). The union package @tensorflow/tfjs solves
 * this by bundling `register_all_gradients` into its own build; we do the same with esbuild, once
 * per installed tfjs-core version: the bundle is cached in node_modules/.cache/attnfuzz (written
 * atomically; rebuilt in memory when that folder is not writable), so a process only evaluates it.
 * The bundle shares tfjs's global engine and registries, so its gradients apply to the tensors of
 * this namespace.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { buildSync } from 'esbuild';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type TF = typeof tf;

const require = createRequire(import.meta.url);
const REGISTERED = Symbol.for('attnfuzz.gradientsRegistered');

/** The bundled gradient registrations, from the cache or built (and cached) now. */
function gradientBundle(): string {
  const entry = require.resolve('@tensorflow/tfjs-core/dist/register_all_gradients.js');
  const pkg = require.resolve('@tensorflow/tfjs-core/package.json');
  const version = (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  // <project>/node_modules/@tensorflow/tfjs-core/package.json -> <project>/node_modules/.cache/attnfuzz
  const cache = join(dirname(pkg), '..', '..', '.cache', 'attnfuzz', `tfjs-core-${version}-gradients.cjs`);
  if (existsSync(cache)) return readFileSync(cache, 'utf8');
  const built = buildSync({ entryPoints: [entry], bundle: true, format: 'cjs', platform: 'node', write: false, logLevel: 'silent' });
  const code = built.outputFiles[0]!.text;
  try {
    mkdirSync(dirname(cache), { recursive: true });
    const tmp = `${cache}.${process.pid}.tmp`;
    writeFileSync(tmp, code);
    renameSync(tmp, cache);
  } catch {
    // A read-only install: build in memory every time, as before.
  }
  return code;
}

function registerAllGradients(): void {
  const g = globalThis as unknown as Record<symbol, boolean>;
  if (g[REGISTERED]) return;
  const code = gradientBundle();
  const module = { exports: {} };
  new Function('require', 'module', 'exports', code)(require, module, module.exports);
  g[REGISTERED] = true;
}

registerAllGradients();
// Silences tfjs's "install tfjs-node" banner; attnfuzz says how to get the native backend itself.
tf.env().set('PROD', true);

export { tf };
