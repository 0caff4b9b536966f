import type { GraphExchange } from '../graph/gateway';
import { MIN_ATTEMPT_MS } from '../graph/retry-policy';
import { retryAfterSeconds } from '../http/headers';
import { problemResponse } from '../http/problem';
import type { HttpAnswer } from '../http/response';
import type { CallPlan, Execution } from './plan';
import { failureResponse } from './respond';
import { answerOf } from './send';
import { type EarlierInDoubt, SETTLE_MS, type Settlement } from './write-rules';

/**
 * What a write in doubt does and says: it waits out an earlier attempt that may still land, and
 * tells the caller when to come back and what may have happened. The rules that decide it are in
 * write-rules.ts; this is where they meet the caller.
 */

export const LOOK_AGAIN = 'send it again with the same Idempotency-Key, and the facade looks for it before creating anything.';

/**
 * A PATCH or DELETE an earlier attempt left under way in Graph is not repeated before the
 * in-doubt window ends: the late attempt could land after the repeat and undo it. The wait is
 * taken here when the budget allows it, else the caller is told when to come back.
 */
export async function waitOutEarlierAttempt(plan: CallPlan, earlier: EarlierInDoubt | undefined): Promise<Execution | undefined> {
  const untilMs = earlier ? earlier.lookFromMs - plan.clock.now() : 0;
  if (!earlier || untilMs <= 0 || plan.call.method === 'GET') return undefined;
  if (untilMs + MIN_ATTEMPT_MS > plan.deadlineMs - plan.clock.now()) return stillInDoubt(plan, undefined, earlier.lookFromMs);
  await plan.clock.sleep(untilMs);
  return undefined;
}

/** The answer to a write: a write left in doubt says so, with a Retry-After that lets any late attempt land first. */
export async function writeAnswerOf(plan: CallPlan, exchange: GraphExchange, settlement: Settlement): Promise<HttpAnswer> {
  if (settlement.kind !== 'in-doubt' || plan.call.method === 'GET') return answerOf(plan, exchange);
  const untilMs = settlement.lookFromMs - plan.clock.now();
  // No sooner than the write may be repeated, and no sooner than Graph asked.
  const retryAfterMs = Math.max(1000, untilMs, exchange.retryAfterMs ?? 0);
  const inDoubtNote =
    untilMs > SETTLE_MS
      ? `The ${plan.operation.kind} may have been applied, and may still land late in Graph: send it again after Retry-After seconds, not sooner.`
      : `The ${plan.operation.kind} may have been applied; sending it again is safe.`;
  return failureResponse(plan.operation, exchange, { retryAfterMs, inDoubtNote });
}

/** The write may have been applied and cannot be looked for or repeated within this call. */
export function stillInDoubt(plan: CallPlan, exchange: GraphExchange | undefined, lookFromMs: number): Execution {
  const retryAfterMs = Math.max(1000, lookFromMs - plan.clock.now(), exchange?.retryAfterMs ?? 0);
  const settlement: Settlement = { kind: 'in-doubt', lookFromMs };
  const write = plan.operation.kind;
  if (exchange) {
    const inDoubtNote = plan.keyed
      ? `The create may have been applied: ${LOOK_AGAIN}`
      : 'The create may have been applied; without an Idempotency-Key a retry cannot be told from a new create, so look before sending it again.';
    return { response: failureResponse(plan.operation, exchange, { retryAfterMs, inDoubtNote }), settlement, exchange };
  }
  const at = new Date(lookFromMs).toISOString();
  const then =
    write === 'create'
      ? `it is looked for from ${at} on; ${LOOK_AGAIN.replace('send it', 'send the request')}`
      : `it is sent again from ${at} on, so that it cannot be undone by the earlier one landing late; send the request again after Retry-After seconds.`;
  return {
    response: problemResponse('write-in-doubt', {
      detail: `An earlier attempt of this ${write} may still be under way in Graph, so ${then}`,
      headers: { 'retry-after': retryAfterSeconds(retryAfterMs) },
    }),
    settlement,
    exchange,
  };
}
