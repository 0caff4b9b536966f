import type { Operation } from '../catalog/operations';
import type { Clock } from '../clock';
import { retryAfterSeconds } from '../http/headers';
import { problemResponse } from '../http/problem';
import type { HttpAnswer } from '../http/response';
import { isStale, type OperationRecord } from '../idempotency';
import { answerFromStore, keyReusedProblem } from './claim-key';
import { pendingAnswer } from './operation-status';
import type { ValidRequest } from './validate';
import { type AsyncWriteDependencies, entityOfWrite, leaveLine, writeMessage } from './write-queue';

/** A write asked for asynchronously, validated, with what the worker needs to send it as the caller would have. */
export interface WriteToAccept {
  /** The operation's id: from the caller's Idempotency-Key when there is one (`operationIdFor`). */
  readonly id: string;
  /** The request's fingerprint (idempotency/records.ts `requestFingerprint`). */
  readonly fingerprint: string;
  readonly operation: Operation;
  readonly request: ValidRequest;
  /** Whether the id comes from the caller's Idempotency-Key, so that a retry may name it again. */
  readonly keyed: boolean;
  readonly clientRequestId: string;
  /** The caller the Graph budget counts the write against, when it runs. */
  readonly budgetAccount?: string;
  readonly requestUrl: string;
  readonly returnMinimal: boolean;
  /** The caller asked with `Prefer: respond-async`, so the answer says it was applied. */
  readonly preferred: boolean;
}

/**
 * How an accepted write starts: queued for its first run (not before `notBeforeMs`, when Graph
 * asked a synchronous attempt to wait), or left in doubt by a synchronous attempt.
 */
export type AcceptedAs =
  { readonly state: 'queued'; readonly notBeforeMs?: number } | { readonly state: 'in-doubt'; readonly notBeforeMs: number };

/**
 * Accepts a write for the app to finish itself: the record, then the queue message, are stored
 * before the 202 goes out, so a caller that never comes back loses nothing. With an
 * Idempotency-Key, every retry names the same operation and gets the same 202 and Location.
 * A write a synchronous attempt left in doubt is accepted as such: its message comes back when
 * it may be looked for.
 */
export async function acceptWrite(
  write: WriteToAccept,
  dependencies: AsyncWriteDependencies,
  clock: Clock,
  acceptedAs: AcceptedAs = { state: 'queued' },
): Promise<HttpAnswer> {
  const { operation, request } = write;
  const nowMs = clock.now();
  // The write comes up at its caller's pace (a slot taken for a retry of the same key is only one spacing lost).
  const pacedMs = dependencies.pacing?.takeSlot(write.budgetAccount, nowMs) ?? nowMs;
  const notBeforeMs = Math.max(acceptedAs.notBeforeMs ?? nowMs, pacedMs);
  const record: OperationRecord = {
    id: write.id,
    state: acceptedAs.state,
    ...(acceptedAs.notBeforeMs === undefined && notBeforeMs === nowMs ? {} : { notBeforeMs }),
    write: {
      operationName: operation.name,
      params: request.params,
      version: request.version,
      body: request.body ?? null,
      clientRequestId: write.clientRequestId,
      ...(write.budgetAccount === undefined ? {} : { budgetAccount: write.budgetAccount }),
      requestUrl: write.requestUrl,
      returnMinimal: write.returnMinimal,
    },
    fingerprint: write.fingerprint,
    acceptedAt: nowMs,
    updatedAt: nowMs,
    runs: acceptedAs.state === 'in-doubt' ? 1 : 0,
  };
  let kept: { created: boolean; record: OperationRecord } | undefined;
  const entity = entityOfWrite(operation, request.params);
  try {
    kept = await dependencies.operations.accept(record);
    if (kept.record.fingerprint !== record.fingerprint) {
      return keyReusedProblem();
    }
    // Finished already: a retry of its key is answered with the write's answer, as a synchronous retry is.
    if (kept.record.state === 'done' && kept.record.response) {
      const finished = answerFromStore(kept.record.response);
      return { ...finished, headers: { ...finished.headers, 'idempotent-replayed': 'true' } };
    }
    const maybeLost = isStale(kept.record, nowMs);
    // An update or delete takes its place in its entity's line before its message can run.
    if (entity) await dependencies.lines.join(entity, record.id);
    const visibilityDelayMs = Math.max(0, notBeforeMs - nowMs);
    if (kept.created || maybeLost) await dependencies.queue.send(writeMessage(record.id), { visibilityDelayMs });
  } catch (error) {
    // Not accepted: nothing of it may stay to hold its entity's line or answer a retry of its key.
    if (kept?.created) await rollBack(record.id, entity, dependencies).catch(() => undefined);
    return problemResponse('write-not-accepted', {
      detail: `The write could not be stored for the app to finish (${(error as Error).message.slice(0, 200)}), so nothing will be sent; send the request again after Retry-After seconds${write.keyed ? ', with the same Idempotency-Key' : ''}.`,
      headers: { 'retry-after': retryAfterSeconds(5000) },
    });
  }
  const answer = pendingAnswer(kept.record, write.requestUrl, nowMs, await expectedWaitMs(dependencies));
  return write.preferred ? { ...answer, headers: { ...answer.headers, 'preference-applied': 'respond-async' } } : answer;
}

/**
 * About how long an accepted write waits for its turn: the writes queued before it, spaced as the
 * app's budget spaces them. An estimate for Retry-After, never a promise; unknown, it is none.
 */
async function expectedWaitMs(dependencies: AsyncWriteDependencies): Promise<number> {
  const queued = await dependencies.queue.approximateLength().catch(() => 0);
  return queued * dependencies.writeSpacingMs;
}

/** Takes a write that could not be accepted out of its entity's line, then forgets its record. */
async function rollBack(id: string, entity: string | undefined, dependencies: AsyncWriteDependencies): Promise<void> {
  if (entity) await leaveLine(entity, id, dependencies);
  await dependencies.operations.forget(id);
}
