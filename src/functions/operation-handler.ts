import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import type { Operation } from '../catalog/operations';
import { correlationIdOf, withStandardHeaders } from '../http/headers';
import { problemResponse } from '../http/problem';
import type { HttpAnswer } from '../http/response';
import { budgetAccountOf, type Caller } from '../identity/caller-roles';
import type { GraphIdentities } from '../operations/graph-identity';
import { type OperationDependencies, type OperationOutcome, runOperation } from '../operations/pipeline';
import { recordCall } from '../telemetry/call-record';
import { callerCorrelationOf } from '../telemetry/correlation';
import { type CallerTrust, refusalOf, signedInUserOf, trustedCaller } from './caller';

/**
 * The Functions handler of every catalog operation: correlation in, the operation run, correlation
 * headers out, and one telemetry record of the call. An unexpected error is a 500 problem, never a crash.
 */
export function operationHandler(
  operation: Operation,
  dependencies: OperationDependencies,
  callers: CallerTrust = { mode: 'function-key', platformAuthentication: false },
  identities: GraphIdentities = { use: 'where-required', onBehalfOf: undefined },
): HttpHandler {
  const access = operation.method === 'GET' ? 'read' : 'write';
  return async (request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> => {
    const clientRequestId = correlationIdOf(request.headers);
    const started = performance.now();
    const caller = trustedCaller(request, callers);
    let outcome: OperationOutcome;
    try {
      // A caller without the right to the operation is refused before anything is read or stored.
      const refusal = refusalOf(callers.mode, access, caller);
      const signedInUser = signedInUserOf(request, caller, identities);
      outcome = refusal
        ? { response: refusal, record: {} }
        : await runOperation(
            operation,
            request,
            {
              clientRequestId,
              budgetAccount: budgetAccountOf(callers.mode, caller),
              ...(signedInUser ? { signedInUser } : {}),
              userIdentityUse: identities.use,
            },
            dependencies,
          );
    } catch (error) {
      outcome = {
        response: problemResponse('internal-error', { detail: 'The facade failed unexpectedly; see the function logs.' }),
        record: { failure: error instanceof Error ? `${error.name}: ${error.message}` : String(error) },
      };
    }
    const { response, record } = outcome;
    const answered = withStandardHeaders(response, clientRequestId, record.graphRequestId);
    recordCall({
      operation: operation.name,
      route: operation.route,
      method: request.method,
      status: answered.status,
      durationMs: Math.round(performance.now() - started),
      clientRequestId,
      problemType: problemTypeOf(answered),
      ...record,
      correlation: callerCorrelationOf(request.headers),
      ...callerFacts(caller),
    });
    return answered;
  };
}

/**
 * A handler of a route that is not an operation (health, diagnostics, an operation's status, the
 * descriptions, 404 and 405), with the record of each of its calls: the route, the status, the
 * problem if it answered one, and the caller's correlation ids.
 */
export function recordedCall(name: string, route: string, handler: HttpHandler, callers: CallerTrust): HttpHandler {
  return async (request, context) => {
    const started = performance.now();
    let answered: HttpResponseInit;
    let failure: string | undefined;
    try {
      answered = await handler(request, context);
    } catch (error) {
      // Whatever went wrong is answered as a problem and recorded, never left to the host as a bare 500.
      failure = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      answered = withStandardHeaders(
        problemResponse('internal-error', { detail: 'The facade failed unexpectedly; see its telemetry.' }),
        correlationIdOf(request.headers),
      );
    }
    const headers = new Headers(answered.headers);
    const status = answered.status ?? 200;
    recordCall({
      operation: name,
      route,
      method: request.method,
      status,
      durationMs: Math.round(performance.now() - started),
      clientRequestId: headers.get('client-request-id') ?? '',
      problemType: problemTypeOf({
        status,
        headers: { 'content-type': headers.get('content-type') ?? '' },
        ...(typeof answered.body === 'string' ? { body: answered.body } : {}),
      }),
      // An operation's status route names the operation it was asked about, when that is an id at all.
      ...(OPERATION_ID.test(request.params.operationId ?? '') ? { operationId: request.params.operationId } : {}),
      ...(failure ? { failure } : {}),
      correlation: callerCorrelationOf(request.headers),
      ...callerFacts(trustedCaller(request, callers)),
    });
    return answered;
  };
}

// Operation ids are base64url (operationIdFor): letters, digits, `-` and `_`.
const OPERATION_ID = /^[A-Za-z0-9_-]{1,100}$/;

/** The caller's identifiers for its record, where the platform vouched for one. */
function callerFacts(caller: Caller | undefined): { caller?: { objectId: string; appId: string | undefined } } {
  return caller ? { caller: { objectId: caller.objectId, appId: caller.appId } } : {};
}

/** The `type` of a problem answer; undefined for any other answer. */
function problemTypeOf(answer: HttpAnswer): string | undefined {
  if (!answer.headers?.['content-type']?.startsWith('application/problem+json') || typeof answer.body !== 'string')
    return undefined;
  try {
    const type = (JSON.parse(answer.body) as { type?: unknown }).type;
    return typeof type === 'string' ? type : undefined;
  } catch {
    return undefined;
  }
}
