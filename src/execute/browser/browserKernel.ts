/**
 * A tfjs kernel run in headless Chromium on tfjs's webgpu or webgl backend, as a host kernel
 * (src/contract/hostKernel.ts): the harness hands it float32 arrays and judges what comes back.
 *
 *   contract field              in the page (tfjs 4.22, @tensorflow/tfjs-backend-webgpu/webgl 4.22)
 *   q, k, v, dOut               float32 tensors on the backend; gradients of sum(out ∘ dOut) by autodiff
 *   mask, dropout.keep          bool tensors, as src/execute/tfjs.ts makes them (keep all when p = 0)
 *   alibiSlopes, bias, sinks    float32 tensors; dbias, dsinks by autodiff
 *   softcap, scale, causal, window, keyLengths, paddingSide, precision
 *                               as they are
 *   lse, own dropout's keep     read back when the kernel returns them
 *   decode                      the kernel's decode on q and the cache (contiguous or paged)
 *   declined                    LoRA (not in the page yet); precisions, features, supports, tiles,
 *                               guarantees: the caller passes the kernel's own (`declarations`),
 *                               as read from it in Node
 *
 * tfjs's CPU forwarding is off (page/setup.ts), so even a 1-element op runs a shader.
 *
 *   const k = await browserKernel({ kernel: { builtin: 'flash' }, backend: 'webgpu' });
 *   k.adapter   // { vendor: 'google', architecture: 'swiftshader', ..., isSwiftShader: true }
 *   await k.run({ q, k, v, options, dOut });
 *   await k.close();
 */
import {
  type AttentionShapes,
  defineHostKernel,
  type HostArray,
  type HostArrayLike,
  type HostAttentionCall,
  type HostAttentionResult,
  type HostDecodeCall,
  type HostKernel,
  type KernelFeatures,
  type KernelGuarantees,
  type SupportQuery,
  type Tiles,
} from '../../contract/index.js';
import { scalarOptions } from '../wireOptions.js';
import { bundlePage, type PageKernelSource } from './bundle.js';
import type { AdapterChoice } from './chromium.js';
import type { AdapterInfo, AttentionCallMeta, PageBackend } from './protocol.js';
import { PageSession } from './session.js';
import type { WireTensor } from './wire.js';

export interface BrowserKernelOptions {
  readonly kernel: PageKernelSource;
  readonly backend: PageBackend;
  /** Default 'swiftshader': the same software adapter on every machine. */
  readonly adapter?: AdapterChoice;
  /** The Chromium to run (else ATTNFUZZ_CHROMIUM, else PATH). */
  readonly browser?: string;
  /** More Chromium flags (after attnfuzz's own, launch.ts). */
  readonly chromiumArgs?: readonly string[];
  /** A call with no answer after this long means the page hangs (default 120 s). */
  readonly timeoutMs?: number;
  /** What the kernel declares, read from it in Node (features, supports, tiles, guarantees, backward). */
  readonly declarations?: {
    readonly name?: string;
    readonly features?: KernelFeatures;
    readonly tiles?: Tiles;
    readonly guarantees?: KernelGuarantees;
    readonly backward?: boolean;
    supports?(opts: SupportQuery, shapes: AttentionShapes): true | string;
  };
  /** Whether the kernel has a decode (to run decode cases in the page). */
  readonly decode?: boolean;
  /** More tfjs flags for the page (after attnfuzz's own). */
  readonly flags?: Readonly<Record<string, boolean | number>>;
}

/** The flags that keep tfjs 4.22 from running small ops on its CPU kernels inside a GPU backend. */
export const NO_CPU_FORWARD: Readonly<Record<PageBackend, Record<string, boolean>>> = {
  webgpu: { WEBGPU_CPU_FORWARD: false },
  webgl: { WEBGL_CPU_FORWARD: false },
};

/** A browser kernel: a host kernel with the adapter it runs on. */
export type BrowserKernel = Omit<HostKernel, 'run' | 'close'> & {
  readonly adapter: AdapterInfo;
  run(call: HostAttentionCall): Promise<HostAttentionResult>;
  close(): Promise<void>;
  /** An attention call in the given tiles (a built-in flash runs the case's; others ignore them). */
  runInTiles(call: HostAttentionCall, blocks: Tiles | undefined): Promise<HostAttentionResult>;
};

/** 'google swiftshader', 'Google Inc. (Google) ANGLE (... SwiftShader driver)': the adapter in words. */
export function formatAdapter(a: AdapterInfo): string {
  const what = [a.vendor, a.architecture, a.description].filter((x) => x !== '').join(' ');
  return `${what || 'unknown adapter'}${a.isSwiftShader && !/swiftshader/i.test(what) ? ' (SwiftShader)' : ''}`;
}

/** 'webgpu (google swiftshader)', as reports print the device. */
export function describeAdapter(a: AdapterInfo): string {
  return `${a.backend} (${formatAdapter(a)})`;
}

function attentionMessage(call: HostAttentionCall, blocks: Tiles | undefined) {
  const o = call.options;
  const meta: AttentionCallMeta = {
    kind: 'attention',
    ...scalarOptions(o),
    backward: call.dOut !== null,
    ...(blocks ? { blocks } : {}),
  };
  const tensors: Array<readonly [string, WireTensor]> = [
    ['q', call.q],
    ['k', call.k],
    ['v', call.v],
  ];
  const add = (name: string, t: WireTensor | null | undefined) => t && tensors.push([name, t]);
  add('dOut', call.dOut);
  add('mask', o.mask);
  add('keep', o.dropout?.keep);
  add('alibiSlopes', o.alibiSlopes);
  add('bias', o.bias);
  add('sinks', o.sinks);
  return { meta, tensors };
}

function decodeMessage(call: HostDecodeCall) {
  const c = call.cache;
  const tensors: Array<readonly [string, HostArray]> =
    c.kind === 'contiguous'
      ? [
          ['k', c.k],
          ['v', c.v],
        ]
      : [
          ['kPages', c.kPages],
          ['vPages', c.vPages],
        ];
  return {
    meta: {
      kind: 'decode' as const,
      options: call.options,
      cacheSeqlens: call.cacheSeqlens,
      blockTable: c.kind === 'paged' ? c.blockTable : null,
    },
    tensors: [['q', call.q] as const, ...tensors],
  };
}

/** A tensor of the tfjs page (never int64: tfjs has none) as a host kernel returns it. */
function numeric(t: WireTensor): HostArrayLike {
  return t as HostArrayLike;
}

/** Bundles the page, starts Chromium, opens the page and reads its adapter. */
export async function browserKernel(o: BrowserKernelOptions): Promise<BrowserKernel> {
  const script = await bundlePage(o.kernel);
  const session = await PageSession.start({
    script,
    backend: o.backend,
    adapter: o.adapter ?? 'swiftshader',
    ...(o.browser ? { browser: o.browser } : {}),
    ...(o.chromiumArgs ? { args: o.chromiumArgs } : {}),
    flags: { ...NO_CPU_FORWARD[o.backend], ...o.flags },
    timeoutMs: o.timeoutMs ?? 120_000,
  });
  const d = o.declarations ?? {};
  const name = d.name ?? ('builtin' in o.kernel ? o.kernel.builtin : o.kernel.module);
  const runInTiles = async (call: HostAttentionCall, blocks: Tiles | undefined): Promise<HostAttentionResult> => {
    const { meta, tensors } = attentionMessage(call, blocks);
    const r = await session.call(meta, tensors);
    const pick = (n: string) => (r.has(n) ? { [n]: numeric(r.get(n)!) } : {});
    return {
      out: numeric(r.get('out')!),
      ...pick('lse'),
      ...pick('dq'),
      ...pick('dk'),
      ...pick('dv'),
      ...pick('dbias'),
      ...pick('dsinks'),
      ...pick('keep'),
    };
  };
  const decode: Pick<HostKernel, 'decode'> = o.decode
    ? {
        async decode(call: HostDecodeCall) {
          const { meta, tensors } = decodeMessage(call);
          return numeric((await session.call(meta, tensors)).get('out')!);
        },
      }
    : {};
  const kernel = defineHostKernel({
    name: `${name}@${o.backend}`,
    run: (call: HostAttentionCall) => runInTiles(call, undefined),
    ...decode,
    ...(d.supports ? { supports: d.supports.bind(d) } : {}),
    ...(d.features ? { features: d.features } : {}),
    ...(d.tiles ? { tiles: d.tiles } : {}),
    ...(d.guarantees ? { guarantees: d.guarantees } : {}),
    ...(d.backward !== undefined ? { backward: d.backward } : {}),
    precisions: ['float32', 'bfloat16', 'float16'],
    device: describeAdapter(session.adapter!),
    close: () => session.close(),
  });
  return {
    ...kernel,
    runInTiles,
    get adapter() {
      return session.adapter!;
    },
  };
}
