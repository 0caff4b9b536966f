/**
 * Callers as the facade meets them: the default retry policies of Logic Apps and of a careful
 * webhook, each sending the same Idempotency-Key on every retry. Shared by the reliability
 * suite and the end-to-end tests, so that both drive the facade on the same schedule.
 */

/** How a caller retries. Times can be scaled down together for quick runs. */
export interface RetryPolicy {
  readonly name: string;
  readonly retries: number;
  /** Exponential interval: retry n waits about intervalMs × 2^(n−1), with ±20% jitter, clamped to [minMs, maxMs]. */
  readonly intervalMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  /** Statuses whose Retry-After the caller waits for (Logic Apps: 429 only; it polls a 202 on its own). */
  readonly honoursRetryAfterOn: (status: number) => boolean;
  /**
   * Follows a 202 as Logic Apps and Power Automate do by default: polls its Location, after its
   * Retry-After (20 s without one), until an answer other than 202, which ends the action.
   */
  readonly followsAccepted: boolean;
}

/** Polls of one 202 at most; the caller's own timeout bounds them too. */
const MAX_POLLS = 100;
/** Logic Apps' poll interval when a 202 names none. */
const DEFAULT_POLL_MS = 20_000;

/** Logic Apps' default: 4 retries on timeouts, 408, 429 and 5xx, exponential by 7.5 s, between 5 and 45 s; Retry-After honoured on 429. */
export const LOGIC_APPS_DEFAULT: RetryPolicy = {
  name: 'Logic Apps default',
  retries: 4,
  intervalMs: 7500,
  minMs: 5000,
  maxMs: 45_000,
  honoursRetryAfterOn: (status) => status === 429,
  followsAccepted: true,
};

/** A caller that waits for every Retry-After it is given: it proves each one was honest. */
export const HONOURS_EVERY_RETRY_AFTER: RetryPolicy = {
  ...LOGIC_APPS_DEFAULT,
  name: 'honours every Retry-After',
  honoursRetryAfterOn: () => true,
};

/** The same policy with every time multiplied by `factor`. */
export function scaled(policy: RetryPolicy, factor: number): RetryPolicy {
  return { ...policy, intervalMs: policy.intervalMs * factor, minMs: policy.minMs * factor, maxMs: policy.maxMs * factor };
}

/** A webhook sender: one request, no retry, and a 202 counts as delivered. */
export const WEBHOOK_NO_RETRY: RetryPolicy = {
  name: 'webhook, no retry',
  retries: 0,
  intervalMs: 0,
  minMs: 0,
  maxMs: 0,
  honoursRetryAfterOn: () => false,
  followsAccepted: false,
};

/** Power Automate's "low" retry profile: 2 retries, exponential by 7 s; Retry-After honoured on 429; 202s polled. */
export const POWER_AUTOMATE_LOW: RetryPolicy = {
  name: 'Power Automate low',
  retries: 2,
  intervalMs: 7000,
  minMs: 5000,
  maxMs: 900_000,
  honoursRetryAfterOn: (status) => status === 429,
  followsAccepted: true,
};

/**
 * How a caller asks for its write: waiting for it (`sync`, the write handed over as 202 only when
 * it ends in doubt), or asking the app to finish it, with `Prefer: respond-async` or, for a
 * caller that can set only a URL, `?respond=async`.
 */
export type AsksFor = 'sync' | 'prefer-header' | 'query';

/** A kind of caller the reliability suite drives: its retry schedule and how it asks. */
export interface CallerKind {
  /** The name the figures give it. */
  readonly profile: string;
  readonly policy: RetryPolicy;
  readonly asks: AsksFor;
}

export const CALLER_KINDS = {
  logicAppsDefault: { profile: 'logic-apps-default', policy: LOGIC_APPS_DEFAULT, asks: 'sync' },
  honoursRetryAfter: { profile: 'honours-retry-after', policy: HONOURS_EVERY_RETRY_AFTER, asks: 'sync' },
  webhookNoRetry: { profile: 'webhook-no-retry', policy: WEBHOOK_NO_RETRY, asks: 'query' },
  powerAutomateLow: { profile: 'power-automate-low', policy: POWER_AUTOMATE_LOW, asks: 'sync' },
  logicAppsAsync: { profile: 'logic-apps-async', policy: LOGIC_APPS_DEFAULT, asks: 'prefer-header' },
} as const satisfies Record<string, CallerKind>;

/** The request a caller of this kind sends for a write: its URL and headers. */
export function asked(
  kind: CallerKind,
  url: string,
  headers: Record<string, string>,
): { url: string; headers: Record<string, string> } {
  if (kind.asks === 'query') return { url: `${url}${url.includes('?') ? '&' : '?'}respond=async`, headers };
  if (kind.asks === 'prefer-header') return { url, headers: { ...headers, prefer: 'respond-async' } };
  return { url, headers };
}

/** Statuses the callers retry; neither Logic Apps nor Power Automate retries a 409 or another 4xx. */
export const isRetried = (status: number): boolean => status === 0 || status === 408 || status === 429 || status >= 500;

/** The wait before retry `retry` (1-based) after an answer with this status and Retry-After. */
export function retryDelayMs(
  policy: RetryPolicy,
  retry: number,
  status: number,
  retryAfter: string | null,
  random: () => number = Math.random,
): number {
  const exponential = policy.intervalMs * 2 ** (retry - 1) * (0.8 + 0.4 * random());
  const scheduled = Math.min(policy.maxMs, Math.max(policy.minMs, exponential));
  const told = retryAfter !== null && policy.honoursRetryAfterOn(status) ? Number(retryAfter) * 1000 : Number.NaN;
  return Number.isFinite(told) ? told : scheduled;
}

/** One answer a caller saw. */
export interface Seen {
  readonly status: number;
  readonly retryAfter: string | null;
  readonly location: string | null;
  readonly replayed: boolean;
  readonly text: string;
  readonly ms: number;
}

/** Polls a 202's Location until an answer other than 202, as the platforms do; every poll is seen. */
async function pollAccepted(policy: RetryPolicy, accepted: Seen, seen: Seen[], options: CallOptions): Promise<Seen[]> {
  let last = accepted;
  for (let poll = 0; poll < MAX_POLLS && last.status === 202 && last.location; poll++) {
    const waitMs = last.retryAfter !== null ? Number(last.retryAfter) * 1000 : DEFAULT_POLL_MS;
    await new Promise((resolve) => setTimeout(resolve, Number.isFinite(waitMs) ? waitMs : DEFAULT_POLL_MS));
    const location: string = last.location;
    // A poll that fails is retried on the caller's schedule, as the platforms retry their polls.
    const polls = await callWithRetries({ ...policy, followsAccepted: false }, () => (options.poll ?? fetch)(location), options);
    seen.push(...polls);
    const polled = polls.at(-1) as Seen;
    last = { ...polled, location: polled.status === 202 ? (polled.location ?? location) : null };
  }
  return seen;
}

export interface CallOptions {
  /** One request's timeout (the caller's; Logic Apps' is 120 s). */
  readonly timeoutMs?: number;
  /** How a poll of a 202's Location is sent (a front end may route it); `fetch` unless given. */
  readonly poll?: (url: string) => Promise<Response>;
}

/**
 * One action as the caller runs it: the request, then retries on its schedule until an answer
 * it does not retry, or its retries run out. Returns every answer seen, the last one final.
 */
export async function callWithRetries(
  policy: RetryPolicy,
  send: () => Promise<Response>,
  options: CallOptions = {},
): Promise<Seen[]> {
  const seen: Seen[] = [];
  for (let retry = 0; ; retry++) {
    const started = performance.now();
    let answer: Seen;
    try {
      const response = await Promise.race([
        send(),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error('caller timeout')), options.timeoutMs ?? 120_000).unref(),
        ),
      ]);
      const text = await response.text();
      answer = {
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        location: response.headers.get('location'),
        replayed: response.headers.get('idempotent-replayed') === 'true',
        text,
        ms: performance.now() - started,
      };
    } catch {
      answer = { status: 0, retryAfter: null, location: null, replayed: false, text: '', ms: performance.now() - started };
    }
    seen.push(answer);
    if (answer.status === 202 && answer.location && policy.followsAccepted) return pollAccepted(policy, answer, seen, options);
    if (!isRetried(answer.status) || retry >= policy.retries) return seen;
    await new Promise((resolve) => setTimeout(resolve, retryDelayMs(policy, retry + 1, answer.status, answer.retryAfter)));
  }
}
