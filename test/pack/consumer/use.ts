import { defineAttentionKernel, flashKernel, tf, useBackend, type AttentionKernel, type KernelOptions } from 'attnfuzz';

const k: AttentionKernel = defineAttentionKernel({
  name: 'ts',
  forward: (q, kk, v, o: KernelOptions, t) => flashKernel.forward(q, kk, v, o, t),
});
await useBackend('wasm');
const x: number = tf.sum(tf.tensor1d([1, 2, 3])).dataSync()[0]!;
console.log('ts ok:', k.name, 'backend', tf.getBackend(), 'sum', x);
