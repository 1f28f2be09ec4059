export * from './tfjs.js';
