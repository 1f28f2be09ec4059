/**
 * How a case picks the form of its call when the op leaves something optional (an input given or
 * omitted, an output requested or not, a bool or float mask, a 3-D or 4-D layout): deterministically
 * from the case itself, so a replay builds the same model, and independently per choice, so every
 * form is reached across cases.
 *
 *   seed     FNV-1a over the bits of q's first 8 values. q is drawn from the case's seed, value by
 *            value in row-major order, so these are the same numbers whatever the shapes: a case keeps
 *            its forms while the shrinker makes it smaller (down to 8 elements of q), and two cases
 *            that differ in their seed differ here
 *   choice   FNV-1a of (seed, the choice's name), mixed by murmur3's finaliser (FNV's low bit is the
 *            parity of its input's low bits: without it every yes/no choice of a call came out the same),
 *            modulo the number of forms that can express the case
 *
 * The forms a case could not use (a past cache when Sq > Sk, nonpad_kv_seqlen before opset 24) are
 * left out before the pick, so the pick is always among forms that give the contract's meaning.
 */
import type { KnownIssue } from './known.js';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function fnv(h: number, x: number): number {
  let out = h;
  for (let s = 0; s < 32; s += 8) out = Math.imul(out ^ ((x >>> s) & 0xff), FNV_PRIME) >>> 0;
  return out;
}

/** murmur3's finaliser: every output bit depends on every input bit (FNV-1a's low bits do not mix). */
function fmix(h: number): number {
  let x = h;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

function fnvString(h: number, s: string): number {
  let out = h;
  for (let n = 0; n < s.length; n++) out = fnv(out, s.charCodeAt(n));
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The seed of a call: the bits of q's first 8 values (see the header). */
export function formSeed(q: ArrayLike<number>): number {
  let h = FNV_OFFSET;
  for (let n = 0; n < Math.min(8, q.length); n++) {
    f32[0] = q[n]!;
    h = fnv(h, u32[0]!);
  }
  return h;
}

/** The choices of one call, each named; `chosen` records them for reports and repros. */
export class Forms {
  readonly chosen: Record<string, string> = {};

  /**
   * `pins`: choices fixed by name (tests); a pinned value the case cannot use is ignored. `drawKnown`:
   * also draw the forms of known upstream issues (known.ts), which are otherwise avoided.
   */
  constructor(
    readonly seed: number,
    readonly pins: Readonly<Record<string, string>> = {},
    readonly drawKnown = false,
  ) {}

  /** True when the forms of a known upstream issue are to be avoided (the default). */
  avoids(_issue: KnownIssue): boolean {
    return !this.drawKnown;
  }

  /** One of `options` (never empty), picked by the choice's name. */
  pick<T extends string>(name: string, options: readonly T[]): T {
    if (options.length === 0) throw new Error(`ort: no form can express '${name}'`);
    const pinned = options.find((x) => x === this.pins[name]);
    const value = pinned ?? options[fmix(fnvString(this.seed, name)) % options.length]!;
    this.chosen[name] = value;
    return value;
  }

  /** A yes/no choice, only when `allowed` (else false). */
  flag(name: string, allowed = true): boolean {
    return allowed && this.pick(name, ['no', 'yes'] as const) === 'yes';
  }

  /** The choices as one line: `rank=3D mask=bool past=yes`. */
  describe(): string {
    return Object.entries(this.chosen)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
  }
}

/** How a kernel draws its forms: pinned choices, and whether known upstream issues are drawn too. */
export interface FormOptions {
  readonly pins?: Readonly<Record<string, string>>;
  readonly drawKnown?: boolean;
}

/** The forms of a call whose q is `q`. */
export const formsOf = (q: ArrayLike<number>, o: FormOptions = {}): Forms =>
  new Forms(formSeed(q), o.pins, o.drawKnown);
