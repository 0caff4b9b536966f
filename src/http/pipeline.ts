import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { GraphUnreachableError, type GraphCall, type GraphGateway } from '../graph/gateway';
import type { Operation } from '../operations/catalog';
import { answerFrom, unreachableProblem } from './answers';
import { readJsonObject, type JsonObject } from './body';
import { correlationIdOf } from './correlation';
import { fillRoute } from './links';
import { problemResponse, validationProblem } from './problem';
import { validateRequest, type ValidRequest } from './validation';

/** What one call produced, for the response headers and the log line. */
interface Outcome {
  readonly response: HttpResponseInit;
  readonly graphStatus?: number;
  readonly graphRequestId?: string;
  readonly failure?: string;
}

const takesBody = (operation: Operation) => operation.kind === 'update' || operation.kind === 'create';

/**
 * The one request pipeline, shared by every catalog operation: read the body, validate path,
 * query and body together, call Graph, map its answer; then add the correlation headers and
 * write one structured log line.
 */
export function operationHandler(operation: Operation, graph: GraphGateway): HttpHandler {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const clientRequestId = correlationIdOf(request.headers);
    const started = performance.now();
    let outcome: Outcome;
    try {
      outcome = await run(operation, request, clientRequestId, graph);
    } catch (error) {
      outcome = {
        response: problemResponse('internal-error', { status: 500, detail: 'The facade failed unexpectedly; see the function logs.' }),
        failure: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      };
    }
    const response = withCorrelation(outcome, clientRequestId);
    const entry = {
      event: 'graph-facade-call',
      operation: operation.name,
      method: request.method,
      status: response.status,
      graphStatus: outcome.graphStatus,
      graphRequestId: outcome.graphRequestId,
      clientRequestId,
      durationMs: Math.round(performance.now() - started),
      ...(outcome.failure ? { failure: outcome.failure } : {}),
    };
    if (outcome.failure) context.error(JSON.stringify(entry));
    else context.info(JSON.stringify(entry));
    return response;
  };
}

async function run(operation: Operation, request: HttpRequest, clientRequestId: string, graph: GraphGateway): Promise<Outcome> {
  let body: JsonObject | undefined;
  if (takesBody(operation)) {
    const reading = await readJsonObject(request);
    if (!reading.ok) return { response: reading.response };
    body = reading.value;
  }
  const validation = validateRequest(operation, request.params, request.query, body);
  if (!validation.ok) return { response: validationProblem(validation.errors) };

  const call = graphCallFor(operation, validation.value, clientRequestId);
  try {
    const answer = await graph.send(call);
    return {
      response: answerFrom(operation, answer, validation.value, request.url),
      graphStatus: answer.status,
      graphRequestId: answer.requestId,
    };
  } catch (error) {
    if (!(error instanceof GraphUnreachableError)) throw error;
    return { response: unreachableProblem(error), failure: `${error.reason}: ${error.message}` };
  }
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

function withCorrelation(outcome: Outcome, clientRequestId: string): HttpResponseInit {
  const headers = new Headers(outcome.response.headers as ConstructorParameters<typeof Headers>[0]);
  headers.set('client-request-id', clientRequestId);
  if (outcome.graphRequestId) headers.set('x-graph-request-id', outcome.graphRequestId);
  return { ...outcome.response, headers: Object.fromEntries(headers) };
}
