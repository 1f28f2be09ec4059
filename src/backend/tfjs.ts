/**
 * The one tfjs namespace attnfuzz uses, with every gradient registered.
 *
 * tfjs-core's Node entry (a CommonJS bundle) registers no gradients, and its ESM build cannot be
 * imported by Node (extensionless relative imports). The union package @tensorflow/tfjs solves
 * this by bundling `register_all_gradients` into its own build; we do the same at load time with
 * esbuild (~0.3 s once per process). The bundle shares tfjs's global engine and registries, so
 * its gradients apply to the tensors of this namespace.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { buildSync } from 'esbuild';
import { createRequire } from 'node:module';

export type TF = typeof tf;

const require = createRequire(import.meta.url);
const REGISTERED = Symbol.for('attnfuzz.gradientsRegistered');

function registerAllGradients(): void {
  const g = globalThis as unknown as Record<symbol, boolean>;
  if (g[REGISTERED]) return;
  const entry = require.resolve('@tensorflow/tfjs-core/dist/register_all_gradients.js');
  const built = buildSync({ entryPoints: [entry], bundle: true, format: 'cjs', platform: 'node', write: false, logLevel: 'silent' });
  const code = built.outputFiles[0]!.text;
  const module = { exports: {} };
  new Function('require', 'module', 'exports', code)(require, module, module.exports);
  g[REGISTERED] = true;
}

registerAllGradients();
// Silences tfjs's "install tfjs-node" banner; attnfuzz says how to get the native backend itself.
tf.env().set('PROD', true);

export { tf };
