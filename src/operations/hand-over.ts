import type { Clock } from '../clock';
import type { HttpAnswer } from '../http/response';
import { type IdempotencyStore, operationIdFor } from '../idempotency';
import { acceptWrite, type WriteToAccept } from './accept-write';
import { pendingAnswer } from './operation-status';
import type { Execution } from './plan';
import { type AsyncWriteDependencies, entityOfWrite, leaveLine, operationKey } from './write-queue';
import type { Settlement } from './write-rules';

/**
 * Whether a write a caller waited for is handed over to the app rather than answered as a
 * failure: it ended in doubt, or it was only delayed (throttled, no budget turn or time left for
 * it, or an earlier attempt with its key still holding it). The app finishes it from its queue;
 * its caller gets 202.
 */
export const isHandedOver = (settlement: Settlement): boolean =>
  settlement.kind === 'in-doubt' || (settlement.kind === 'freed' && settlement.delayedUntilMs !== undefined);

/**
 * Hands a write its call could not finish over to the app: the answer is 202 with the
 * operation's Location rather than a failure. A write in doubt is finished once Graph can no
 * longer be working on it (the look-up runs then, and a create is made once); a keyless one gets
 * a key record of its own, so that the worker knows what the attempt left. A delayed write is
 * queued as a new one, in the place it holds in its entity's line. Undefined when it could not
 * be handed over: the caller then gets the call's own answer.
 */
export async function handOver(
  write: WriteToAccept,
  execution: Pick<Execution, 'settlement' | 'exchange'>,
  dependencies: { readonly async: AsyncWriteDependencies; readonly idempotency: IdempotencyStore; readonly clock: Clock },
): Promise<HttpAnswer | undefined> {
  const { settlement } = execution;
  if (settlement.kind === 'in-doubt') {
    // Due when it may be looked for, and not before Graph's Retry-After, if Graph gave one.
    const graphWaitMs = execution.exchange?.retryAfterMs ?? 0;
    return handOverInDoubt(write, Math.max(settlement.lookFromMs, dependencies.clock.now() + graphWaitMs), dependencies);
  }
  if (settlement.kind !== 'freed' || settlement.delayedUntilMs === undefined) return undefined;
  const answer = await acceptWrite(write, dependencies.async, dependencies.clock, {
    state: 'queued',
    notBeforeMs: settlement.delayedUntilMs,
  });
  if (answer.status === 202) return answer;
  // Not accepted: the place it kept in its entity's line must not hold back the writes behind it.
  const entity = entityOfWrite(write.operation, write.request.params);
  if (entity) await leaveLine(entity, write.id, dependencies.async).catch(() => undefined);
  return undefined;
}

async function handOverInDoubt(
  write: WriteToAccept,
  lookFromMs: number,
  dependencies: { readonly async: AsyncWriteDependencies; readonly idempotency: IdempotencyStore; readonly clock: Clock },
): Promise<HttpAnswer | undefined> {
  try {
    if (!write.keyed) {
      const claim = await dependencies.idempotency.claim(operationKey(write.id), write.fingerprint, 60_000);
      if (claim.kind !== 'claimed') return undefined;
      await dependencies.idempotency.markInDoubt(claim.lease, lookFromMs);
    }
  } catch {
    // Without the key record the worker could not know the write may have been applied: no hand-over.
    return undefined;
  }
  const answer = await acceptWrite(write, dependencies.async, dependencies.clock, {
    state: 'in-doubt',
    notBeforeMs: lookFromMs,
  });
  return answer.status === 202 ? answer : undefined;
}

/**
 * A write sent again with an Idempotency-Key whose operation the app is still finishing: the same
 * 202 and Location. Undefined when there is no such operation, or it is done.
 */
export async function unfinishedOperationOf(
  idempotencyKey: string,
  fingerprint: string,
  requestUrl: string,
  dependencies: { readonly async: AsyncWriteDependencies; readonly clock: Clock },
): Promise<HttpAnswer | undefined> {
  const record = await dependencies.async.operations.read(operationIdFor(idempotencyKey)).catch(() => undefined);
  // Done, or the key reused for another request: the key's record answers (its replay, or 422).
  if (!record || record.state === 'done' || record.fingerprint !== fingerprint) return undefined;
  return pendingAnswer(record, requestUrl, dependencies.clock.now());
}

/**
 * Whether an update or delete must wait behind writes to its entity the app is still finishing
 * (another's, or one of its own that may still land): it is then accepted and applied after them.
 */
export async function mustWaitItsTurn(
  write: Pick<WriteToAccept, 'id' | 'operation' | 'request'>,
  dependencies: { readonly async: AsyncWriteDependencies },
): Promise<boolean> {
  const entity = entityOfWrite(write.operation, write.request.params);
  if (!entity) return false;
  const waiting = await dependencies.async.lines.waiting(entity);
  return waiting.some((place) => place.id !== write.id);
}

/** The line of writes to an entity could not be read or joined: nothing was sent. */
export interface LineUnavailable {
  readonly lineUnavailable: Error;
}

/**
 * Runs an update or delete a caller waits for with its place held in its entity's line, so that
 * a later write of the entity waits behind it even before it could be taken over; it leaves the
 * line when it ends, unless it is handed over (then the app takes it over, in the same place).
 */
export async function inLineWhileRunning<T extends { readonly settlement: Settlement }>(
  write: Pick<WriteToAccept, 'id' | 'operation' | 'request'>,
  heldUntilMs: number,
  async: AsyncWriteDependencies | undefined,
  run: () => Promise<T>,
): Promise<T | LineUnavailable> {
  const entity = async && entityOfWrite(write.operation, write.request.params);
  if (!async || !entity) return run();
  try {
    await async.lines.join(entity, write.id, heldUntilMs);
  } catch (error) {
    return { lineUnavailable: error instanceof Error ? error : new Error(String(error)) };
  }
  const ended = await run();
  if (!isHandedOver(ended.settlement)) await leaveLine(entity, write.id, async).catch(() => undefined);
  return ended;
}
