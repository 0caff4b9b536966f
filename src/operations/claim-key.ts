import type { Clock } from '../clock';
import { MIN_ATTEMPT_MS } from '../graph/retry-policy';
import { retryAfterSeconds } from '../http/headers';
import { problemResponse } from '../http/problem';
import type { HttpAnswer } from '../http/response';
import type { IdempotencyRecord, IdempotencyStore, Lease, StoredResponse } from '../idempotency';
import type { Execution } from './plan';
import type { EarlierInDoubt, Settlement } from './write-rules';

/** A key's lease outlives the time budget a little, so that a live attempt is never taken over. */
export const LEASE_MARGIN_MS = 15_000;
/** How often a request waiting for an earlier attempt with its key looks again. */
const POLL_MS = 250;
/** What a request that waited must still have of its budget to do its own work: one attempt. */
const WORK_RESERVE_MS = MIN_ATTEMPT_MS;

/** How the Idempotency-Key was used, for the log line. */
export type KeyUse = 'new' | 'replayed' | 'took-over-in-doubt' | 'refused';

export interface KeyedExecution extends Execution {
  readonly keyUse: KeyUse;
  /** Set when the key's record could not be read or written. */
  readonly storeFailure?: string;
}

export interface IdempotencyKeyStep {
  readonly store: IdempotencyStore;
  readonly key: string;
  readonly fingerprint: string;
  readonly deadlineMs: number;
  readonly inDoubtWindowMs: number;
  readonly clock: Clock;
}

/**
 * A write under an Idempotency-Key: claims the key, runs the write (told of an earlier attempt in
 * doubt), and settles the key by what the write rules decided. It decides nothing about Graph
 * itself: a stored answer is replayed, a key reused for another request is refused, and a request
 * that arrives while an earlier one with its key is running waits for it (callers do not retry
 * a 409, so refusing would fail their run).
 */
export async function underIdempotencyKey(
  step: IdempotencyKeyStep,
  run: (earlier: EarlierInDoubt | undefined) => Promise<Execution>,
): Promise<KeyedExecution> {
  let claim;
  try {
    claim = await claimWaiting(step);
  } catch (error) {
    // Without the record the key cannot be honoured: nothing is sent, and the caller retries.
    return refused(
      problemResponse('idempotency-store-unavailable', {
        detail:
          'The store of Idempotency-Key records could not be reached, so nothing was sent to Graph; send the request again after Retry-After seconds.',
        headers: { 'retry-after': '5' },
      }),
      `idempotency store: ${(error as Error).message}`,
    );
  }
  switch (claim.kind) {
    case 'replay':
      return { response: replay(claim.response), settlement: { kind: 'final' }, exchange: undefined, keyUse: 'replayed' };
    case 'in-progress':
      return putOff(
        problemResponse('idempotency-key-in-progress', {
          detail:
            'A request with this Idempotency-Key is still being processed; send it again after Retry-After seconds to get its answer.',
          headers: { 'retry-after': retryAfterSeconds(claim.leaseUntil - step.clock.now()) },
        }),
        claim.leaseUntil,
      );
    case 'mismatch':
      return refused(keyReusedProblem());
  }
  const earlier = claim.takenOver && earlierInDoubt(claim.takenOver, step.inDoubtWindowMs);
  // Should `run` throw, the key is left to its lease: its expiry makes the next attempt treat the write as in doubt.
  const execution = await run(earlier);
  try {
    await settle(step.store, claim.lease, execution.settlement, execution.response);
  } catch (error) {
    // Graph's answer stands; the record stays in progress until its lease ends, and the next
    // attempt then treats the write as in doubt.
    return {
      ...execution,
      keyUse: earlier ? 'took-over-in-doubt' : 'new',
      storeFailure: `idempotency store: ${(error as Error).message}`,
    };
  }
  return { ...execution, keyUse: earlier ? 'took-over-in-doubt' : 'new' };
}

/** Claims the key, waiting while an earlier attempt holds it, as long as the budget leaves room for this one's work. */
async function claimWaiting(step: IdempotencyKeyStep) {
  for (;;) {
    const leaseMs = step.deadlineMs - step.clock.now() + LEASE_MARGIN_MS;
    const claim = await step.store.claim(step.key, step.fingerprint, leaseMs);
    if (claim.kind !== 'in-progress' || step.clock.now() + POLL_MS + WORK_RESERVE_MS > step.deadlineMs) return claim;
    await step.clock.sleep(POLL_MS);
  }
}

/**
 * What an earlier attempt left: in doubt with the time it may be looked for, or, when its
 * holder vanished without settling, in doubt from the end of its lease plus the window.
 */
function earlierInDoubt(record: IdempotencyRecord, windowMs: number): EarlierInDoubt {
  if (record.state === 'in-doubt') return { lookFromMs: record.lookFromMs ?? record.leaseUntil };
  return { lookFromMs: record.leaseUntil + windowMs };
}

async function settle(store: IdempotencyStore, lease: Lease, settlement: Settlement, response: HttpAnswer): Promise<void> {
  switch (settlement.kind) {
    case 'final':
      return store.complete(lease, storedAnswer(response));
    case 'freed':
      return store.release(lease);
    case 'in-doubt':
      return store.markInDoubt(lease, settlement.lookFromMs);
  }
}

function refused(response: HttpAnswer, storeFailure?: string): KeyedExecution {
  return {
    response,
    settlement: { kind: 'freed' },
    exchange: undefined,
    keyUse: 'refused',
    ...(storeFailure ? { storeFailure } : {}),
  };
}

/**
 * Put off, not failed: the attempt holding the key ends the write, or its lease ends `untilMs` and
 * the write is taken over in doubt. Nothing was sent by this request.
 */
function putOff(response: HttpAnswer, untilMs: number): KeyedExecution {
  return { response, settlement: { kind: 'freed', delayedUntilMs: untilMs }, exchange: undefined, keyUse: 'refused' };
}

/** What of an answer is kept to be given again: its status, body and the headers that describe them. */
const KEPT_HEADERS = ['content-type', 'location'];

/** An answer as it is kept, to be given again later (a replay, or an operation's final answer). */
export function storedAnswer(response: HttpAnswer): StoredResponse {
  const headers = new Headers(response.headers);
  const kept = Object.fromEntries(
    KEPT_HEADERS.flatMap((name) => (headers.has(name) ? [[name, headers.get(name) as string]] : [])),
  );
  return { status: response.status, headers: kept, body: typeof response.body === 'string' ? response.body : undefined };
}

/** A kept answer, given again. */
export function answerFromStore(response: StoredResponse): HttpAnswer {
  return { status: response.status, headers: response.headers, ...(response.body === undefined ? {} : { body: response.body }) };
}

function replay(response: StoredResponse): HttpAnswer {
  const answer = answerFromStore(response);
  return { ...answer, headers: { ...answer.headers, 'idempotent-replayed': 'true' } };
}

/** 422: the key was used for another request within its retention; the one wording for every way a key is met. */
export function keyReusedProblem(): HttpAnswer {
  return problemResponse('idempotency-key-reused', {
    detail:
      'This Idempotency-Key was used within the last 24 hours for a different request (method, path, Graph version or body); use a new key.',
  });
}
