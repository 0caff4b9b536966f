import { CATALOG } from '../catalog/operations';
import type { Clock } from '../clock';
import { problemResponse } from '../http/problem';
import type { HttpAnswer } from '../http/response';
import { isStale, type OperationRecord, RETENTION_MS } from '../idempotency';
import { storedAnswer, underIdempotencyKey } from './claim-key';
import { execute } from './execute';
import { graphCallFor } from './graph-call';
import { chooseGraphIdentity } from './graph-identity';
import type { OperationDependencies } from './pipeline';
import type { CallPlan } from './plan';
import { validateRequest } from './validate';
import { type AsyncWriteDependencies, entityOfWrite, leaveLine, operationKey, writeMessage } from './write-queue';

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
  // The app finishes writes as itself only: one Graph takes only from a signed-in user is never
  // queued (pipeline.ts), and one found here (queued before the catalog said so) is not sent as the app.
  const asApp = chooseGraphIdentity(operation, undefined, 'where-required');
  if (!asApp.ok) return finish(record, asApp.response);
  const turn = entity ? await turnInLine(entity, operationId, dependencies.async, clock) : FIRST;
  if (!turn.first) {
    // An earlier write to the entity is unfinished: this one comes back after it (woken when it leaves).
    return again(record.id, record.runs, 'waiting', turn.lookAgainAfterMs, turn.expectedWaitMs);
  }
  const runs = record.runs + 1;
  await operations.progress(operationId, { state: 'running', runs });
  const deadlineMs = clock.now() + dependencies.timeBudgetMs;
  const plan: CallPlan = {
    operation,
    request: valid.value,
    call: graphCallFor(operation, valid.value, {
      clientRequestId: record.write.clientRequestId,
      budgetAccount: record.write.budgetAccount,
    }),
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
  if (passes && !tooOld) {
    // A caller held to its share comes back at its own pace, behind its other writes, not at once ahead of everyone's.
    const pacedMs =
      execution.exchange?.heldBack === 'caller-share-used'
        ? (dependencies.async.pacing?.takeSlot(record.write.budgetAccount, clock.now()) ?? 0) - clock.now()
        : 0;
    return again(record.id, runs, 'waiting', Math.max(retryAfterMs, 1000, pacedMs));
  }
  return finish({ ...record, runs }, withoutReplayMark(execution.response));

  /** Puts the write back for `afterMs`; pollers are told to come back after `expectedMs` (an estimate), if sooner. */
  async function again(
    id: string,
    runsSoFar: number,
    state: 'waiting' | 'in-doubt',
    afterMs: number,
    expectedMs = afterMs,
  ): Promise<FinishOutcome> {
    const notBeforeMs = clock.now() + Math.min(afterMs, expectedMs);
    await operations.progress(id, { state, runs: runsSoFar, notBeforeMs });
    await queue.send(writeMessage(id), { visibilityDelayMs: afterMs });
    return { kind: 'again-later', state, afterMs };
  }

  async function finish(done: OperationRecord, response: HttpAnswer): Promise<FinishOutcome> {
    await operations.progress(done.id, { state: 'done', runs: done.runs, response: storedAnswer(response) });
    if (entity) await leaveLine(entity, done.id, dependencies.async);
    return { kind: 'done', status: response.status };
  }
}

/**
 * How soon a write waiting behind another to its entity looks again by itself: a backstop, since
 * the write ahead wakes it when it leaves the line (leaveLine).
 */
const LINE_BACKSTOP_MS = 30_000;
/** Operations ahead that are found finished (their leaving lost to a stopped instance) and taken out, at most per run. */
const MAX_CLEARED = 16;

/** Whether a write may run now, or how long it waits behind the writes ahead of it in its entity's line. */
type Turn =
  | { readonly first: true }
  | {
      readonly first: false;
      /** When its message comes back by itself. */
      readonly lookAgainAfterMs: number;
      /** About how long the writes ahead take, as the budget spaces writes: what pollers are told. */
      readonly expectedWaitMs: number;
    };

const FIRST: Turn = { first: true };

/**
 * The operation's turn in its entity's line: first (or not in it at all), or behind others.
 * Operations ahead that are done or gone (an instance stopped between finishing and leaving)
 * are taken out.
 */
async function turnInLine(
  entity: string,
  operationId: string,
  dependencies: AsyncWriteDependencies,
  clock: Clock,
): Promise<Turn> {
  for (let cleared = 0; cleared < MAX_CLEARED; cleared++) {
    const line = await dependencies.lines.waiting(entity);
    const [place] = line;
    if (place === undefined || place.id === operationId) return FIRST;
    const position = line.findIndex((other) => other.id === operationId);
    const expectedWaitMs = Math.max(1000, (position < 0 ? line.length : position) * dependencies.writeSpacingMs);
    const nowMs = clock.now();
    // A write a caller is still waiting for: its place counts until its hold ends (its call wakes this one sooner).
    if (place.heldUntilMs !== undefined && place.heldUntilMs > nowMs)
      return { first: false, lookAgainAfterMs: Math.max(1000, place.heldUntilMs - nowMs), expectedWaitMs };
    const ahead = await dependencies.operations.read(place.id);
    if (ahead && ahead.state !== 'done') {
      // An unfinished write ahead that has not moved for long may have lost its message: sent again (a second one is harmless).
      if (isStale(ahead, nowMs)) await dependencies.queue.send(writeMessage(ahead.id));
      return { first: false, lookAgainAfterMs: LINE_BACKSTOP_MS, expectedWaitMs };
    }
    await dependencies.lines.leave(entity, place.id);
  }
  return { first: false, lookAgainAfterMs: 1000, expectedWaitMs: 1000 };
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
  if (entity) await leaveLine(entity, operationId, dependencies.async);
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
