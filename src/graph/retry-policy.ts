import type { AttemptEnding } from './attempt';

export type RetryStep =
  { readonly retry: true; readonly delayMs: number } | { readonly retry: false; readonly retryAfterMs?: number };

export const MAX_ATTEMPTS = 5;
/** An attempt is only started with at least this much of the budget left: a shorter one could only time out. */
export const MIN_ATTEMPT_MS = 2000;
/**
 * The longest wait the facade takes from Graph's Retry-After, or passes on. Intune counts in
 * windows of 20 s; a value far beyond a few windows is a clock or parsing accident (an HTTP date
 * in another year), and a caller told to wait hours would give up on a write that would succeed.
 */
export const MAX_RETRY_AFTER_MS = 120_000;
const BASE_BACKOFF_MS = 400;
const MAX_BACKOFF_MS = 8000;

/** Retry-After in milliseconds: seconds (fractional allowed, as Graph sends `2.128`) or an HTTP date, bounded by MAX_RETRY_AFTER_MS. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  // Delay-seconds, or an HTTP date (IMF-fixdate starts with the day name); nothing else is guessed at.
  const ms = /^\d+(\.\d+)?$/.test(trimmed)
    ? Number(trimmed) * 1000
    : /^[A-Za-z]{3}, /.test(trimmed)
      ? Date.parse(trimmed) - now
      : Number.NaN;
  return Number.isNaN(ms) ? undefined : Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}

/** Exponential backoff with jitter (half to full of the exponential step), for answers without Retry-After. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const exponential = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** (attempt - 1));
  return Math.round(exponential * (0.5 + random() / 2));
}

/** Graph statuses that may go away when asked again: throttling, timeouts and server failures. */
const TRANSIENT_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

/** Whether Graph may simply be asked again after this ending, if the write rules allow a repeat. */
function isTransient(ending: AttemptEnding): boolean {
  return ending.kind === 'network' || (ending.kind === 'answer' && TRANSIENT_STATUSES.has(ending.status));
}

/**
 * The one retry policy toward Graph: transient endings (429, 503, 504, a broken connection) are
 * retried with Graph's Retry-After or exponential backoff, while the time budget allows. Whether
 * a write may be sent again at all after a given ending is not decided here: `mayRepeat` comes
 * from the write rules (src/operations/write-rules.ts), so a create that may have been applied is never
 * repeated by this loop. Nothing is retried past the budget: the wait goes to the caller instead.
 */
export function nextStep(
  ending: AttemptEnding,
  attempt: number,
  remainingMs: number,
  mayRepeat: boolean,
  random: () => number = Math.random,
): RetryStep {
  if (ending.kind === 'token') return { retry: false, retryAfterMs: 5000 };
  if (ending.kind === 'timeout') return { retry: false, retryAfterMs: backoffMs(attempt, random) };
  const delayMs = (ending.kind === 'answer' ? parseRetryAfter(ending.retryAfter) : undefined) ?? backoffMs(attempt, random);
  if (!isTransient(ending)) {
    // Another 5xx the caller may still retry is told when; a refusal is final.
    return ending.kind === 'answer' && ending.status >= 500 ? { retry: false, retryAfterMs: delayMs } : { retry: false };
  }
  const retry = mayRepeat && attempt < MAX_ATTEMPTS && delayMs + MIN_ATTEMPT_MS <= remainingMs;
  return retry ? { retry: true, delayMs } : { retry: false, retryAfterMs: delayMs };
}
