import autocannon from 'autocannon';

import { percentileOfSorted } from './numbers';

/**
 * One fixed-time load with autocannon, a well-kept HTTP/1.1 load generator: `connections`
 * keep-alive connections, each sending its next request as soon as the previous answer ends
 * (closed loop, no pipelining). Bounded in time: autocannon stops itself after `seconds`, and a
 * run that has not ended a margin later is stopped and refused.
 */

export interface RequestSpec {
  /** Full URL: origin, path and query. */
  readonly url: string;
  readonly method: 'GET' | 'PATCH';
  readonly headers: Record<string, string>;
  readonly body?: string;
  /** For HTTPS targets: the certificate to trust. */
  readonly ca?: Buffer;
}

export interface LoadResult {
  /** 2xx answers in the run. */
  readonly ok: number;
  /** Other answers, errors (resets, refused connections) and timeouts. */
  readonly failed: number;
  /** Status codes seen, with counts (a non-2xx one says what went wrong). */
  readonly statuses: Record<string, number>;
  readonly seconds: number;
  /** 2xx answers per second. */
  readonly rps: number;
  /** Latency of 2xx answers, in milliseconds (NaN if none). */
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** Latency samples kept per run: far above what 2 cores serve in a few seconds, and 8 MB at most. */
const MAX_SAMPLES = 1_000_000;
/** One buffer for every run (runs never overlap), rather than 8 MB of garbage per run. */
const samples = new Float64Array(MAX_SAMPLES);

/** How long after its planned end a run may take to report before it is stopped as hung. */
const OVERRUN_MS = 15_000;

export async function runLoad(spec: RequestSpec, connections: number, seconds: number): Promise<LoadResult> {
  const instance = autocannon({
    url: spec.url,
    connections,
    duration: seconds,
    method: spec.method,
    headers: spec.headers,
    ...(spec.body === undefined ? {} : { body: spec.body }),
    timeout: 10,
    // autocannon notices its end at its next sample: sampling often keeps that overrun short.
    sampleInt: 100,
    // autocannon itself never verifies certificates (it forces rejectUnauthorized off); the
    // certificate is still given, and the benchmark's preflight (targets.ts) verifies it.
    ...(spec.ca ? { servername: 'localhost', tlsOptions: { ca: spec.ca } } : {}),
  });
  // autocannon's own histogram has whole-millisecond resolution; the latencies it reports per
  // response are exact, so percentiles are taken from those (2xx only, as autocannon does).
  let count = 0;
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status >= 200 && status < 300 && count < MAX_SAMPLES) samples[count++] = ms;
  });
  let hung: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    instance,
    new Promise<never>((_, reject) => {
      hung = setTimeout(
        () => {
          instance.stop();
          reject(new Error(`load on ${spec.url} did not end within ${seconds} s + ${OVERRUN_MS} ms`));
        },
        seconds * 1000 + OVERRUN_MS,
      );
    }),
  ]).finally(() => clearTimeout(hung));
  const sorted = samples.subarray(0, count).sort(); // numeric: a typed array sorts by value
  const statuses = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count: n }]) => [code, n]));
  const ok = result['2xx'];
  return {
    ok,
    failed: result.non2xx + result.errors,
    statuses,
    seconds: result.duration,
    rps: result.duration > 0 ? ok / result.duration : 0,
    p50Ms: percentileOfSorted(sorted, 50),
    p99Ms: percentileOfSorted(sorted, 99),
  };
}
