#!/usr/bin/env node
/** A correct attention worker in plain Node: `attnfuzz check --kernel 'exec:node examples/workers/correct.mjs'`. */
import { main } from './attention.mjs';

main('node-attention');
