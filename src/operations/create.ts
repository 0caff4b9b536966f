import { type GraphExchange, lastAttempt } from '../graph/gateway';
import { findCreated, type LookupResult } from '../graph/lookup';
import { MIN_ATTEMPT_MS } from '../graph/retry-policy';
import { retryAfterSeconds } from '../http/headers';
import { problemResponse } from '../http/problem';
import type { HttpAnswer } from '../http/response';
import { stillInDoubt } from './doubt';
import type { CallPlan, Execution } from './plan';
import { createdResponse } from './respond';
import { answerOf, send } from './send';
import { type EarlierInDoubt, exchangeFate, freedBy, isInDoubt, lookFromOf, type Settlement } from './write-rules';

/** A look-up is only started with this much of the budget left: one attempt to read the collection. */
const LOOKUP_RESERVE_MS = MIN_ATTEMPT_MS;
/** Sends of one create within one call, at most: the first, and one more after a look-up proved it absent. */
export const MAX_SENDS = 2;

/**
 * A create that cannot happen twice. Sent once; when Graph's answer leaves it in doubt, it is
 * looked for in the collection (at once when Graph is done with it, after the in-doubt window
 * when it may still be under way): found, that item is the answer; absent, it was not applied
 * and is sent once more. When the look-up cannot happen within this call, the key stays in
 * doubt and the caller is told when to come back. `earlier` is set when a previous attempt under
 * the same Idempotency-Key left the create in doubt: it is looked for before anything is sent.
 */
export async function createOnce(plan: CallPlan, earlier: EarlierInDoubt | undefined): Promise<Execution> {
  const { clock } = plan;
  let lookFromMs = earlier?.lookFromMs;
  let exchange: GraphExchange | undefined;
  for (let sends = 0; ;) {
    if (lookFromMs !== undefined) {
      const untilLookMs = lookFromMs - clock.now();
      if (untilLookMs + LOOKUP_RESERVE_MS > plan.deadlineMs - clock.now()) return stillInDoubt(plan, exchange, lookFromMs);
      if (untilLookMs > 0) await clock.sleep(untilLookMs);
      const lookup = await findCreated(plan.call, plan.request.body ?? {}, plan.deadlineMs, plan.graph);
      if (lookup.kind === 'found') {
        const response = createdResponse(plan.operation, plan.request, plan.requestUrl, lookup.entity);
        return {
          response: earlier ? replayed(response) : response,
          settlement: { kind: 'final' },
          exchange,
          foundEarlierWrite: true,
        };
      }
      if (lookup.kind === 'unfinished') return lookupUnfinished(lookup, lookFromMs, exchange);
      // Absent: every attempt so far was refused, and the create may be sent afresh, once Graph's
      // wait (its Retry-After on the answer that left it in doubt) is over.
      const graphWaitMs = exchange?.retryAfterMs ?? 0;
      if (sends >= MAX_SENDS || graphWaitMs + MIN_ATTEMPT_MS > plan.deadlineMs - clock.now()) {
        return notSentYet(exchange, Math.max(graphWaitMs, 1000), sends >= MAX_SENDS, clock.now());
      }
      if (graphWaitMs > 0) await clock.sleep(graphWaitMs);
    }
    exchange = await send(plan);
    sends += 1;
    const fate = exchangeFate(exchange.attempts);
    if (!isInDoubt(fate)) {
      const settlement: Settlement = fate === 'final' ? { kind: 'final' } : freedBy(exchange, clock.now());
      return { response: await answerOf(plan, exchange), settlement, exchange };
    }
    lookFromMs = lookFromOf('POST', exchange.attempts, plan.inDoubtWindowMs, clock.now());
  }
}

/** The look-up could not finish: the key stays in doubt, and the caller learns why (throttled or unreachable). */
function lookupUnfinished(
  lookup: Extract<LookupResult, { kind: 'unfinished' }>,
  lookFromMs: number,
  sent: GraphExchange | undefined,
): Execution {
  const settlement: Settlement = { kind: 'in-doubt', lookFromMs };
  const ending = lookup.exchange && lastAttempt(lookup.exchange)?.ending;
  const retryAfterMs = lookup.exchange?.retryAfterMs ?? 5000;
  const cause = 'An attempt of this create may have been applied, and Graph could not be asked whether it was';
  const headers = { 'retry-after': retryAfterSeconds(retryAfterMs) };
  const response =
    ending?.kind === 'answer' && ending.status === 429
      ? problemResponse('graph-throttled', {
          detail: `${cause}: Graph is throttling. Send the request again with the same Idempotency-Key after Retry-After seconds.`,
          headers,
        })
      : problemResponse('graph-unreachable', {
          status: 503,
          detail: `${cause}. Send the request again with the same Idempotency-Key after Retry-After seconds.`,
          headers,
        });
  return { response, settlement, exchange: lookup.exchange ?? sent };
}

/** A look-up proved the create absent, and it cannot be sent again in this call: nothing was applied, so the key is freed. */
function notSentYet(exchange: GraphExchange | undefined, retryAfterMs: number, sendsSpent: boolean, nowMs: number): Execution {
  const why = sendsSpent ? 'it was sent twice in this call already' : 'Graph asked to wait longer than the time budget leaves';
  return {
    response: problemResponse('graph-unreachable', {
      status: 503,
      detail: `Graph did not create the item, and it was not sent again because ${why}; send the request again after Retry-After seconds.`,
      headers: { 'retry-after': retryAfterSeconds(retryAfterMs) },
    }),
    settlement: { kind: 'freed', delayedUntilMs: nowMs + retryAfterMs },
    exchange,
  };
}

function replayed(response: HttpAnswer): HttpAnswer {
  return { ...response, headers: { ...response.headers, 'idempotent-replayed': 'true' } };
}
