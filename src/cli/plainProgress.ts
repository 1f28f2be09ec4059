/**
 * Progress where no bar can be drawn (CI logs, pipes): one plain line every 10 s of the work's own
 * clock, written to stderr. Shared by `check` (progress.ts) and `fuzz` (campaignProgress.ts).
 */
import type { Io } from './io.js';

export const PLAIN_EVERY_MS = 10_000;

export interface PlainProgress<P> {
  readonly onProgress: (p: P) => void;
  readonly progressMs: number;
  stop(): void;
}

export function plainProgress<P extends { readonly elapsedMs: number }>(
  io: Io,
  line: (p: P) => string,
): PlainProgress<P> {
  let last = 0;
  return {
    onProgress: (p) => {
      if (p.elapsedMs - last < PLAIN_EVERY_MS) return;
      last = p.elapsedMs;
      io.err(`${line(p)}\n`);
    },
    progressMs: 1000,
    stop: () => {},
  };
}
