import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { GraphGateway } from '../graph/gateway';
import { requestFingerprint, type IdempotencyStore } from '../idempotency';
import type { Operation } from '../operations/catalog';
import { readJsonObject, type JsonObject } from './body';
import { correlationIdOf, withCorrelation } from './correlation';
import { graphCallFor, send, type CallPlan, type Outcome } from './forwarding';
import { readIdempotencyKey } from './idempotency-key';
import { sendIdempotently } from './idempotent';
import { problemResponse, validationProblem } from './problem';
import { validateRequest } from './validation';

export interface PipelineDependencies {
  readonly graph: GraphGateway;
  readonly idempotency: IdempotencyStore;
  /** How long one call may spend on Graph, retries and waits included. */
  readonly timeBudgetMs: number;
}

const takesBody = (operation: Operation) => operation.kind === 'update' || operation.kind === 'create';

/**
 * The one request pipeline, shared by every catalog operation: read the body, validate path,
 * query and body together, honour an Idempotency-Key, call Graph within the time budget, map
 * its answer; then add the correlation headers and write one structured log line.
 */
export function operationHandler(operation: Operation, dependencies: PipelineDependencies): HttpHandler {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const clientRequestId = correlationIdOf(request.headers);
    const started = performance.now();
    let outcome: Outcome;
    try {
      outcome = await run(operation, request, clientRequestId, dependencies);
    } catch (error) {
      outcome = {
        response: problemResponse('internal-error', { status: 500, detail: 'The facade failed unexpectedly; see the function logs.' }),
        failure: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      };
    }
    const response = withCorrelation(outcome.response, clientRequestId, outcome.graph?.answer?.requestId);
    const entry = {
      event: 'graph-facade-call',
      operation: operation.name,
      method: request.method,
      status: response.status,
      graphStatus: outcome.graph?.answer?.status,
      graphRequestId: outcome.graph?.answer?.requestId,
      graphAttempts: outcome.graph?.attempts,
      graphFailure: outcome.graph?.failure,
      idempotency: outcome.idempotency,
      clientRequestId,
      durationMs: Math.round(performance.now() - started),
      ...(outcome.failure ? { failure: outcome.failure } : {}),
    };
    if (outcome.failure) context.error(JSON.stringify(entry));
    else context.info(JSON.stringify(entry));
    return response;
  };
}

async function run(operation: Operation, request: HttpRequest, clientRequestId: string, dependencies: PipelineDependencies): Promise<Outcome> {
  const deadline = Date.now() + dependencies.timeBudgetMs;
  const keyReading = readIdempotencyKey(request.headers);
  if (!keyReading.ok) return { response: keyReading.response };

  let body: JsonObject | undefined;
  if (takesBody(operation)) {
    const reading = await readJsonObject(request);
    if (!reading.ok) return { response: reading.response };
    body = reading.value;
  }
  const validation = validateRequest(operation, request.params, request.query, body);
  if (!validation.ok) return { response: validationProblem(validation.errors) };

  const valid = validation.value;
  const plan: CallPlan = {
    operation,
    request: valid,
    call: graphCallFor(operation, valid, clientRequestId),
    requestUrl: request.url,
    deadline,
    graph: dependencies.graph,
  };
  // A read is idempotent by nature: a key on GET is accepted and changes nothing.
  if (keyReading.key === undefined || operation.method === 'GET') return send(plan);
  const fingerprint = requestFingerprint(operation.name, valid.params, valid.version, body ?? null);
  return sendIdempotently(plan, keyReading.key, fingerprint, dependencies.idempotency);
}
