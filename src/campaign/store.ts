/**
 * Where a campaign writes: one saved case per new signature into the corpus folder (saveCase:
 * atomic, never rewrites, named by the signature's hash so shards writing one folder agree), and
 * the run's hit counts (hits.ts). A failure that was not shrunk (a timeout, a crash, a shrink cut
 * short) is saved as found, with its address in the stream so fast-check can replay it.
 */
import { type AnyBackend, isPageBackend, tf } from '../backend/index.js';
import {
  CASE_FILE_VERSION,
  CASE_FORMAT,
  packageVersion,
  type SavedCase,
  type SignatureHits,
  saveCase,
  writeHits,
} from '../corpus/index.js';
import type { AdapterInfo } from '../execute/index.js';
import { isBuiltinKernel, type KernelRef } from '../runner/index.js';
import type { RawFailure, ShrinkReport } from './protocol.js';
import type { CaseAddress, Target } from './stream.js';
import type { Distinct } from './triage.js';

export interface Saved {
  readonly file: string;
  /** The signature's file was already there (another shard saved it first). */
  readonly existed: boolean;
}

export const kernelRefOf = (kernel: string): KernelRef =>
  isBuiltinKernel(kernel) ? { builtin: kernel } : { module: kernel };

export class CampaignStore {
  constructor(
    readonly dir: string,
    readonly run: string,
    private readonly backend: AnyBackend,
    /** The page backend's adapter, saved with every case (cases the main thread saves itself). */
    private readonly adapter?: AdapterInfo,
  ) {}

  saveShrunk(r: ShrinkReport): Saved {
    const p = saveCase(r.saved, this.dir, r.svg);
    return { file: p.json, existed: p.existed };
  }

  saveRaw(raw: RawFailure, target: Target, address: CaseAddress): Saved {
    const saved: SavedCase = {
      format: CASE_FORMAT,
      version: CASE_FILE_VERSION,
      kind: raw.case.kind,
      case: raw.case,
      ...(raw.case.kind !== 'upstream' ? { kernel: kernelRefOf(target.kernel) } : {}),
      ...(isPageBackend(this.backend) ? { backends: [this.backend] } : {}),
      ...(this.adapter ? { adapters: [this.adapter] } : {}),
      expect: { kind: 'pass' },
      found: {
        verdict: raw.summary,
        seed: address.seed,
        path: address.path,
        backend: this.backend,
        attnfuzz: packageVersion(),
        tfjs: tf.version_core,
        at: new Date().toISOString(),
      },
      signature: raw.signature,
    };
    const p = saveCase(saved, this.dir);
    return { file: p.json, existed: p.existed };
  }

  /** Rewrites this run's hits file with every distinct failure hit so far. */
  writeHits(distinct: readonly Distinct[], started: Date, now: Date): void {
    const m = new Map<string, SignatureHits>();
    for (const d of distinct) {
      if (d.hits === 0) continue;
      const first = new Date(started.getTime() + (d.firstMs ?? 0)).toISOString();
      m.set(d.hash, { signature: d.text, hits: d.hits, first, last: now.toISOString() });
    }
    writeHits(this.dir, this.run, m);
  }
}
