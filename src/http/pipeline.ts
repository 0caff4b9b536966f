import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { GraphCall, GraphGateway, GraphResult } from '../graph/gateway';
import { requestFingerprint, type IdempotencyStore, type Lease, type StoredResponse } from '../idempotency';
import type { Operation } from '../operations/catalog';
import { answerFrom, createdResponse } from './answers';
import { readJsonObject, type JsonObject } from './body';
import { correlationIdOf, withCorrelation } from './correlation';
import { readIdempotencyKey } from './idempotency-key';
import { fillRoute } from './links';
import { problemResponse, validationProblem } from './problem';
import { findCreated } from './reconcile';
import { validateRequest, type ValidRequest } from './validation';

export interface PipelineDependencies {
  readonly graph: GraphGateway;
  readonly idempotency: IdempotencyStore;
  /** How long one call may spend on Graph, retries and waits included. */
  readonly timeBudgetMs: number;
}

/** What one call produced, for the response headers, the idempotency record and the log line. */
interface Outcome {
  readonly response: HttpResponseInit;
  readonly graph?: GraphResult;
  /** How the Idempotency-Key was used, for the log line. */
  readonly idempotency?: 'new' | 'replayed' | 'found-earlier-write' | 'refused';
  readonly failure?: string;
}

/** A key's lease outlives the time budget a little, so that a live attempt is never taken over. */
const LEASE_MARGIN_MS = 15_000;

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
  const call = graphCallFor(operation, valid, clientRequestId);

  if (keyReading.key === undefined) return send(operation, call, valid, request.url, deadline, dependencies.graph);

  const fingerprint = requestFingerprint(request.method, new URL(request.url).pathname, valid.version, body ?? null);
  const claim = await dependencies.idempotency.claim(keyReading.key, fingerprint, dependencies.timeBudgetMs + LEASE_MARGIN_MS);
  switch (claim.kind) {
    case 'replay':
      return { response: replay(claim.response), idempotency: 'replayed' };
    case 'in-progress':
      return {
        idempotency: 'refused',
        response: problemResponse('idempotency-key-in-progress', {
          status: 409,
          detail: 'A request with this Idempotency-Key is still being processed; send it again after Retry-After seconds to get its answer.',
          headers: { 'retry-after': '5' },
        }),
      };
    case 'mismatch':
      return {
        idempotency: 'refused',
        response: problemResponse('idempotency-key-reused', {
          status: 422,
          detail: 'This Idempotency-Key was used within the last 24 hours for a different request (method, path, Graph version or body); use a new key.',
        }),
      };
  }

  let outcome: Outcome;
  try {
    outcome = await runClaimed(operation, call, valid, request.url, deadline, dependencies.graph, claim.previousAttemptInDoubt);
  } catch (error) {
    await dependencies.idempotency.release(claim.lease);
    throw error;
  }
  await settle(dependencies.idempotency, claim.lease, outcome);
  return outcome;
}

/** A call under a claimed key: an earlier attempt in doubt is looked for before anything is sent again. */
async function runClaimed(
  operation: Operation,
  call: GraphCall,
  valid: ValidRequest,
  requestUrl: string,
  deadline: number,
  graph: GraphGateway,
  previousAttemptInDoubt: boolean,
): Promise<Outcome> {
  if (previousAttemptInDoubt && operation.kind === 'create') {
    const earlier = await findCreated(call, valid.body ?? {}, deadline, graph);
    if (earlier.kind === 'found') {
      return { response: replayHeaders(createdResponse(operation, valid, requestUrl, earlier.entity)), idempotency: 'found-earlier-write' };
    }
    if (earlier.kind === 'unknown') return { response: earlier.response, graph: earlier.result, idempotency: 'new' };
  }

  const outcome = await send(operation, call, valid, requestUrl, deadline, graph);
  const result = outcome.graph as GraphResult;
  if (previousAttemptInDoubt && operation.kind === 'delete' && result.answer?.status === 404) {
    // The earlier attempt deleted it.
    return { response: { status: 204 }, graph: result, idempotency: 'found-earlier-write' };
  }
  return { ...outcome, idempotency: 'new' };
}

/** Calls Graph and maps the result; a create goes through `createOnce`. */
function send(operation: Operation, call: GraphCall, valid: ValidRequest, requestUrl: string, deadline: number, graph: GraphGateway): Promise<Outcome> {
  return operation.kind === 'create' ? createOnce(operation, call, valid, requestUrl, deadline, graph) : forward(operation, call, valid, requestUrl, deadline, graph);
}

async function forward(operation: Operation, call: GraphCall, valid: ValidRequest, requestUrl: string, deadline: number, graph: GraphGateway): Promise<Outcome> {
  const result = await graph.send(call, deadline);
  return { response: answerFrom(operation, result, valid, requestUrl), graph: result };
}

/** Before looking for a create whose answer was lost, give Graph a moment to finish it. */
const SETTLE_MS = 500;

/**
 * A create that cannot happen twice. When Graph may have applied it without the answer being
 * seen (a 503/504 or a broken connection after sending), the collection is searched for it:
 * found, it is the answer; absent, it was not applied and is sent once more. A timeout is
 * never followed by a search, since the create may still be under way.
 */
async function createOnce(operation: Operation, call: GraphCall, valid: ValidRequest, requestUrl: string, deadline: number, graph: GraphGateway): Promise<Outcome> {
  let outcome = await forward(operation, call, valid, requestUrl, deadline, graph);
  for (let resend = 0; resend < 2; resend++) {
    const result = outcome.graph as GraphResult;
    if (!result.maybeApplied || result.failure === 'timeout' || deadline - Date.now() < 2 * SETTLE_MS) return outcome;
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const search = await findCreated(call, valid.body ?? {}, deadline, graph);
    if (search.kind === 'found') return { response: createdResponse(operation, valid, requestUrl, search.entity), graph: { ...result, maybeApplied: false } };
    if (search.kind === 'unknown') return outcome;
    outcome = await forward(operation, call, valid, requestUrl, deadline, graph);
  }
  return outcome;
}

/**
 * What the key's record keeps: a final answer is stored for replay; a write that may have been
 * applied stays in doubt, to be looked for on the next attempt; anything else (throttling,
 * an outage, a missing permission) frees the key so that a retry is sent afresh.
 */
async function settle(store: IdempotencyStore, lease: Lease, outcome: Outcome): Promise<void> {
  const status = outcome.response.status ?? 200;
  const graphStatus = outcome.graph?.answer?.status;
  const definitiveGraphRefusal = graphStatus !== undefined && graphStatus >= 400 && graphStatus < 500 && ![401, 403, 408, 429].includes(graphStatus);
  if (status < 300 || (outcome.graph?.failure === undefined && definitiveGraphRefusal)) {
    await store.complete(lease, stored(outcome.response));
  } else if (outcome.graph?.maybeApplied) {
    await store.markInDoubt(lease);
  } else {
    await store.release(lease);
  }
}

const KEPT_HEADERS = ['content-type', 'location'];

function stored(response: HttpResponseInit): StoredResponse {
  const headers = new Headers(response.headers as ConstructorParameters<typeof Headers>[0]);
  const kept = Object.fromEntries(KEPT_HEADERS.flatMap((name) => (headers.has(name) ? [[name, headers.get(name) as string]] : [])));
  return { status: response.status ?? 200, headers: kept, body: typeof response.body === 'string' ? response.body : undefined };
}

function replayHeaders(response: HttpResponseInit): HttpResponseInit {
  return { ...response, headers: { ...(response.headers as Record<string, string>), 'idempotent-replayed': 'true' } };
}

function replay(response: StoredResponse): HttpResponseInit {
  return replayHeaders({ status: response.status, headers: { ...response.headers }, ...(response.body === undefined ? {} : { body: response.body }) });
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
