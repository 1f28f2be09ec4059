/**
 * `--time` of a campaign: seconds (`90`), or with units (`90s`, `10m`, `1h`, `1h30m`), since
 * campaigns run for hours where `check` runs for seconds.
 */
import { InvalidArgumentError } from 'commander';

const UNIT: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/** Seconds, or throws commander's InvalidArgumentError (the message says what is accepted). */
export function durationSeconds(v: string): number {
  const text = v.trim();
  const plain = Number(text);
  if (text !== '' && Number.isFinite(plain)) {
    if (plain > 0) return plain;
  } else if (/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(text)) {
    const total = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)].reduce((a, m) => a + Number(m[1]) * UNIT[m[2]!]!, 0);
    if (total > 0) return total;
  }
  throw new InvalidArgumentError(
    `must be a positive duration: seconds (90) or with units (90s, 10m, 1h, 1h30m), got '${v}'`,
  );
}
