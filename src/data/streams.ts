/**
 * Named random streams. Every tensor is drawn from its own stream, seeded with `${seed}/${name}`,
 * so adding, removing or resizing one tensor never changes the values of another, and a case's
 * data depends only on its seeds and shapes.
 */
import seedrandom from 'seedrandom';

/** A uniform source in [0, 1). */
export type Uniform = () => number;

/** The stream `name` of `seed` (seedrandom's default ARC4 generator: stable across versions). */
export function stream(seed: number, name: string): Uniform {
  const rng = seedrandom(`${seed >>> 0}/${name}`);
  return () => rng();
}

/** A standard normal sample by Box-Muller (u1 in (0, 1] so the log is finite). */
export function normal(u: Uniform): number {
  const u1 = 1 - u();
  const u2 = u();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** n standard normal samples. */
export function normals(u: Uniform, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) out[k] = normal(u);
  return out;
}

/** n integers uniform in [lo, hi]. */
export function integers(u: Uniform, n: number, lo: number, hi: number): Float64Array {
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) out[k] = lo + Math.floor(u() * (hi - lo + 1));
  return out;
}
