/**
 * The time every waiting part of the app reads and waits on. It is passed in, never read from
 * globals, so that the rules that depend on time (the in-doubt window, the budget's turns, a
 * key's lease) can be tested without real waits.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms` milliseconds (at once for zero or less). */
  sleep(ms: number): Promise<void>;
}

/** The system's clock and timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};
