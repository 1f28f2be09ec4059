/**
 * The one tfjs namespace attnfuzz uses, with every gradient registered.
 *
 * tfjs-core alone registers no gradients (tf.grad of a softmax throws); the union package
 * @tensorflow/tfjs does, in its Node build, on the same engine (there is one tfjs-core in
 * node_modules, so its registrations apply to the tensors of this namespace). Measured: loading it
 * costs about 150 ms per process over tfjs-core alone. It registers a webgl backend only in a
 * browser; attnfuzz always selects its backend explicitly (backends.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createRequire } from 'node:module';

// Loaded with require, not `import '@tensorflow/tfjs'`: a side-effect import would stay in our .d.ts
// and pull in tfjs-layers' declarations, which do not compile for users with skipLibCheck false.
// Node resolves both to the same CommonJS build, so the engine is the same either way.
createRequire(import.meta.url)('@tensorflow/tfjs');

export type { TF } from '../contract/index.js';

// Silences tfjs's "install tfjs-node" banner; attnfuzz says how to get the native backend itself.
tf.env().set('PROD', true);

export { tf };
