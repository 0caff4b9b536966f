/**
 * The timing rules of the queue listener, as the Storage Queues extension applies them: how long
 * to wait before the next poll of a queue, and when to renew the invisibility of a message still
 * being processed. Pure, so that they are tested without waiting.
 */

/** The wait before the next poll, and how far the back-off has gone. */
export interface PollInterval {
  readonly delayMs: number;
  readonly exponent: number;
}

/** Before the first poll: no wait yet, no back-off. */
export const FIRST_POLL: PollInterval = { delayMs: 0, exponent: 0 };

/** The jitter: each step of the back-off is 80% to 120% of its nominal length. */
export const RANDOMIZATION_FACTOR = 0.2;

/**
 * The wait before the next poll of a queue, after a poll that found no message (randomized
 * exponential back-off). `foundSinceLastWait` says whether any poll since the previous wait found
 * messages: then the wait is back at the minimum and the back-off starts over. Otherwise each
 * empty poll adds minimum × 2^(n-1) × (0.8 to 1.2), up to `maximumMs`, where it stays. From
 * 100 ms: about 100, 200, 300, 500, 900, 1700 ms... `random` is in [0, 1).
 */
export function nextPollInterval(
  previous: PollInterval,
  foundSinceLastWait: boolean,
  bounds: { readonly minimumMs: number; readonly maximumMs: number },
  random: () => number = Math.random,
): PollInterval {
  if (foundSinceLastWait) return { delayMs: bounds.minimumMs, exponent: 1 };
  if (previous.delayMs === bounds.maximumMs) return previous;
  let delayMs = bounds.minimumMs;
  if (previous.exponent > 0) {
    const jitter = 1 - RANDOMIZATION_FACTOR + 2 * RANDOMIZATION_FACTOR * random();
    delayMs += jitter * 2 ** (previous.exponent - 1) * bounds.minimumMs;
  }
  return delayMs < bounds.maximumMs
    ? { delayMs, exponent: previous.exponent + 1 }
    : { delayMs: bounds.maximumMs, exponent: previous.exponent };
}

/**
 * The wait before the next renewal of a message's invisibility while its function runs: half the
 * visibility timeout it is held with, so that it never becomes visible to another poll; after
 * failed renewals, sooner (half, a third...), but not sooner than a minute (or the normal wait, if
 * shorter).
 */
export function nextRenewalDelay(holdMs: number, failedRenewals: number): number {
  const normal = holdMs / 2;
  if (failedRenewals === 0) return normal;
  return Math.max(normal / (failedRenewals + 1), Math.min(60_000, normal));
}
