export * from './backends.js';
export { type TF, tf } from './tfjs.js';
