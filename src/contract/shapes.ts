/** Derives and checks the sizes of an attention call: the contract's invariants, checked once. */

import { formatShape } from './tensor.js';
import type { AttentionOptionsOf, AttentionShapes } from './types.js';

/** Thrown when inputs or options break the contract; `where` names the field. */
export class ContractError extends Error {
  constructor(
    readonly where: string,
    message: string,
  ) {
    super(`${where}: ${message}`);
    this.name = 'ContractError';
  }
}

/**
 * Reads the sizes from q [B,Hq,Sq,D], k [B,Hkv,Sk,D], v [B,Hkv,Sk,Dv] and checks that they and
 * the options fit together. `where` prefixes every message (e.g. a file name).
 */
export function attentionShapes(
  q: readonly number[],
  k: readonly number[],
  v: readonly number[],
  opts?: Pick<
    AttentionOptionsOf<{ readonly shape: readonly number[] }>,
    'keyLengths' | 'mask' | 'window' | 'dropout' | 'scale' | 'softcap' | 'alibiSlopes' | 'bias' | 'sinks'
  >,
  where = 'attention',
): AttentionShapes {
  for (const [name, s] of [
    ['q', q],
    ['k', k],
    ['v', v],
  ] as const) {
    if (s.length !== 4) throw new ContractError(`${where}: ${name}.shape`, `must have rank 4, got ${formatShape(s)}`);
    if (!s.every((d) => Number.isInteger(d) && d >= 1)) {
      throw new ContractError(`${where}: ${name}.shape`, `every dim must be a positive integer, got ${formatShape(s)}`);
    }
  }
  const [B, Hq, Sq, D] = q as [number, number, number, number];
  const [Bk, Hkv, Sk, Dk] = k as [number, number, number, number];
  const [Bv, Hv, Skv, Dv] = v as [number, number, number, number];
  const fail = (field: string, msg: string): never => {
    throw new ContractError(`${where}: ${field}`, msg);
  };
  if (Bk !== B || Bv !== B) fail('k.shape', `batch ${Bk}/${Bv} of k/v does not match q's ${B}`);
  if (Dk !== D) fail('k.shape', `head dim ${Dk} does not match q's D=${D}`);
  if (Hv !== Hkv || Skv !== Sk) fail('v.shape', `${formatShape(v)} does not match k ${formatShape(k)} in heads/keys`);
  if (Hq % Hkv !== 0) fail('k.shape', `Hq=${Hq} is not a multiple of Hkv=${Hkv}`);
  if (opts) {
    if (!Number.isFinite(opts.scale)) fail('options.scale', `must be finite, got ${opts.scale}`);
    if (opts.keyLengths !== null) {
      if (opts.keyLengths.length !== B) fail('options.keyLengths', `has ${opts.keyLengths.length} entries, B=${B}`);
      opts.keyLengths.forEach((len, b) => {
        if (!Number.isInteger(len) || len < 0 || len > Sk)
          fail(`options.keyLengths[${b}]`, `must be an integer in [0, ${Sk}], got ${len}`);
      });
    }
    if (opts.window !== null) {
      const [l, r] = opts.window;
      if (!Number.isInteger(l) || !Number.isInteger(r) || l < -1 || r < -1) {
        fail('options.window', `must be two integers >= -1, got [${l}, ${r}]`);
      }
    }
    if (opts.mask !== null) {
      const m = opts.mask.shape;
      const ok =
        m.length === 4 && (m[0] === 1 || m[0] === B) && (m[1] === 1 || m[1] === Hq) && m[2] === Sq && m[3] === Sk;
      if (!ok)
        fail(
          'options.mask.shape',
          `${formatShape(m)} does not broadcast to [B|1,Hq|1,Sq,Sk] = [${B}|1,${Hq}|1,${Sq},${Sk}]`,
        );
    }
    if (opts.dropout !== null && !(opts.dropout.p >= 0 && opts.dropout.p < 1)) {
      fail('options.dropout.p', `must be in [0, 1), got ${opts.dropout.p}`);
    }
    if (opts.softcap != null && !(Number.isFinite(opts.softcap) && opts.softcap > 0))
      fail('options.softcap', `must be a finite number > 0 or null, got ${opts.softcap}`);
    if (opts.alibiSlopes != null) {
      const a = opts.alibiSlopes.shape;
      const ok = (a.length === 1 && a[0] === Hq) || (a.length === 2 && a[0] === B && a[1] === Hq);
      if (!ok) fail('options.alibiSlopes.shape', `${formatShape(a)} must be [Hq] or [B, Hq] = [${Hq}] or [${B},${Hq}]`);
    }
    if (opts.bias != null) {
      const m = opts.bias.shape;
      const ok =
        m.length === 4 && (m[0] === 1 || m[0] === B) && (m[1] === 1 || m[1] === Hq) && m[2] === Sq && m[3] === Sk;
      if (!ok)
        fail(
          'options.bias.shape',
          `${formatShape(m)} does not broadcast to [B|1,Hq|1,Sq,Sk] = [${B}|1,${Hq}|1,${Sq},${Sk}]`,
        );
    }
    if (opts.sinks != null && !(opts.sinks.shape.length === 1 && opts.sinks.shape[0] === Hq)) {
      fail('options.sinks.shape', `${formatShape(opts.sinks.shape)} must be [Hq] = [${Hq}]`);
    }
  }
  return { B, Hq, Hkv, Sq, Sk, D, Dv };
}
