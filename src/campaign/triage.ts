/**
 * Which failures are new: the campaign's table of signatures (src/corpus/signature.ts). Shrinking
 * is what costs, so a failure is shrunk only when no known signature covers it:
 *
 *   hit     its raw signature is one already shrunk (an alias), or a known signature covers it
 *           (same kernel, suite, kind, tensor; the raw case has every feature the known one needs)
 *   wait    the same raw signature is being shrunk right now: decided again when that ends
 *   shrink  otherwise; the shrunk signature is new (saved) or known (a hit: shrinking converged)
 *
 * A kernel that fails everywhere would otherwise be shrunk again and again for raw signatures
 * that all end at known ones: after MAX_FRUITLESS shrinks of one kind of failure (kernel, suite,
 * kind, tensor) that found nothing new, its uncovered failures count as hits of the known
 * signature of that kind sharing the most features.
 */
import { covers, type Signature, signatureHash, signatureText } from '../corpus/index.js';
import type { RawFailure, ShrinkReport } from './protocol.js';

export const MAX_FRUITLESS = 5;

/** A distinct failure: its signature, where it is saved, and what this campaign saw of it. */
export interface Distinct {
  readonly signature: Signature;
  readonly hash: string;
  readonly text: string;
  /** Known from the corpus folder before the campaign started. */
  readonly fromCorpus: boolean;
  file: string | null;
  hits: number;
  /** Campaign case index and time (ms since start) of the first hit, when this campaign hit it. */
  firstCase: number | null;
  firstMs: number | null;
  /** false: saved as found (a timeout, a crash, a shrink cut short). */
  shrunk: boolean;
  summary: string;
  repro: readonly string[];
  verdict: readonly string[];
  svg: string | null;
}

export type Decision =
  | { readonly kind: 'hit'; readonly distinct: Distinct }
  | { readonly kind: 'wait' }
  | { readonly kind: 'shrink' };

const kindKey = (s: Signature) => JSON.stringify([s.kernel, s.suite, s.kind, s.tensor, s.pass, s.backend, s.detail]);

export class Triage {
  readonly distinct = new Map<string, Distinct>();
  private readonly aliases = new Map<string, string>();
  private readonly pending = new Set<string>();
  private readonly fruitless = new Map<string, number>();

  /** Signatures already in the corpus folder (saved by earlier campaigns or other shards). */
  constructor(known: ReadonlyArray<{ signature: Signature; file: string; summary: string }> = []) {
    for (const k of known) {
      const hash = signatureHash(k.signature);
      if (this.distinct.has(hash)) continue;
      this.distinct.set(hash, {
        signature: k.signature,
        hash,
        text: signatureText(k.signature),
        fromCorpus: true,
        file: k.file,
        hits: 0,
        firstCase: null,
        firstMs: null,
        shrunk: true,
        summary: k.summary,
        repro: [],
        verdict: [],
        svg: null,
      });
    }
  }

  private hit(d: Distinct, i: number, ms: number): Distinct {
    d.hits++;
    if (d.firstCase === null) [d.firstCase, d.firstMs] = [i, ms];
    return d;
  }

  /** The known signature of the same kind covering `raw` with the most features, if any. */
  private coverOf(raw: Signature, loose: boolean): Distinct | null {
    let best: Distinct | null = null;
    const score = (d: Distinct) =>
      Object.entries(d.signature.features).filter(([k, v]) => raw.features[k] === v).length;
    for (const d of this.distinct.values()) {
      const ok = loose ? kindKey(d.signature) === kindKey(raw) : covers(d.signature, raw);
      if (ok && (best === null || score(d) > score(best))) best = d;
    }
    return best;
  }

  /** What to do with a failure seen on case i at `ms`; a hit is counted here. */
  decide(raw: RawFailure, i: number, ms: number): Decision {
    const text = signatureText(raw.signature);
    const alias = this.aliases.get(text);
    if (alias !== undefined) return { kind: 'hit', distinct: this.hit(this.distinct.get(alias)!, i, ms) };
    const covered = this.coverOf(raw.signature, false);
    if (covered) return { kind: 'hit', distinct: this.hit(covered, i, ms) };
    if (this.pending.has(text)) return { kind: 'wait' };
    if ((this.fruitless.get(kindKey(raw.signature)) ?? 0) >= MAX_FRUITLESS) {
      const near = this.coverOf(raw.signature, true);
      if (near) return { kind: 'hit', distinct: this.hit(near, i, ms) };
    }
    this.pending.add(text);
    return { kind: 'shrink' };
  }

  /** A shrink of `raw` ended: the distinct failure it is, and whether it is new. */
  shrunk(raw: RawFailure, r: ShrinkReport, ms: number): { distinct: Distinct; isNew: boolean } {
    const text = signatureText(raw.signature);
    this.pending.delete(text);
    const hash = signatureHash(r.signature);
    this.aliases.set(text, hash);
    const old = this.distinct.get(hash);
    if (old) {
      this.fruitless.set(kindKey(raw.signature), (this.fruitless.get(kindKey(raw.signature)) ?? 0) + 1);
      return { distinct: this.hit(old, r.i, ms), isNew: false };
    }
    const d: Distinct = {
      signature: r.signature,
      hash,
      text: signatureText(r.signature),
      fromCorpus: false,
      file: null,
      hits: 0,
      firstCase: null,
      firstMs: null,
      shrunk: true,
      summary: r.summary,
      repro: r.repro,
      verdict: r.verdict,
      svg: r.svg ?? null,
    };
    this.distinct.set(hash, d);
    return { distinct: this.hit(d, r.i, ms), isNew: true };
  }

  /**
   * A failure kept as found: a timeout or crash (never shrunk), or a shrink that could not run
   * (the worker died, the campaign stopped). `raw` was pending if a shrink had been asked for.
   */
  unshrunk(raw: RawFailure, i: number, ms: number): { distinct: Distinct; isNew: boolean } {
    const text = signatureText(raw.signature);
    this.pending.delete(text);
    const hash = signatureHash(raw.signature);
    this.aliases.set(text, hash);
    const old = this.distinct.get(hash);
    if (old) return { distinct: this.hit(old, i, ms), isNew: false };
    const d: Distinct = {
      signature: raw.signature,
      hash,
      text,
      fromCorpus: false,
      file: null,
      hits: 0,
      firstCase: null,
      firstMs: null,
      shrunk: false,
      summary: raw.summary,
      repro: [],
      verdict: [raw.summary],
      svg: null,
    };
    this.distinct.set(hash, d);
    return { distinct: this.hit(d, i, ms), isNew: true };
  }

  /** Distinct failures this campaign hit, in order of first hit. */
  hitThisCampaign(): Distinct[] {
    return [...this.distinct.values()]
      .filter((d) => d.hits > 0)
      .sort((a, b) => a.firstMs! - b.firstMs! || a.firstCase! - b.firstCase!);
  }
}
