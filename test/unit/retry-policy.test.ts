import { backoffMs, MAX_ATTEMPTS, MAX_RETRY_AFTER_MS, nextStep, parseRetryAfter } from '../../src/graph/retry-policy';

const plenty = 60_000;
const half = () => 0.5;

describe('the retry policy toward Graph', () => {
  test('429 is retried, honouring Retry-After', () => {
    expect(nextStep({ kind: 'answer', status: 429, retryAfter: '2.128' }, 1, plenty, true)).toEqual({
      retry: true,
      delayMs: 2128,
    });
  });

  test('503, 504 and broken connections are retried when the write rules allow a repeat', () => {
    expect(nextStep({ kind: 'answer', status: 503 }, 1, plenty, true, half).retry).toBe(true);
    expect(nextStep({ kind: 'answer', status: 504, retryAfter: '1' }, 1, plenty, true)).toEqual({ retry: true, delayMs: 1000 });
    expect(nextStep({ kind: 'network' }, 1, plenty, true, half).retry).toBe(true);
  });

  test('nothing is repeated when the write rules forbid it: the wait goes to the caller', () => {
    for (const ending of [{ kind: 'answer', status: 503 }, { kind: 'answer', status: 504 }, { kind: 'network' }] as const) {
      expect(nextStep(ending, 1, plenty, false, half)).toMatchObject({ retry: false });
    }
  });

  test('final answers and timeouts are not retried', () => {
    for (const status of [200, 201, 204, 400, 401, 403, 404, 409]) {
      expect(nextStep({ kind: 'answer', status }, 1, plenty, true)).toEqual({ retry: false });
    }
    // Another 5xx is not retried here, but the caller is told when it may try.
    expect(nextStep({ kind: 'answer', status: 501 }, 1, plenty, true, half)).toEqual({
      retry: false,
      retryAfterMs: backoffMs(1, half),
    });
    expect(nextStep({ kind: 'timeout' }, 1, plenty, true).retry).toBe(false);
  });

  test('408, 500 and 502 are retried too where the write rules allow, and only there', () => {
    for (const status of [408, 500, 502]) {
      expect(nextStep({ kind: 'answer', status }, 1, plenty, true, half)).toEqual({ retry: true, delayMs: backoffMs(1, half) });
      expect(nextStep({ kind: 'answer', status }, 1, plenty, false, half)).toEqual({
        retry: false,
        retryAfterMs: backoffMs(1, half),
      });
    }
  });

  test('no retry past the budget or the attempt limit: the wait goes to the caller', () => {
    expect(nextStep({ kind: 'answer', status: 429, retryAfter: '30' }, 1, 10_000, true)).toEqual({
      retry: false,
      retryAfterMs: 30_000,
    });
    expect(nextStep({ kind: 'answer', status: 429, retryAfter: '1' }, MAX_ATTEMPTS, plenty, true)).toMatchObject({
      retry: false,
      retryAfterMs: 1000,
    });
  });

  test('a Retry-After from Graph is bounded, whatever it says', () => {
    const now = Date.parse('2026-11-25T12:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2099 00:00:00 GMT', now)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter('99999999', now)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });

  test('Retry-After in seconds, fractional seconds or an HTTP date', () => {
    const now = Date.parse('2026-11-25T12:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('0.5', now)).toBe(500);
    expect(parseRetryAfter('Wed, 25 Nov 2026 12:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  test('backoff grows exponentially with jitter, capped', () => {
    expect(backoffMs(1, () => 0)).toBe(200);
    expect(backoffMs(1, () => 1)).toBe(400);
    expect(backoffMs(3, () => 1)).toBe(1600);
    expect(backoffMs(20, () => 1)).toBe(8000);
  });
});
