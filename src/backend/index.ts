export { tf, type TF } from './tfjs.js';
export * from './backends.js';
