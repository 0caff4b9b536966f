import { startPrivateAzurite } from '../azurite';
import type { EmulatorStats } from '../graph-emulator/server';
import { callWithRetries, HONOURS_EVERY_RETRY_AFTER, type Seen } from '../reliability/callers';
import type { BenchEmulator } from './emulator';
import { assertAlive, type Processes, startBenchHost } from './processes';
import { facadeRequest } from './targets';

/**
 * Write goodput under Intune's throttling: the emulator back to Graph as seen (Intune's real
 * 100 writes per 20 s per app, sliding; PATCH answered 204), the facade with its default write
 * budget shared through a private Azurite's table, and 20 callers writing back to back, each
 * honouring every Retry-After on Logic Apps' schedule. The share is the writes Graph applied per
 * 20 s over Intune's 100: how much of what Intune allows the facade turns into applied writes.
 */

const CALLERS = 20;
const INTUNE_WRITES_PER_WINDOW = 100;
const WINDOW_SECONDS = 20;
/** A caller waits this long for one answer: the facade's default 30 s time budget and a margin. */
const REQUEST_TIMEOUT_MS = 40_000;

export interface GoodputFigures {
  /** Writes Graph applied per 20 s, over Intune's 100. */
  readonly share: number;
  /** Writes Graph applied in the window. */
  readonly applied: number;
  readonly windowSeconds: number;
  /** Writes started in the window whose caller got a 2xx in the end (some end during the drain). */
  readonly succeeded: number;
  /** Writes whose caller ended without success: a final non-2xx answer, or retries run out. */
  readonly failed: number;
  /** Writes still under way when the drain ended: their callers were cut off. */
  readonly unfinished: number;
  /** Graph's 429s seen by the facade: the budget should keep these near 0. */
  readonly graphThrottled: number;
}

export async function measureWriteGoodput(
  emulator: BenchEmulator,
  processes: Processes,
  seconds: number,
  drainSeconds: number,
): Promise<GoodputFigures> {
  // Back to a fresh emulator: Intune throttling at its real limits, PATCH answered 204 as Intune does.
  await emulator.control('POST', '/reset');
  const azurite = await startPrivateAzurite();
  const stopAzurite = processes.add('Azurite', () => azurite.stop());
  try {
    const host = await startBenchHost(
      'goodput facade host',
      { ...emulator.environment, IdempotencyStorage: azurite.connectionString, GRAPH_BUDGET: 'shared' },
      processes,
    );
    try {
      const spec = facadeRequest(host.apiUrl, 'PATCH');
      // One read first, so that the token and the table clients are ready when the clock starts.
      await fetch(facadeRequest(host.apiUrl, 'GET').url).then((response) => response.arrayBuffer());
      await emulator.control('DELETE', '/stats');
      const halt = new AbortController();
      const inFlight = new Set<number>();
      const finals: Seen[] = [];
      let sequence = 0;
      const started = performance.now();
      const deadline = started + seconds * 1000;

      const caller = async (): Promise<void> => {
        while (performance.now() < deadline && !halt.signal.aborted) {
          const number = ++sequence;
          const key = `bench-${process.pid}-${number}`;
          const send = (): Promise<Response> =>
            halt.signal.aborted
              ? Promise.resolve(new Response(null, { status: 499 }))
              : fetch(spec.url, {
                  method: 'PATCH',
                  headers: { ...spec.headers, 'idempotency-key': key },
                  body: JSON.stringify({ pendingCount: number }),
                  signal: halt.signal,
                });
          inFlight.add(number);
          const seen = await callWithRetries(HONOURS_EVERY_RETRY_AFTER, send, { timeoutMs: REQUEST_TIMEOUT_MS });
          // A write cut off by the halt is counted as unfinished, not by the 499 it was answered.
          if (halt.signal.aborted) return;
          inFlight.delete(number);
          finals.push(seen.at(-1) as Seen);
        }
      };

      // Graph's counters are read once, when the callers stop starting writes: the window is exactly `seconds`.
      let atDeadline: EmulatorStats | undefined;
      const window = new Promise<void>((resolve) =>
        setTimeout(() => {
          void emulator.control('GET', '/stats').then((stats) => {
            atDeadline = stats as EmulatorStats;
            resolve();
          }, resolve);
        }, seconds * 1000),
      );
      const callers = Promise.all(Array.from({ length: CALLERS }, caller));
      await window;
      const windowSeconds = (performance.now() - started) / 1000;
      // Writes under way may end, for at most `drainSeconds`; then the rest are cut off.
      let cutOff: NodeJS.Timeout | undefined;
      await Promise.race([callers, new Promise<void>((resolve) => (cutOff = setTimeout(resolve, drainSeconds * 1000)))]).finally(
        () => clearTimeout(cutOff),
      );
      const unfinished = inFlight.size;
      halt.abort();
      assertAlive('goodput facade host', host);
      if (!atDeadline) throw new Error('could not read the emulator stats at the end of the window');
      const applied = atDeadline.applied.PATCH;
      const succeeded = finals.filter((seen) => seen.status >= 200 && seen.status < 300).length;
      return {
        share: applied / (windowSeconds / WINDOW_SECONDS) / INTUNE_WRITES_PER_WINDOW,
        applied,
        windowSeconds,
        succeeded,
        failed: finals.length - succeeded,
        unfinished,
        graphThrottled: atDeadline.throttled,
      };
    } finally {
      await host.stop();
    }
  } finally {
    await stopAzurite();
  }
}
