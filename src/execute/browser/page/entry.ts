/**
 * The page's entry: `startPage(kernels)` installs `globalThis.attnfuzz` (protocol.ts PageApi).
 * bundle.ts generates the module that imports the kernel under test (a built-in from the
 * registry, or the user's module) and calls this; esbuild bundles the lot into page.js.
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import type { AttentionKernel, DecodeKernel, KvCacheOf, Tiles } from '../../../contract/index.js';
import type { CallMeta, DecodeCallMeta, PageAnswer, PageApi } from '../protocol.js';
import { pack, unpack, type WireArray, type WireTensor } from '../wire.js';
import { type AttentionRun, runAttentionCall } from './attention.js';
import { canvasReadbackWorks } from './readback.js';
import { lostNow, setUp, takeErrors, tf } from './setup.js';
import { thrown } from './thrown.js';

/** The kernel under test in its roles: attention (a built-in flash takes the call's tiles) and decode. */
export interface PageKernels {
  readonly attention: ((blocks?: Tiles) => AttentionKernel) | null;
  readonly decode: DecodeKernel | null;
}

async function runDecodeCall(
  kernel: DecodeKernel,
  meta: DecodeCallMeta,
  t: ReadonlyMap<string, WireTensor>,
): Promise<AttentionRun> {
  const up = (name: string) => tf.tensor(t.get(name)!.data as Float32Array, [...t.get(name)!.shape], 'float32');
  let out: Tensor;
  // tf.tidy cannot span an await (decode may return a Promise): an engine scope disposes the rest.
  tf.engine().startScope();
  try {
    const cache: KvCacheOf<Tensor> =
      meta.blockTable === null
        ? { kind: 'contiguous', k: up('k'), v: up('v') }
        : { kind: 'paged', kPages: up('kPages'), vPages: up('vPages'), blockTable: meta.blockTable };
    const got: unknown = await kernel.decode(up('q'), cache, meta.cacheSeqlens, meta.options, tf);
    if (typeof (got as Partial<Tensor> | null)?.data !== 'function')
      throw new Error(`${kernel.name}.decode returned no tfjs Tensor (expected out [B, Hq, Sq, Dv])`);
    out = tf.keep(got as Tensor);
  } catch (e) {
    return { status: 'threw', phase: 'forward', ...thrown(e) };
  } finally {
    tf.engine().endScope();
  }
  try {
    return { status: 'ok', tensors: [['out', { shape: out.shape, data: (await out.data()) as WireArray }]] };
  } catch (e) {
    return { status: 'threw', phase: 'forward', ...thrown(e) };
  } finally {
    out.dispose();
  }
}

function runCall(kernels: PageKernels, meta: CallMeta, t: ReadonlyMap<string, WireTensor>): Promise<AttentionRun> {
  if (meta.kind === 'onnx') throw new Error('this page runs tfjs kernels, not ONNX models');
  if (meta.kind === 'decode') {
    if (kernels.decode === null) throw new Error('the kernel under test has no decode');
    return runDecodeCall(kernels.decode, meta, t);
  }
  if (kernels.attention === null) throw new Error('the kernel under test has no attention forward');
  return runAttentionCall(kernels.attention(meta.blocks), meta, t);
}

/** `work`, or a 'device lost' answer as soon as the device is lost while it runs. */
async function unlessLost(work: Promise<AttentionRun>): Promise<AttentionRun> {
  let poll: ReturnType<typeof setInterval> | undefined;
  const lost = new Promise<AttentionRun>((settle) => {
    poll = setInterval(() => {
      if (lostNow() !== null) settle({ status: 'threw', phase: 'forward', message: 'device lost' });
    }, 50);
  });
  try {
    return await Promise.race([work, lost]);
  } finally {
    clearInterval(poll);
  }
}

async function run(kernels: PageKernels, id: string): Promise<PageAnswer> {
  const lostBefore = lostNow();
  if (lostBefore !== null) return { status: 'lost', message: lostBefore };
  const bytes = new Uint8Array(await (await fetch(`call/${id}`)).arrayBuffer());
  const { meta, tensors } = unpack<CallMeta>(bytes);
  takeErrors();
  const t0 = performance.now();
  // A lost WebGL context never signals tfjs's fences: the read would wait forever, so watch for it.
  const r = await unlessLost(runCall(kernels, meta, tensors));
  const ms = performance.now() - t0;
  const lost = lostNow();
  if (lost !== null) return { status: 'lost', message: lost };
  // A shader that failed validation or ran out of memory gives garbage, not an exception: its error
  // arrives as an uncaptured error event, and the call is a failure with the driver's message.
  const errors = takeErrors();
  if (errors.length > 0)
    return { status: 'threw', phase: 'forward', message: `${tf.getBackend()} error during the call: ${errors[0]}` };
  if (r.status !== 'ok') return r;
  const posted = await fetch(`result/${id}`, { method: 'POST', body: pack(null, r.tensors) });
  if (!posted.ok) throw new Error(`POST /result/${id}: HTTP ${posted.status}`);
  return { status: 'ok', ms };
}

export function startPage(kernels: PageKernels): void {
  const api: PageApi = { probeReadback: canvasReadbackWorks, init: setUp, run: (id) => run(kernels, id) };
  (globalThis as unknown as { attnfuzz: PageApi }).attnfuzz = api;
}
