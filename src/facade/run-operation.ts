import type { HttpRequest } from '@azure/functions';

import { fillRoute, type Operation, takesBody } from '../catalog/operations';
import type { GraphCall, GraphGateway } from '../graph/gateway';
import type { TokenInspector } from '../graph/token-claims';
import { readJsonObject } from '../http/body';
import { readIdempotencyKey } from '../http/idempotency-key';
import { type IdempotencyStore, requestFingerprint } from '../idempotency';
import type { Result } from './result';
import { type KeyedExecution, underIdempotencyKey } from './under-idempotency-key';
import { validateRequest, type ValidRequest } from './validate';
import { type CallPlan, execute } from './writes';

/** What every operation needs from the app: Graph, the key store, and the time limits. */
export interface OperationDependencies {
  readonly graph: GraphGateway;
  readonly idempotency: IdempotencyStore;
  /** How long one call may spend on Graph, retries and waits included. */
  readonly timeBudgetMs: number;
  /** How long after it was sent a write with no certain answer may still be under way in Graph. */
  readonly inDoubtWindowMs: number;
  /** The claims of the facade's own Graph token, to tell a missing permission from a refusal of app identities. */
  readonly token: TokenInspector;
}

/** What one request came to: the response, and what the log line reports. */
export type OperationRun = Partial<Omit<KeyedExecution, 'response'>> & Pick<KeyedExecution, 'response'>;

/**
 * One operation, top to bottom: read the key and the body, validate path, query and body
 * together, claim the key (writes only), execute, respond. Each step returns a Result; the first
 * that stops gives the response.
 */
export async function runOperation(
  operation: Operation,
  request: HttpRequest,
  clientRequestId: string,
  dependencies: OperationDependencies,
): Promise<OperationRun> {
  const key = readIdempotencyKey(request.headers);
  if (!key.ok) return key;
  const body = takesBody(operation) ? await readJsonObject(request) : undefined;
  if (body && !body.ok) return body;
  // The budget is for Graph: it starts once the caller's body is in, however slowly it came.
  const deadlineMs = Date.now() + dependencies.timeBudgetMs;
  const valid: Result<ValidRequest> = validateRequest(operation, request.params, request.query, body?.value);
  if (!valid.ok) return valid;

  const plan: CallPlan = {
    operation,
    request: valid.value,
    call: graphCallFor(operation, valid.value, clientRequestId),
    requestUrl: request.url,
    deadlineMs,
    graph: dependencies.graph,
    inDoubtWindowMs: dependencies.inDoubtWindowMs,
    keyed: key.value !== undefined,
    returnMinimal: prefersMinimal(request.headers.get('prefer')),
    token: dependencies.token,
  };
  // A read is idempotent by nature: a key on GET is accepted and changes nothing.
  if (key.value === undefined || operation.method === 'GET') return execute(plan);
  const { params, version, body: validBody } = valid.value;
  return underIdempotencyKey(
    {
      store: dependencies.idempotency,
      key: key.value,
      fingerprint: requestFingerprint(operation.name, params, version, validBody ?? null),
      deadlineMs,
      inDoubtWindowMs: dependencies.inDoubtWindowMs,
    },
    (earlier) => execute(plan, earlier),
  );
}

/** Whether a Prefer header asks for `return=minimal` (RFC 7240: comma-separated preferences). */
function prefersMinimal(prefer: string | null): boolean {
  return (prefer ?? '').split(',').some(
    (preference) =>
      preference
        .trim()
        .toLowerCase()
        .replace(/\s*=\s*/, '=') === 'return=minimal',
  );
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
