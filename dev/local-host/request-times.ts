/**
 * When each request reached the host and when its answer went out, for the last requests it
 * served: what the platform counts as an instance's HTTP concurrency, seen from the instance
 * rather than from a load generator whose own sockets lag on a small machine.
 */
export interface RequestTimes {
  /** Starts timing one request; the returned function marks its answer sent. */
  arrived(): () => void;
  /** The timed requests, oldest first: milliseconds on this process's monotonic clock. */
  list(): readonly TimedRequest[];
}

export interface TimedRequest {
  readonly arrivedMs: number;
  /** Unset while the request is still open. */
  readonly answeredMs?: number;
}

/** Enough for a load run's requests; older ones are dropped so that a long-lived host stays small. */
const KEPT_REQUESTS = 20_000;

export function requestTimes(now: () => number = () => performance.now()): RequestTimes {
  const kept: { arrivedMs: number; answeredMs?: number }[] = [];
  return {
    arrived() {
      const timed: { arrivedMs: number; answeredMs?: number } = { arrivedMs: now() };
      kept.push(timed);
      if (kept.length > KEPT_REQUESTS) kept.splice(0, kept.length - KEPT_REQUESTS);
      return () => {
        timed.answeredMs ??= now();
      };
    },
    list: () => kept.map((timed) => ({ ...timed })),
  };
}

/**
 * The most requests open at once at any moment from `afterMs` past the first arrival on: open
 * means arrived and not yet answered (a request still open at the end counts until then).
 */
export function peakOpenAfter(requests: readonly TimedRequest[], afterMs: number): number {
  if (requests.length === 0) return 0;
  const from = Math.min(...requests.map((request) => request.arrivedMs)) + afterMs;
  let open = requests.filter((request) => request.arrivedMs <= from && (request.answeredMs ?? Infinity) > from).length;
  // After `from`, arrivals add one and answers take one away; an answer at the same instant as an arrival goes first.
  const changes = [
    ...requests.filter((request) => request.arrivedMs > from).map((request) => ({ atMs: request.arrivedMs, by: 1 })),
    ...requests
      .filter((request) => request.answeredMs !== undefined && request.answeredMs > from)
      .map((request) => ({ atMs: request.answeredMs as number, by: -1 })),
  ].sort((a, b) => a.atMs - b.atMs || a.by - b.by);
  let peak = open;
  for (const change of changes) {
    open += change.by;
    peak = Math.max(peak, open);
  }
  return peak;
}
