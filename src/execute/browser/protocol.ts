/**
 * What attnfuzz and its page say to each other, besides the tensors (wire.ts carries those):
 *
 *   attnfuzz                                   page (page/entry.ts)
 *   goto http://127.0.0.1:port/                loads index.html + page.js (tfjs, the backend, the kernel)
 *   evaluate attnfuzz.probeReadback()    ->    webgpu, once per browser, in a page of its own
 *                                        <-    whether dataSync can work (page/readback.ts)
 *   evaluate attnfuzz.init(PageSetup)    ->    selects the backend, flags off CPU forwarding
 *                                        <-    PageReady: the adapter, or why there is none
 *   store the call at /call/<id>
 *   evaluate attnfuzz.run(id)            ->    GET /call/<id> (wire), runs forward (+ backward)
 *                                              POST /result/<id> (wire: out, lse, dq, ...)
 *                                        <-    PageAnswer (ok, threw in a phase, device lost)
 *
 * A page that crashes or stops answering is noticed by attnfuzz (browserKernel.ts), not here.
 */

import type { PageBackendName } from '../../backend/index.js';
import type { DecodeOptions, Precision, Tiles } from '../../contract/index.js';

/** The tfjs backends a page runs. */
export type PageBackend = PageBackendName;

/** What the page is asked to set up. */
export interface PageSetup {
  readonly backend: PageBackend;
  /** tfjs flags set before the backend initialises (e.g. WEBGPU_CPU_FORWARD: false). */
  readonly flags: Readonly<Record<string, boolean | number>>;
  /** false: tfjs-backend-webgpu's dataSync of a GPU tensor does not work here; make it throw (page/readback.ts). */
  readonly readSync: boolean;
}

/**
 * The adapter a page runs on, as reports print it and saved cases keep it: WebGPU's
 * GPUAdapterInfo (vendor, architecture, description), or for WebGL the unmasked vendor and
 * renderer strings (architecture empty).
 */
export interface AdapterInfo {
  readonly backend: PageBackend;
  readonly vendor: string;
  readonly architecture: string;
  readonly description: string;
  /** The software rasteriser (Chromium's SwiftShader): correct, slow, no real GPU involved. */
  readonly isSwiftShader: boolean;
}

export type PageReady =
  | {
      readonly status: 'ready';
      readonly adapter: AdapterInfo;
      /** What computes in the page, with its version: 'tfjs-core 4.22.0', 'onnxruntime-web 1.30.0'. */
      readonly library: string;
      /** The WebGPU adapter's features ('shader-f16', 'subgroups', ...); empty for WebGL. */
      readonly features?: readonly string[];
    }
  | { readonly status: 'unavailable'; readonly reason: string };

/** The options of an attention call without their tensors (those travel on the wire by name). */
export interface AttentionCallMeta {
  readonly kind: 'attention';
  readonly scale: number;
  readonly causal: 'none' | 'top-left' | 'bottom-right';
  readonly window: readonly [number, number] | null;
  readonly keyLengths: readonly number[] | null;
  readonly paddingSide: 'right' | 'left';
  readonly precision: Precision;
  readonly softcap: number | null;
  readonly dropout: { readonly p: number; readonly seed: number } | null;
  /** false: forward only (no dOut on the wire). */
  readonly backward: boolean;
  /** The tiles a built-in flash runs this call in (the case's); absent: the kernel's own. */
  readonly blocks?: Tiles;
}

/** A decode call: q and the cache's tensors on the wire (k, v or kPages, vPages). */
export interface DecodeCallMeta {
  readonly kind: 'decode';
  readonly options: DecodeOptions;
  readonly cacheSeqlens: readonly number[];
  readonly blockTable: readonly (readonly number[])[] | null;
}

/**
 * An ONNX model run by ONNX Runtime Web (page/ortEntry.ts): the model's bytes travel as the tensor
 * 'model', each feed as the tensor of its name (float16 as its bits in a uint16 array, int64 as
 * int64); the page keeps one session per `key`. The outputs come back by name, float16 as bits.
 */
export interface OnnxCallMeta {
  readonly kind: 'onnx';
  readonly key: string;
  readonly feeds: ReadonlyArray<{
    readonly name: string;
    readonly type: 'float32' | 'float16' | 'bool' | 'int32' | 'int64';
  }>;
}

export type CallMeta = AttentionCallMeta | DecodeCallMeta | OnnxCallMeta;

/** The page's answer to one call; on 'ok' the tensors wait at /result/<id>. */
export type PageAnswer =
  | { readonly status: 'ok'; readonly ms: number }
  | {
      readonly status: 'threw';
      readonly phase: 'forward' | 'backward';
      readonly message: string;
      /** The error's name in the page ('Error', 'TypeError'), so a verdict reads as it would in Node. */
      readonly name?: string;
    }
  /** The GPU device (WebGPU) or context (WebGL) was lost: the page must be reopened. */
  | { readonly status: 'lost'; readonly message: string };

/** What the page exposes as `globalThis.attnfuzz`. */
export interface PageApi {
  /** Whether WebGPU's canvas readback works (page/readback.ts); it may take WebGPU down in its page. */
  probeReadback(): Promise<boolean>;
  init(setup: PageSetup): Promise<PageReady>;
  run(id: string): Promise<PageAnswer>;
}
