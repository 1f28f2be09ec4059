/**
 * What a kernel module that imports src/backend (the harness's tfjs namespace) gets in the page:
 * the page's tfjs. bundle.ts points such imports here; nothing else of src/backend runs in a page.
 */
export type { TF } from '../../../contract/index.js';
export { tf } from './setup.js';
