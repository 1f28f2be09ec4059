/**
 * `--device webgpu`: the same models and feeds as SessionCache (sessions.ts), run by ONNX Runtime
 * Web's WebGPU execution provider in headless Chromium (src/execute/browser browserOnnx): the page
 * keeps one session per model key, as SessionCache does here. A page that crashes, loses its device
 * or hangs costs that call, named; the next call opens a fresh page.
 */
import { type BrowserOnnx, browserOnnx, type OnnxFeed } from '../../src/execute/index.js';
import { encodeModel, type NodeSpec, specKey } from './onnxModel.js';
import type { RunOutputs, SessionStats } from './sessions.js';
import { fromHalfBits, type OrtArray, toHalfBits } from './tensors.js';

/** A feed as the page takes it: float16 as its bits. */
function feedOf(name: string, a: OrtArray): OnnxFeed {
  if (a.dtype !== 'float16') return { name, type: a.dtype, dims: a.dims, data: a.data };
  const src = a.data as Float32Array;
  const bits = new Uint16Array(src.length);
  for (let n = 0; n < src.length; n++) bits[n] = toHalfBits(src[n]!);
  return { name, type: 'float16', dims: a.dims, data: bits };
}

export class PageSessions {
  readonly ep = 'webgpu' as const;
  readonly stats: SessionStats = { builds: 0, hits: 0 };
  private readonly keys = new Set<string>();

  private constructor(private readonly page: BrowserOnnx) {}

  /** Opens the page (Chromium found as `--browser`, ATTNFUZZ_CHROMIUM or PATH; SwiftShader's adapter by default). */
  static async start(o: { readonly timeoutMs?: number } = {}): Promise<PageSessions> {
    return new PageSessions(await browserOnnx(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}));
  }

  /** Whether the adapter computes in float16 (WebGPU's shader-f16): without it float16 models do not run. */
  get shaderF16(): boolean {
    return this.page.shaderF16;
  }

  /** 'onnxruntime-web 1.30.0 (webgpu: google swiftshader)'. */
  get library(): string {
    const a = this.page.adapter;
    const what = [a.vendor, a.architecture, a.description].filter(Boolean).join(' ');
    return `${this.page.library} (webgpu: ${what})`;
  }

  async run(spec: NodeSpec, feeds: ReadonlyMap<string, OrtArray>): Promise<RunOutputs> {
    const key = specKey(spec);
    if (this.keys.has(key)) this.stats.hits++;
    else {
      this.keys.add(key);
      this.stats.builds++;
    }
    const got = await this.page.run(
      key,
      encodeModel(spec),
      [...feeds].map(([name, a]) => feedOf(name, a)),
    );
    const out = new Map<string, { dims: readonly number[]; data: Float64Array }>();
    for (const [name, t] of got) {
      const src = t.data;
      const data = new Float64Array(src.length);
      if (src instanceof Uint16Array) for (let n = 0; n < src.length; n++) data[n] = fromHalfBits(src[n]!);
      else for (let n = 0; n < src.length; n++) data[n] = Number(src[n]!);
      out.set(name, { dims: t.shape, data });
    }
    return out;
  }

  close(): Promise<void> {
    return this.page.close();
  }
}
