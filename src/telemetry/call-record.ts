import { record, type RecordLevel } from './records';

/** The event of the record every HTTP call of an operation leaves: what queries and alerts select. */
export const CALL_EVENT = 'facade.call';

/** What one call came to, as facts about its way through Graph, the budget and the stores; never a body, a token or a key. */
export interface CallFacts {
  readonly operation: string;
  readonly route: string;
  readonly method: string;
  readonly status: number;
  readonly durationMs: number;
  /** The id the call was sent to Graph with (the caller's `client-request-id`, or one made up). */
  readonly clientRequestId: string;
  /** The problem's type, for an answer that is a problem. */
  readonly problemType?: string;
  readonly graphStatus?: number;
  readonly graphRequestId?: string;
  readonly graphAttempts?: number;
  readonly graphEnding?: string;
  /** How long the call waited for its Graph budget turns (ms). */
  readonly budgetWaitMs?: number;
  readonly settlement?: string;
  /** What the call's Idempotency-Key came to: claimed, replayed, accepted, handed over, ... */
  readonly idempotency?: string;
  /** The asynchronous operation the call was accepted or handed over as. */
  readonly operationId?: string;
  readonly foundEarlierWrite?: boolean;
  /** Something that failed which the caller's answer does not show (the key store). */
  readonly failure?: string;
  /** The caller's correlation ids (correlation.ts). */
  readonly correlation: Readonly<Record<string, string>>;
  /** Who called, where App Service Authentication vouched for it: its object id and application id. */
  readonly caller?: { readonly objectId: string; readonly appId: string | undefined };
}

/** A call failed, for sampling and alerts, when the app answered 5xx or something failed behind the answer. */
export const callFailed = (facts: Pick<CallFacts, 'status' | 'failure'>): boolean =>
  facts.status >= 500 || facts.failure !== undefined;

function levelOf(facts: CallFacts): RecordLevel {
  if (callFailed(facts)) return 'error';
  // Throttled, or refused by Graph for the app's own identity or grant: an operator's concern, not the caller's.
  return facts.status === 429 || facts.graphStatus === 429 || facts.graphStatus === 401 || facts.graphStatus === 403
    ? 'warn'
    : 'info';
}

/** Emits the record of one call. Attribute names follow OpenTelemetry's where one exists (`http.*`). */
export function recordCall(facts: CallFacts): void {
  record(levelOf(facts), CALL_EVENT, {
    operation: facts.operation,
    'http.route': facts.route,
    'http.request.method': facts.method,
    'http.response.status_code': facts.status,
    'problem.type': facts.problemType,
    duration_ms: facts.durationMs,
    client_request_id: facts.clientRequestId,
    'graph.status': facts.graphStatus,
    'graph.request_id': facts.graphRequestId,
    'graph.attempts': facts.graphAttempts,
    'graph.ending': facts.graphEnding,
    'budget.wait_ms': facts.budgetWaitMs,
    settlement: facts.settlement,
    idempotency: facts.idempotency,
    operation_id: facts.operationId,
    found_earlier_write: facts.foundEarlierWrite,
    failure: facts.failure,
    failed: callFailed(facts),
    'caller.object_id': facts.caller?.objectId,
    'caller.app_id': facts.caller?.appId,
    ...facts.correlation,
  });
}
