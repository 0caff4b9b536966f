import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import type { Operation } from '../catalog/operations';
import { correlationIdOf, withStandardHeaders } from '../http/headers';
import { problemResponse } from '../http/problem';
import { type OperationDependencies, type OperationOutcome, runOperation } from '../operations/pipeline';

/**
 * The Functions handler of every catalog operation: correlation in, the operation run, correlation
 * headers out, and one structured log line. An unexpected error is a 500 problem, never a crash.
 */
export function operationHandler(operation: Operation, dependencies: OperationDependencies): HttpHandler {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const clientRequestId = correlationIdOf(request.headers);
    const started = performance.now();
    let outcome: OperationOutcome;
    try {
      outcome = await runOperation(operation, request, clientRequestId, dependencies);
    } catch (error) {
      outcome = {
        response: problemResponse('internal-error', { detail: 'The facade failed unexpectedly; see the function logs.' }),
        record: { failure: error instanceof Error ? `${error.name}: ${error.message}` : String(error) },
      };
    }
    const { response, record } = outcome;
    const answered = withStandardHeaders(response, clientRequestId, record.graphRequestId);
    const entry = {
      event: 'graph-facade-call',
      operation: operation.name,
      method: request.method,
      status: answered.status,
      ...record,
      clientRequestId,
      durationMs: Math.round(performance.now() - started),
    };
    if (record.failure) context.error(JSON.stringify(entry));
    else context.info(JSON.stringify(entry));
    return answered;
  };
}
