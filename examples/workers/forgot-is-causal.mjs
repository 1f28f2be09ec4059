#!/usr/bin/env node
/**
 * The seed bug in a plain-Node worker (adapter-hub/adapters#721): when the call passes no mask, the
 * causal flag is dropped too, so a query sees the keys after it.
 *
 *   attnfuzz check --kernel 'exec:node examples/workers/forgot-is-causal.mjs' --time 60
 */
import { main } from './attention.mjs';

main('node-forgot-is-causal', (options, buffers) =>
  buffers.mask === undefined ? { ...options, causal: 'none' } : options,
);
