/**
 * ONNX Runtime sessions, cached by model: the op, its attributes, which optional inputs and outputs
 * it has, their dtypes and ranks (onnxModel.ts `specKey`; dims are symbolic, so one session serves
 * every size). A campaign then builds a session per form it draws, not per case: building one costs
 * milliseconds (graph resolution, kernel selection), a run of a small case tens of microseconds.
 *
 * Sessions run with one intra-op thread (the harness runs one case at a time per worker, and
 * campaigns parallelise over workers) and errors only in the log (a failing run is reported by the
 * harness, not printed by ORT).
 */
import { encodeModel, type NodeSpec, specKey } from './onnxModel.js';
import { loadOrt, type OrtModule } from './runtime.js';
import { fromOrtTensor, type OrtArray, toOrtTensor } from './tensors.js';

export type ExecutionProvider = 'cpu' | 'cuda' | 'webgpu';

type Session = Awaited<ReturnType<OrtModule['InferenceSession']['create']>>;

export interface SessionStats {
  /** Sessions built. */
  builds: number;
  /** Runs served by a cached session. */
  hits: number;
}

/** What a run gives back: each requested output by name, as float64 values with its dims. */
export type RunOutputs = ReadonlyMap<string, { readonly dims: readonly number[]; readonly data: Float64Array }>;

export class SessionCache {
  private readonly sessions = new Map<string, Promise<Session>>();
  readonly stats: SessionStats = { builds: 0, hits: 0 };

  /** `capacity` 0: no cache (a session per run, released after it), to measure what the cache saves. */
  constructor(
    readonly ep: ExecutionProvider,
    readonly capacity = 256,
  ) {}

  private async session(spec: NodeSpec, ort: OrtModule): Promise<{ s: Session; cached: boolean }> {
    const key = specKey(spec);
    const hit = this.sessions.get(key);
    if (hit) {
      this.stats.hits++;
      // Most recently used last: the first key is the one to evict.
      this.sessions.delete(key);
      this.sessions.set(key, hit);
      return { s: await hit, cached: true };
    }
    this.stats.builds++;
    const made = ort.InferenceSession.create(encodeModel(spec), {
      executionProviders: [this.ep],
      intraOpNumThreads: 1,
      logSeverityLevel: 4,
    });
    if (this.capacity === 0) return { s: await made, cached: false };
    this.sessions.set(key, made);
    made.catch(() => this.sessions.delete(key));
    while (this.sessions.size > this.capacity) {
      const oldest = this.sessions.keys().next().value as string;
      const evicted = this.sessions.get(oldest)!;
      this.sessions.delete(oldest);
      void evicted.then((s) => s.release()).catch(() => {});
    }
    return { s: await made, cached: true };
  }

  /** Runs the model of `spec` on `feeds` (by input name) and reads back the outputs it names. */
  async run(spec: NodeSpec, feeds: ReadonlyMap<string, OrtArray>): Promise<RunOutputs> {
    const ort = await loadOrt();
    const { s, cached } = await this.session(spec, ort);
    try {
      const inputs: Record<string, InstanceType<OrtModule['Tensor']>> = {};
      for (const [name, a] of feeds) inputs[name] = toOrtTensor(ort, a);
      const fetched = await s.run(inputs);
      const out = new Map<string, { dims: readonly number[]; data: Float64Array }>();
      for (const [name, t] of Object.entries(fetched)) out.set(name, fromOrtTensor(t));
      return out;
    } finally {
      if (!cached) await s.release();
    }
  }

  /** Releases every session. */
  async close(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((p) => p.then((s) => s.release()).catch(() => {})));
  }
}
