import { defineAttentionKernel, flashKernel, tf, useBackend, runAttentionKernel } from 'attnfuzz';
const k = defineAttentionKernel({ name: 'mjs', forward: (q, k, v, o, t) => flashKernel.forward(q, k, v, o, t) });
await useBackend('cpu');
const g = tf.grad((a) => tf.sum(tf.mul(tf.softmax(a), tf.tensor1d([1, 2, 3]))))(tf.tensor1d([1, 2, 3]));
const grad = Array.from(g.dataSync()).map((x) => +x.toFixed(6));
console.log('mjs ok:', k.name, typeof defineAttentionKernel, 'backend', tf.getBackend(), 'grad', grad);
