import { fillRoute, operationNamed } from '../../src/catalog/operations';
import { SEEDED_IDS } from '../graph-emulator/state';
import { callWithRetries, type RetryPolicy, type Seen } from '../reliability/callers';

/**
 * The load of one scale run: callers that write back to back for a fixed time, spread over the
 * facade hosts, each write sent with its own Idempotency-Key on every retry. Kept apart from the
 * run's set-up (suite.ts) and its figures (figures.ts) so that each can be read alone.
 */

/** One write a caller makes; `graphPath`, `field` and `value` let figures.ts find it in Graph. */
export interface Write {
  readonly method: 'POST' | 'PATCH';
  /** Under the facade's base URL. */
  readonly path: string;
  /** As the emulator records it: Graph's path without the version segment. */
  readonly graphPath: string;
  readonly body: Record<string, unknown>;
  readonly key: string;
  /** The property whose value is unique to this write (Graph's copy proves the write was applied). */
  readonly field: string;
  readonly value: string | number;
}

/** How one write ended for its caller. */
export interface Outcome {
  readonly write: Write;
  /** The last answer: final (not retried) or the one after which retries ran out. */
  readonly final: Seen;
  readonly attempts: number;
  /** From the first send to the final answer, the caller's waits between retries included. */
  readonly ms: number;
}

export interface LoadOptions {
  /** The facade hosts' base URLs (…/api); caller i writes to `baseUrls[i % length]`. */
  readonly baseUrls: readonly string[];
  readonly callers: number;
  /** How long callers keep starting writes. */
  readonly seconds: number;
  /** After `seconds`, how long writes under way may take to end before the run stops waiting. */
  readonly drainSeconds: number;
  readonly policy: RetryPolicy;
  /** A caller gives up on one request after this long (counted as no answer, and retried). */
  readonly requestTimeoutMs: number;
  /** Makes keys and user principal names unique to the run. */
  readonly runTag: string;
  /** Called once, when `seconds` have passed: the Graph figures are taken over exactly this window. */
  readonly atDeadline: () => void;
}

export interface LoadResult {
  readonly outcomes: Outcome[];
  /** Writes still under way when the drain ended; their callers were cut off. */
  readonly unfinished: number;
}

/** One create in five; the rest update the seeded summaries an application may update, in turn (the common case for callers). */
const CREATE_EVERY = 5;

const UPDATES = [
  { operation: 'UpdateMobileAppConfigurationUserStatusSummary', field: 'pendingCount' },
  { operation: 'UpdateDeviceCompliancePolicyUserStatusOverview', field: 'successCount' },
] as const;

/** The seeded parents, under the catalog's parameter names. */
const PARENTS = {
  configurationId: SEEDED_IDS.mobileAppConfiguration,
  mobileAppId: SEEDED_IDS.mobileApp,
  policyId: SEEDED_IDS.deviceCompliancePolicy,
};

/** The run's `sequence`-th write. Every value it carries is unique to it, so Graph's state shows whether it landed. */
export function writeNumber(sequence: number, runTag: string): Write {
  const key = `scale-${runTag}-${sequence}`;
  if (sequence % CREATE_EVERY === 0) {
    const create = operationNamed('CreateMobileAppConfigurationUserStatus');
    const userPrincipalName = `${key}@contoso.example`;
    return {
      method: 'POST',
      path: fillRoute(create.route, PARENTS),
      graphPath: fillRoute(create.graphPath, PARENTS),
      body: { userPrincipalName, status: 'compliant', devicesCount: 1 },
      key,
      field: 'userPrincipalName',
      value: userPrincipalName,
    };
  }
  const update = UPDATES[sequence % UPDATES.length] as (typeof UPDATES)[number];
  const operation = operationNamed(update.operation);
  return {
    method: 'PATCH',
    path: fillRoute(operation.route, PARENTS),
    graphPath: fillRoute(operation.graphPath, PARENTS),
    body: { [update.field]: sequence },
    key,
    field: update.field,
    value: sequence,
  };
}

/**
 * Runs the callers and answers how each write ended. Bounded in time: no write starts after
 * `seconds`, and `drainSeconds` later the run is cut off. A cut-off caller's requests are aborted
 * and its later attempts are answered 499 without leaving the process (499 is not retried), so
 * that nothing of this run reaches the next run's hosts.
 */
export async function driveLoad(options: LoadOptions): Promise<LoadResult> {
  const outcomes: Outcome[] = [];
  const halt = new AbortController();
  const inFlight = new Set<number>();
  let sequence = 0;
  const deadline = performance.now() + options.seconds * 1000;
  // The Graph figures' window closes once: at the deadline, or when the load ends, whichever is first.
  let windowOpen = true;
  const closeWindow = () => {
    if (windowOpen) options.atDeadline();
    windowOpen = false;
  };
  const deadlineTimer = setTimeout(closeWindow, options.seconds * 1000);

  const send = (url: string, write: Write) => (): Promise<Response> =>
    halt.signal.aborted
      ? Promise.resolve(new Response(null, { status: 499 }))
      : fetch(url, {
          method: write.method,
          headers: { 'content-type': 'application/json', 'idempotency-key': write.key },
          body: JSON.stringify(write.body),
          signal: halt.signal,
        });

  const caller = async (index: number): Promise<void> => {
    const baseUrl = options.baseUrls[index % options.baseUrls.length] as string;
    while (performance.now() < deadline && !halt.signal.aborted) {
      sequence += 1;
      const number = sequence;
      const write = writeNumber(number, options.runTag);
      inFlight.add(number);
      const started = performance.now();
      const seen = await callWithRetries(options.policy, send(`${baseUrl}/${write.path}`, write), {
        timeoutMs: options.requestTimeoutMs,
      });
      // A write cut off by the halt is counted as unfinished, not by the 499 it was answered.
      if (halt.signal.aborted) return;
      inFlight.delete(number);
      outcomes.push({ write, final: seen.at(-1) as Seen, attempts: seen.length, ms: performance.now() - started });
    }
  };

  const callers = Promise.all(Array.from({ length: options.callers }, (_, index) => caller(index)));
  let cutOff: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      callers,
      new Promise<void>((resolve) => (cutOff = setTimeout(resolve, (options.seconds + options.drainSeconds) * 1000))),
    ]);
  } finally {
    clearTimeout(deadlineTimer);
    clearTimeout(cutOff);
    closeWindow();
  }
  const unfinished = inFlight.size;
  halt.abort();
  return { outcomes, unfinished };
}
