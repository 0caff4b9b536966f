/**
 * A per-instance token bucket for writes to Graph. Intune allows 100 writes per 20 s per app per
 * tenant; keeping each instance under its share means a burst of callers waits here briefly
 * instead of bouncing off Graph with 429s. A reservation may make the bucket negative: that is
 * the queue, and each later caller waits for its own turn.
 */
export class WriteLimiter {
  private tokens: number;
  private updatedAt: number;
  private readonly refillPerMs: number;

  constructor(
    readonly writesPer20Seconds: number,
    readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.updatedAt = now();
    this.refillPerMs = writesPer20Seconds / 20_000;
  }

  /** Takes a turn and says how long to wait for it; undefined (and nothing taken) if longer than `maxWaitMs`. */
  reserve(maxWaitMs: number): number | undefined {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.updatedAt) * this.refillPerMs);
    this.updatedAt = now;
    const waitMs = this.tokens >= 1 ? 0 : Math.ceil((1 - this.tokens) / this.refillPerMs);
    if (waitMs > maxWaitMs) return undefined;
    this.tokens -= 1;
    return waitMs;
  }

  /** How long a caller refused by `reserve` should wait before trying again. */
  waitForNextTurnMs(): number {
    return this.tokens >= 1 ? 0 : Math.ceil((1 - this.tokens) / this.refillPerMs);
  }
}
