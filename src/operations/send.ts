import { type GraphExchange, lastAttempt } from '../graph/gateway';
import type { HttpAnswer } from '../http/response';
import type { CallPlan } from './plan';
import { failureResponse, successResponse } from './respond';
import { mayRepeat } from './write-rules';

/** Sends the plan's call; the gateway repeats it only where the write rules allow. */
export function send(plan: CallPlan): Promise<GraphExchange> {
  const method = plan.call.method;
  return plan.graph.send(plan.call, { deadlineMs: plan.deadlineMs, mayRepeat: (ending) => mayRepeat(method, ending) });
}

/** Graph's last answer in the facade's shape: the entity, or the problem that explains the failure. */
export async function answerOf(plan: CallPlan, exchange: GraphExchange): Promise<HttpAnswer> {
  const answer = lastAttempt(exchange)?.answer;
  if (!exchange.heldBack && answer && answer.status >= 200 && answer.status < 300) {
    return successResponse(plan.operation, answer, plan.request, plan.requestUrl);
  }
  const user = plan.call.onBehalfOf;
  if (user) {
    // As the user: what the exchange said when it failed, and the delegated permissions of the user's Graph token.
    const grantedScopes = user.grantedScopes();
    const tokenFailure = user.failure();
    return failureResponse(plan.operation, exchange, {
      retryAfterMs: exchange.retryAfterMs,
      user: { ...(grantedScopes ? { grantedScopes } : {}), ...(tokenFailure ? { tokenFailure } : {}) },
    });
  }
  // A 403 means a missing permission, unless the token holds it: then Graph refuses the operation to app identities.
  const token = answer?.status === 403 ? await plan.token.read(plan.deadlineMs) : undefined;
  const rolesHeld = token?.ok ? token.claims.roles : undefined;
  return failureResponse(plan.operation, exchange, { retryAfterMs: exchange.retryAfterMs, ...(rolesHeld ? { rolesHeld } : {}) });
}
