import type { HttpResponseInit } from '@azure/functions';
import type { Operation } from '../operations/catalog';
import type { GraphAnswer, GraphResult } from '../graph/gateway';
import { facadeUrl } from './links';
import { problemResponse, type GraphErrorSummary } from './problem';
import type { ValidRequest } from './validation';

import { isJsonObject as isObject, type JsonObject } from './body';
import { nextPageOf } from './paging';

/** An entity as the facade returns it: Graph's OData annotations removed. */
export function withoutAnnotations(entity: unknown): unknown {
  if (!isObject(entity)) return entity;
  return Object.fromEntries(Object.entries(entity).filter(([name]) => !name.includes('@odata.')));
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  body: JSON.stringify(body),
});

/** Maps how a Graph call ended to the facade's contract: success shapes per operation kind, errors as problem+json. */
export function answerFrom(operation: Operation, result: GraphResult, request: ValidRequest, requestUrl: string): HttpResponseInit {
  if (result.failure || !result.answer) return failureProblem(operation, result);
  const answer = result.answer;
  if (answer.status < 200 || answer.status >= 300) return graphProblem(operation, answer, result);
  switch (operation.kind) {
    case 'read':
      return json(200, withoutAnnotations(answer.body));
    case 'update':
      return answer.body === undefined ? { status: 204 } : json(200, withoutAnnotations(answer.body));
    case 'delete':
      return { status: 204 };
    case 'create':
      return createdResponse(operation, request, requestUrl, answer.body);
    case 'list':
      return json(200, listPage(operation, answer.body, request, requestUrl));
  }
}

/** 201 with the created entity and a Location naming its facade URL. */
export function createdResponse(operation: Operation, request: ValidRequest, requestUrl: string, entity: unknown): HttpResponseInit {
  const created = withoutAnnotations(entity);
  const id = isObject(created) && typeof created.id === 'string' ? created.id : undefined;
  const location = id ? facadeUrl(requestUrl, `${operation.route}/{newId}`, { ...request.params, newId: id }) : undefined;
  return json(201, created, location ? { location } : {});
}

/** A page of a list; Graph's nextLink becomes a facade URL carrying Graph's paging token. */
function listPage(operation: Operation, body: unknown, request: ValidRequest, requestUrl: string): JsonObject {
  const graphPage = isObject(body) ? body : {};
  const value = Array.isArray(graphPage.value) ? graphPage.value.map(withoutAnnotations) : [];
  const graphNext = nextPageOf(graphPage);
  if (!graphNext) return { value };
  const next = new URLSearchParams({ graphVersion: request.version });
  const top = graphNext.top ?? request.paging.top;
  if (top !== undefined) next.set('top', String(top));
  if (graphNext.skipToken !== undefined) next.set('skipToken', graphNext.skipToken);
  if (graphNext.skip !== undefined) next.set('skip', String(graphNext.skip));
  return { value, nextLink: facadeUrl(requestUrl, operation.route, request.params, next) };
}

/** Graph's error fields, read defensively: Graph errors nest `innerError` and vary in spelling. */
export function graphErrorSummary(answer: GraphAnswer): GraphErrorSummary {
  const error = isObject(answer.body) && isObject(answer.body.error) ? answer.body.error : {};
  const inner = isObject(error.innerError) ? error.innerError : isObject(error.innererror) ? error.innererror : {};
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return {
    status: answer.status,
    code: text(error.code),
    message: text(error.message) ?? (typeof answer.body === 'string' ? answer.body.slice(0, 500) : undefined),
    requestId: answer.requestId ?? text(inner['request-id']),
    date: text(inner.date),
  };
}

const MAYBE_APPLIED =
  ' The create may have been applied: send it again with the same Idempotency-Key, and the facade looks for it before creating anything.';

function retryAfterHeader(seconds: number | undefined): Record<string, string> {
  return seconds === undefined ? {} : { 'retry-after': String(seconds) };
}

function graphProblem(operation: Operation, answer: GraphAnswer, result: GraphResult): HttpResponseInit {
  const graph = graphErrorSummary(answer);
  const retryAfter = retryAfterHeader(result.retryAfterSeconds);
  const said = graph.code ? `${graph.code}: ${graph.message ?? ''}`.trim() : `status ${answer.status}`;
  if (answer.status === 401 || answer.status === 403) {
    return problemResponse('graph-permission-missing', {
      status: 502,
      detail: `Graph refused the facade's identity (${answer.status}). ${operation.name} needs the Microsoft Graph application permission ${operation.permission} granted to the function app's managed identity.`,
      graph,
    });
  }
  if (answer.status === 429) {
    return problemResponse('graph-throttled', {
      status: 429,
      detail: 'Graph is throttling this tenant or app; send the request again after Retry-After seconds.',
      graph,
      headers: { 'retry-after': String(result.retryAfterSeconds ?? 10) },
    });
  }
  if (answer.status >= 500) {
    const status = answer.status === 503 ? 503 : answer.status === 504 ? 504 : 502;
    const detail = `Graph failed (${said}).${result.maybeApplied ? MAYBE_APPLIED : ''}`;
    return problemResponse('graph-failed', { status, detail, graph, headers: retryAfter });
  }
  return problemResponse('graph-rejected', { status: answer.status, detail: `Graph answered ${answer.status} (${said}).`, graph });
}

/** A call that ended without a usable answer from Graph. */
function failureProblem(operation: Operation, result: GraphResult): HttpResponseInit {
  const headers = retryAfterHeader(result.retryAfterSeconds);
  const maybeApplied = result.maybeApplied ? MAYBE_APPLIED : '';
  switch (result.failure) {
    case 'token':
      return problemResponse('token-unavailable', {
        status: 503,
        detail: "The function app's managed identity could not get a token for Microsoft Graph; see the function logs.",
        headers,
      });
    case 'throttled-locally':
      return problemResponse('graph-throttled', {
        status: 429,
        detail: `This instance holds writes to stay under Intune's write limit and could not send this one within its time budget; send it again after Retry-After seconds.`,
        headers,
      });
    case 'timeout':
      return problemResponse('graph-timeout', {
        status: 504,
        detail: `Graph did not answer ${operation.name} within the time budget.${maybeApplied}`,
        headers,
      });
    default:
      return problemResponse('graph-unreachable', {
        status: 502,
        detail: `Microsoft Graph could not be reached or broke the connection.${maybeApplied}`,
        headers,
      });
  }
}
