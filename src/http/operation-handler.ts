import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import type { Operation } from '../catalog/operations';
import { type OperationDependencies, type OperationRun, runOperation } from '../facade/run-operation';
import { lastAttempt } from '../graph/gateway';
import { correlationIdOf, withCorrelation } from './correlation';
import { problemResponse } from './problem';

/**
 * The Functions handler of every catalog operation: correlation in, the operation run, correlation
 * headers out, and one structured log line. An unexpected error is a 500 problem, never a crash.
 */
export function operationHandler(operation: Operation, dependencies: OperationDependencies): HttpHandler {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const clientRequestId = correlationIdOf(request.headers);
    const started = performance.now();
    let run: OperationRun;
    let failure: string | undefined;
    try {
      run = await runOperation(operation, request, clientRequestId, dependencies);
      failure = run.storeFailure;
    } catch (error) {
      run = {
        response: problemResponse('internal-error', {
          status: 500,
          detail: 'The facade failed unexpectedly; see the function logs.',
        }),
      };
      failure = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
    const attempt = run.exchange && lastAttempt(run.exchange);
    const response = withCorrelation(run.response, clientRequestId, attempt?.answer?.requestId);
    const entry = {
      event: 'graph-facade-call',
      operation: operation.name,
      method: request.method,
      status: response.status,
      graphStatus: attempt?.answer?.status,
      graphRequestId: attempt?.answer?.requestId,
      graphAttempts: run.exchange?.attempts.length,
      graphEnding: attempt?.ending.kind,
      settlement: run.settlement?.kind,
      idempotency: run.keyUse,
      foundEarlierWrite: run.foundEarlierWrite,
      clientRequestId,
      durationMs: Math.round(performance.now() - started),
      ...(failure ? { failure } : {}),
    };
    if (failure) context.error(JSON.stringify(entry));
    else context.info(JSON.stringify(entry));
    return response;
  };
}
