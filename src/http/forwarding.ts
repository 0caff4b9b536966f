import type { HttpResponseInit } from '@azure/functions';
import type { GraphCall, GraphGateway, GraphResult } from '../graph/gateway';
import type { Operation } from '../operations/catalog';
import { answerFrom, createdResponse } from './answers';
import { fillRoute } from './links';
import { findCreated } from './reconcile';
import type { ValidRequest } from './validation';

/** Everything needed to carry one validated request to Graph. */
export interface CallPlan {
  readonly operation: Operation;
  readonly request: ValidRequest;
  readonly call: GraphCall;
  /** The facade URL being answered, for Location and nextLink. */
  readonly requestUrl: string;
  /** When the time budget runs out (epoch ms). */
  readonly deadline: number;
  readonly graph: GraphGateway;
}

/** What one call produced, for the response headers, the idempotency record and the log line. */
export interface Outcome {
  readonly response: HttpResponseInit;
  readonly graph?: GraphResult;
  /** How the Idempotency-Key was used, for the log line. */
  readonly idempotency?: 'new' | 'replayed' | 'found-earlier-write' | 'refused';
  /** Set when the key must stay in doubt whatever the answer says (an earlier write could not be looked for). */
  readonly keepKeyInDoubt?: boolean;
  readonly failure?: string;
}

/** The Graph call for a validated request; ids are encoded into the path, never interpreted. */
export function graphCallFor(operation: Operation, request: ValidRequest, clientRequestId: string): GraphCall {
  return {
    version: request.version,
    method: operation.method,
    path: `/${fillRoute(operation.graphPath.replace(/^\//, ''), request.params)}`,
    ...request.paging,
    ...(request.body ? { body: request.body } : {}),
    clientRequestId,
  };
}

/** Calls Graph and maps the result; a create goes through `createOnce`. */
export function send(plan: CallPlan): Promise<Outcome> {
  return plan.operation.kind === 'create' ? createOnce(plan) : forward(plan);
}

async function forward(plan: CallPlan): Promise<Outcome> {
  const result = await plan.graph.send(plan.call, plan.deadline);
  if (plan.operation.kind === 'delete' && result.answer?.status === 404 && result.repeatedPossiblyAppliedWrite) {
    // An earlier attempt of this DELETE may have been carried out: gone is what was asked for.
    return { response: { status: 204 }, graph: result };
  }
  return { response: answerFrom(plan.operation, result, plan.request, plan.requestUrl), graph: result };
}

/** Before looking for a create whose answer was lost, give Graph a moment to finish it. */
const SETTLE_MS = 500;

/**
 * A create that cannot happen twice. When Graph may have applied it without the answer being
 * seen (a 503/504 or a broken connection after sending), the collection is searched for it:
 * found, it is the answer; absent, it was not applied and is sent once more. A timeout is
 * never followed by a search, since the create may still be under way.
 */
async function createOnce(plan: CallPlan): Promise<Outcome> {
  let outcome = await forward(plan);
  for (let resend = 0; resend < 2; resend++) {
    const result = outcome.graph as GraphResult;
    if (!result.maybeApplied || result.failure === 'timeout' || plan.deadline - Date.now() < 2 * SETTLE_MS) return outcome;
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const search = await findCreated(plan.call, plan.request.body ?? {}, plan.deadline, plan.graph);
    if (search.kind === 'found') {
      return { response: createdResponse(plan.operation, plan.request, plan.requestUrl, search.entity), graph: { ...result, maybeApplied: false } };
    }
    if (search.kind === 'unknown') return outcome;
    outcome = await forward(plan);
  }
  return outcome;
}
