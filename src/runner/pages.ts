/**
 * The kernel under test on a page backend (webgpu, webgl): the same tfjs kernel, bundled and run in
 * headless Chromium by the browser executor (src/execute/browser), as a host kernel. A check on
 * `--backends wasm,webgpu` runs the in-process kernel on wasm and its page twin on webgpu, and
 * judges both the same way (check.ts).
 *
 *   kernel under test          its page twin
 *   built-in (eager, sdpa, flash)   the built-in from the registry, bundled; flash runs each case in
 *                                   the case's tiles, as in Node
 *   module path                the module, bundled (what it may import: src/execute/browser/bundle.ts)
 *   target (ort:, torch:, ...) none: a target runs elsewhere
 *
 * What it declares (features, supports, tiles, guarantees, backward) is read from the kernel as
 * loaded in Node, so generation and declining are the same on every backend.
 */
import { resolve } from 'node:path';
import { isPageBackend, type PageBackendName } from '../backend/index.js';
import type { AttentionCase } from '../case/index.js';
import { type AdapterChoice, type AdapterInfo, type BrowserKernel, browserKernel } from '../execute/index.js';
import { builtinKernel, KernelLoadError, type KernelUnderTest } from './kernelUnderTest.js';
import type { SuiteName } from './suites/kinds.js';

/** How pages are opened: `--adapter`, `--browser`, and how long a call may take before the page counts as hung. */
export interface PageOptions {
  readonly adapter?: AdapterChoice;
  readonly browser?: string;
  readonly timeoutMs?: number;
  /** The folder a module path is resolved against (default: the working directory). */
  readonly cwd?: string;
}

/** The kernel under test with its twins on page backends (check.ts runs the twin on that backend). */
export type WithPages = KernelUnderTest & {
  readonly pages?: Readonly<Partial<Record<PageBackendName, KernelUnderTest & { readonly adapter: AdapterInfo }>>>;
};

/** Opens `k` in a page on `backend`: its page twin, closed by its `close`. */
export async function pageTwin(
  k: KernelUnderTest,
  backend: PageBackendName,
  o: PageOptions = {},
): Promise<KernelUnderTest & { readonly adapter: AdapterInfo }> {
  const ref = k.ref;
  if ('target' in ref)
    throw new KernelLoadError(
      `--backend ${backend}: ${ref.target} is a target (it runs outside tfjs); page backends run tfjs kernels`,
    );
  const local = k.attention?.();
  const declarations = local && 'forward' in local ? local : undefined;
  const bk: BrowserKernel = await browserKernel({
    kernel: 'builtin' in ref ? { builtin: ref.builtin } : { module: resolve(o.cwd ?? process.cwd(), ref.module) },
    backend,
    ...(o.adapter ? { adapter: o.adapter } : {}),
    ...(o.browser ? { browser: o.browser } : {}),
    ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
    ...(declarations ? { declarations } : {}),
    decode: k.decode !== undefined,
  });
  // Flash runs the case's tiles: each case gets the page kernel with its blocks.
  const inTiles = (c?: AttentionCase) =>
    k.tiles === 'case' && c
      ? { ...bk, run: (call: Parameters<BrowserKernel['run']>[0]) => bk.runInTiles(call, c.blocks) }
      : bk;
  return {
    label: k.label,
    ref: k.ref,
    ...(k.attention ? { attention: inTiles } : {}),
    ...(k.decode ? { decode: bk } : {}),
    ...(k.tiles !== undefined ? { tiles: k.tiles } : {}),
    device: bk.device!,
    adapter: bk.adapter,
    close: () => bk.close(),
  };
}

/**
 * `k` with a page twin on each page backend of `backends` (none: `k` itself); its `close` closes
 * them too. Throws BrowserUnavailableError / PageFailure when a page cannot be opened.
 */
export async function withPages(
  k: KernelUnderTest,
  backends: readonly string[],
  o: PageOptions = {},
): Promise<WithPages> {
  const wanted = backends.filter(isPageBackend);
  if (wanted.length === 0) return k;
  const pages: Partial<Record<PageBackendName, KernelUnderTest & { readonly adapter: AdapterInfo }>> = {};
  try {
    for (const b of wanted) pages[b] = await pageTwin(k, b, o);
  } catch (e) {
    await Promise.all(Object.values(pages).map((p) => p.close?.()));
    throw e;
  }
  return {
    ...k,
    pages,
    close: async () => {
      await Promise.all(Object.values(pages).map((p) => p.close?.()));
      await k.close?.();
    },
  };
}

/** The adapter a page on `backend` gets (a page of the built-in sdpa, opened and closed): printed before a campaign. */
export async function probeAdapter(backend: PageBackendName, o: PageOptions = {}): Promise<AdapterInfo> {
  const k = await pageTwin(builtinKernel('sdpa'), backend, o);
  await k.close?.();
  return k.adapter;
}

/** The suites a page runs: attention and KV-cache decode (LoRA and the training model are not in a page yet). */
export const PAGE_SUITES: readonly SuiteName[] = ['attention', 'decode'];

/** Why `suite` cannot run on `backend` (a page backend and a suite a page does not run), or null. */
export function pageSuiteError(suite: SuiteName, backends: readonly string[]): string | null {
  const page = backends.find(isPageBackend);
  if (page === undefined || PAGE_SUITES.includes(suite)) return null;
  return `the ${suite} suite does not run on ${page} (a page runs ${PAGE_SUITES.join(' and ')})`;
}

/** The kernel to run on `backend`: its page twin on a page backend, else `k`. */
export function kernelOn(k: WithPages, backend: string | null): KernelUnderTest {
  if (backend === null || !isPageBackend(backend)) return k;
  const twin = k.pages?.[backend];
  if (!twin) throw new Error(`${k.label} has no page open on ${backend} (open one with withPages)`);
  return twin;
}

/** The adapters of the pages a kernel runs on, in backend order (saved with a case, printed at the start). */
export function adaptersOf(k: WithPages): AdapterInfo[] {
  return Object.values(k.pages ?? {}).map((p) => p.adapter);
}
