/**
 * The budget of a campaign: the three ways it stops taking work, and whether a new failure may
 * still be shrunk.
 *
 *   runs     the shard's case indices (stream.ts `shardCases`, below --runs, which counts the whole
 *            campaign's cases): when they run out no case is accepted and the campaign ends once
 *            the work in hand is done
 *   time     this shard's --time: at the deadline no new case and no new shrink
 *   signal   an abort (the CLI's SIGINT/SIGTERM): nothing new at all
 *
 * State:
 *   accepting   new cases are handed out (until the runs run out, the deadline or a signal)
 *   shrinking   a new failure may be shrunk; false after the deadline or a signal, when failures are
 *               saved as found
 *   ended       why the campaign stopped accepting: 'runs' until the deadline or a signal says
 *               otherwise (the deadline after the runs ran out leaves it 'runs')
 *   timer       the deadline's timer, while it is armed
 */
export type EndReason = 'time' | 'runs' | 'signal';

export class Budget {
  #accepting = true;
  #shrinking = true;
  #ended: EndReason = 'runs';
  private timer: NodeJS.Timeout | null = null;

  /** `cases`: the shard's case indices in order (stream.ts `shardCases`). */
  constructor(private readonly cases: Iterator<number>) {}

  get accepting(): boolean {
    return this.#accepting;
  }

  get shrinking(): boolean {
    return this.#shrinking;
  }

  get ended(): EndReason {
    return this.#ended;
  }

  /** The next case index of the shard; null once none is accepted (when they run out: ended by 'runs'). */
  nextCase(): number | null {
    if (!this.#accepting) return null;
    const n = this.cases.next();
    if (n.done) {
      this.#accepting = false;
      this.#ended = 'runs';
      return null;
    }
    return n.value;
  }

  /** The deadline passed: no new case (ended by 'time', unless it already stopped accepting), no new shrink. */
  expire(): void {
    if (this.#accepting) [this.#accepting, this.#ended] = [false, 'time'];
    this.#shrinking = false;
  }

  /** A stop signal: no new case, no new shrink. */
  stop(): void {
    [this.#accepting, this.#shrinking, this.#ended] = [false, false, 'signal'];
  }

  /** Calls `onDeadline` `timeMs` from now (never without a time budget), once. */
  armDeadline(timeMs: number | undefined, onDeadline: () => void): void {
    if (timeMs !== undefined) this.timer = setTimeout(onDeadline, timeMs);
  }

  /** Disarms the deadline (the campaign ended). */
  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
