import type { HttpMethod } from '../operations/catalog';

/** How one attempt to reach Graph ended. */
export type AttemptOutcome =
  | { readonly kind: 'answer'; readonly status: number; readonly retryAfter?: string }
  | { readonly kind: 'network' }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'token' };

export type RetryStep =
  | { readonly retry: true; readonly delayMs: number }
  | { readonly retry: false; readonly retryAfterMs?: number; readonly maybeApplied: boolean };

export const MAX_ATTEMPTS = 5;
/** An attempt is only started with at least this much of the budget left: a shorter one could only time out. */
export const MIN_ATTEMPT_MS = 2000;
const BASE_BACKOFF_MS = 400;
const MAX_BACKOFF_MS = 8000;

/** Retry-After in milliseconds: seconds (fractional allowed, as Graph sends `2.128`) or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Exponential backoff with jitter (half to full of the exponential step), for answers without Retry-After. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const exponential = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** (attempt - 1));
  return Math.round(exponential * (0.5 + random() / 2));
}

/**
 * The one retry policy toward Graph. A 429 is retried for every method: Graph refused it before
 * doing anything. A 503, a 504 or a broken connection is retried only where repeating cannot
 * duplicate a change (GET, PATCH, DELETE); after a POST it may mean the create was applied, so
 * it is reported as such and never sent again here. Nothing is retried past the time budget:
 * the wait is handed to the caller instead.
 */
export function nextStep(
  method: HttpMethod,
  outcome: AttemptOutcome,
  attempt: number,
  remainingMs: number,
  random: () => number = Math.random,
): RetryStep {
  const isPost = method === 'POST';
  const retryWithin = (delayMs: number, maybeApplied: boolean): RetryStep =>
    attempt < MAX_ATTEMPTS && delayMs + MIN_ATTEMPT_MS <= remainingMs ? { retry: true, delayMs } : { retry: false, retryAfterMs: delayMs, maybeApplied };

  switch (outcome.kind) {
    case 'answer': {
      const { status } = outcome;
      const delay = parseRetryAfter(outcome.retryAfter) ?? backoffMs(attempt, random);
      if (status === 429) return retryWithin(delay, false);
      if (status === 503 || status === 504) {
        return isPost ? { retry: false, retryAfterMs: delay, maybeApplied: true } : retryWithin(delay, false);
      }
      return { retry: false, maybeApplied: false };
    }
    case 'network':
      return isPost ? { retry: false, retryAfterMs: backoffMs(attempt, random), maybeApplied: true } : retryWithin(backoffMs(attempt, random), false);
    case 'timeout':
      return { retry: false, retryAfterMs: backoffMs(attempt, random), maybeApplied: isPost };
    case 'token':
      return { retry: false, retryAfterMs: 5000, maybeApplied: false };
  }
}
