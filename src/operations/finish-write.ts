import { CATALOG } from '../catalog/operations';
import { problemResponse } from '../http/problem';
import type { HttpAnswer } from '../http/response';
import { isStale, type OperationRecord, RETENTION_MS } from '../idempotency';
import { storedAnswer, underIdempotencyKey } from './claim-key';
import { execute } from './execute';
import { graphCallFor, type OperationDependencies } from './pipeline';
import type { CallPlan } from './plan';
import { validateRequest } from './validate';
import { type AsyncWriteDependencies, entityOfWrite, operationKey, writeMessage } from './write-queue';

/** What a worker's run did with an operation, for its log record. */
export type FinishOutcome =
  | { readonly kind: 'done'; readonly status: number }
  | { readonly kind: 'again-later'; readonly state: 'waiting' | 'in-doubt'; readonly afterMs: number }
  | { readonly kind: 'skipped'; readonly why: string };

/** A write still unfinished this long after it was accepted ends with its last answer, before its record expires. */
const GIVE_UP_AFTER_MS = RETENTION_MS - 60 * 60_000;

/**
 * One run of the worker for an accepted write: the same steps as a synchronous call (validate,
 * claim the operation's own key, create / update / delete under the write rules), with no caller
 * waiting. The write ends `done` with the answer the synchronous call would have given; or it is
 * put back on the queue, to come back when Graph's Retry-After has passed or, in doubt, when it
 * may be looked for. Waiting holds no connection and no instance: the queue holds the message.
 */
export async function finishWrite(
  operationId: string,
  dependencies: OperationDependencies & { readonly async: AsyncWriteDependencies },
): Promise<FinishOutcome> {
  const { clock } = dependencies;
  const { operations, queue } = dependencies.async;
  const record = await operations.read(operationId);
  if (!record) return { kind: 'skipped', why: 'no such operation (expired, or never accepted)' };
  if (record.state === 'done') return { kind: 'skipped', why: 'already done' };
  const operation = CATALOG.find((candidate) => candidate.name === record.write.operationName);
  const valid =
    operation &&
    validateRequest(
      operation,
      record.write.params,
      new URLSearchParams({ graphVersion: record.write.version }),
      record.write.body ?? undefined,
    );
  // The entity whose line the operation holds a place in: it leaves the line when done.
  const entity = operation && valid?.ok ? entityOfWrite(operation, valid.value.params) : undefined;
  if (!operation || !valid?.ok) {
    // Only a change of the app between acceptance and now can bring this; the write is not sent.
    return finish(
      record,
      valid && !valid.ok ? valid.response : internalError('The accepted write is no longer an operation of this app.'),
    );
  }
  if (entity && !(await isFirstInLine(entity, operationId, dependencies.async))) {
    // An earlier write to the entity is unfinished: this one comes back after it.
    return again(record.id, record.runs, 'waiting', TURN_POLL_MS);
  }
  const runs = record.runs + 1;
  await operations.progress(operationId, { state: 'running', runs });
  const deadlineMs = clock.now() + dependencies.timeBudgetMs;
  const plan: CallPlan = {
    operation,
    request: valid.value,
    call: graphCallFor(operation, valid.value, record.write.clientRequestId),
    requestUrl: record.write.requestUrl,
    deadlineMs,
    graph: dependencies.graph,
    clock,
    inDoubtWindowMs: dependencies.inDoubtWindowMs,
    keyed: true,
    returnMinimal: record.write.returnMinimal,
    token: dependencies.token,
  };
  const execution = await underIdempotencyKey(
    {
      store: dependencies.idempotency,
      key: operationKey(operationId),
      fingerprint: record.fingerprint,
      deadlineMs,
      inDoubtWindowMs: dependencies.inDoubtWindowMs,
      clock,
    },
    (earlier) => execute(plan, earlier),
  );

  // Refused without a run (another run, or a caller's synchronous attempt, holds the key; or the
  // key store failed): the operation comes back after the answer's Retry-After, like a write
  // Graph refused for now. Dropping the message would leave the operation unfinished for good.
  const settlement = execution.settlement;
  const retryAfterMs = retryAfterMsOf(execution.response);
  const tooOld = clock.now() - record.acceptedAt > GIVE_UP_AFTER_MS;
  if (settlement.kind === 'in-doubt' && !tooOld) {
    const afterMs = Math.max(settlement.lookFromMs - clock.now(), retryAfterMs ?? 0, 1000);
    return again(record.id, runs, 'in-doubt', afterMs);
  }
  // Refused before anything was done, for a reason that passes (throttled, unreachable): sent again later.
  const passes = execution.keyUse !== 'replayed' && settlement.kind !== 'final' && retryAfterMs !== undefined;
  if (passes && !tooOld) return again(record.id, runs, 'waiting', Math.max(retryAfterMs, 1000));
  return finish({ ...record, runs }, withoutReplayMark(execution.response));

  async function again(id: string, runsSoFar: number, state: 'waiting' | 'in-doubt', afterMs: number): Promise<FinishOutcome> {
    const notBeforeMs = clock.now() + afterMs;
    await operations.progress(id, { state, runs: runsSoFar, notBeforeMs });
    await queue.send(writeMessage(id), { visibilityDelayMs: afterMs });
    return { kind: 'again-later', state, afterMs };
  }

  async function finish(done: OperationRecord, response: HttpAnswer): Promise<FinishOutcome> {
    await operations.progress(done.id, { state: 'done', runs: done.runs, response: storedAnswer(response) });
    if (entity) await dependencies.async.lines.leave(entity, done.id);
    return { kind: 'done', status: response.status };
  }
}

/** How soon a write waiting behind another to its entity looks again. */
const TURN_POLL_MS = 2000;
/** Operations ahead that are found finished (their leaving lost to a stopped instance) and taken out, at most per run. */
const MAX_CLEARED = 16;

/**
 * Whether the operation is first in its entity's line (or not in it at all). Operations ahead
 * that are done or gone (an instance stopped between finishing and leaving) are taken out.
 */
async function isFirstInLine(entity: string, operationId: string, dependencies: AsyncWriteDependencies): Promise<boolean> {
  for (let cleared = 0; cleared < MAX_CLEARED; cleared++) {
    const [place] = await dependencies.lines.waiting(entity);
    if (place === undefined || place.id === operationId) return true;
    const first = place.id;
    // A write a caller is still waiting for: its place counts until its hold ends.
    if (place.heldUntilMs !== undefined && place.heldUntilMs > Date.now()) return false;
    const ahead = await dependencies.operations.read(first);
    if (ahead && ahead.state !== 'done') {
      // An unfinished write ahead that has not moved for long may have lost its message: sent again (a second one is harmless).
      if (isStale(ahead, Date.now())) await dependencies.queue.send(writeMessage(ahead.id));
      return false;
    }
    await dependencies.lines.leave(entity, first);
  }
  return false;
}

/**
 * An operation whose messages kept failing (a defect, not Graph: Graph's refusals and doubts never
 * fail a message) ends with a final problem, so that its caller is told rather than left polling.
 */
export async function abandonWrite(
  operationId: string,
  dependencies: { readonly async: AsyncWriteDependencies },
): Promise<FinishOutcome> {
  const { operations } = dependencies.async;
  const record = await operations.read(operationId);
  if (!record || record.state === 'done') return { kind: 'skipped', why: record ? 'already done' : 'no such operation' };
  // No run and no earlier attempt: nothing was sent, and the caller may send it again as it is.
  const response = internalError(
    record.runs === 0
      ? 'The app could not finish this write: its runs failed repeatedly before it was sent (see the function logs). It was not applied in Graph; send it again.'
      : 'The app could not finish this write: its runs failed repeatedly; see the function logs. It may or may not have been applied in Graph: read the entity before sending it again.',
  );
  await operations.progress(operationId, { state: 'done', runs: record.runs, response: storedAnswer(response) });
  // The writes behind it in its entity's line go on.
  const operation = CATALOG.find((candidate) => candidate.name === record.write.operationName);
  const entity = operation && entityOfWrite(operation, record.write.params);
  if (entity) await dependencies.async.lines.leave(entity, operationId);
  return { kind: 'done', status: response.status };
}

const internalError = (detail: string): HttpAnswer => problemResponse('internal-error', { detail });

function retryAfterMsOf(response: HttpAnswer): number | undefined {
  const value = response.headers?.['retry-after'];
  const seconds = value === undefined ? Number.NaN : Number(value);
  return Number.isFinite(seconds) ? seconds * 1000 : undefined;
}

function withoutReplayMark(response: HttpAnswer): HttpAnswer {
  if (!response.headers?.['idempotent-replayed']) return response;
  const { 'idempotent-replayed': _replayed, ...headers } = response.headers;
  return { ...response, headers };
}
