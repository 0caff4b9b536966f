import { type GraphCall, lastAttempt } from '../graph/gateway';
import { MIN_ATTEMPT_MS } from '../graph/retry-policy';
import { waitOutEarlierAttempt, writeAnswerOf } from './doubt';
import type { CallPlan, Execution } from './plan';
import { successResponse } from './respond';
import { send } from './send';
import { type EarlierInDoubt, settlementOf } from './write-rules';

/** The least time the read-back of an update gets, even past the budget: two attempts. */
const READ_BACK_MIN_MS = 2 * MIN_ATTEMPT_MS;

/**
 * An update, answered with the entity so that a flow step's outputs never change shape: when
 * Graph answers 204 (as Intune does in practice), the entity is read back, one read; Intune
 * allows ten times more reads than writes. `Prefer: return=minimal` asks for 204 and no read.
 * Repeating an update Graph is done with changes nothing, so the retry policy may repeat it.
 */
export async function update(plan: CallPlan, earlier: EarlierInDoubt | undefined): Promise<Execution> {
  const blocked = await waitOutEarlierAttempt(plan, earlier);
  if (blocked) return blocked;
  const exchange = await send(plan);
  const settlement = settlementOf('PATCH', exchange, earlier, plan.inDoubtWindowMs, plan.clock.now());
  const execution: Execution = { response: await writeAnswerOf(plan, exchange, settlement), settlement, exchange };
  const answer = lastAttempt(exchange)?.answer;
  const applied = settlement.kind === 'final' && answer !== undefined && answer.status >= 200 && answer.status < 300;
  if (!applied) return execution;
  if (plan.returnMinimal) return { ...execution, response: { status: 204 } };
  if (answer.body !== undefined) return execution;
  const readCall: GraphCall = {
    version: plan.call.version,
    method: 'GET',
    path: plan.call.path,
    clientRequestId: plan.call.clientRequestId,
    budgetAccount: plan.call.budgetAccount,
    // Read back as whoever wrote it.
    onBehalfOf: plan.call.onBehalfOf,
  };
  // The read may run a little past the budget the write used up: an applied write deserves its answer.
  const deadlineMs = Math.max(plan.deadlineMs, plan.clock.now() + READ_BACK_MIN_MS);
  const readBack = lastAttempt(await plan.graph.send(readCall, { deadlineMs, mayRepeat: () => true }))?.answer;
  // The update is applied whatever the read gives: without the entity, 204 still says so.
  return readBack?.status === 200
    ? { ...execution, response: successResponse(plan.operation, readBack, plan.request, plan.requestUrl) }
    : execution;
}
