import type { HttpResponseInit } from '@azure/functions';
import type { Operation } from '../operations/catalog';
import { GraphUnreachableError, type GraphAnswer } from '../graph/gateway';
import { facadeUrl } from './links';
import { problemResponse, type GraphErrorSummary } from './problem';
import type { ValidRequest } from './validation';

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** An entity as the facade returns it: Graph's OData annotations removed. */
export function withoutAnnotations(entity: unknown): unknown {
  if (!isObject(entity)) return entity;
  return Object.fromEntries(Object.entries(entity).filter(([name]) => !name.startsWith('@odata.') && !name.includes('@odata.')));
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  body: JSON.stringify(body),
});

/** Maps Graph's answer to the facade's contract: success shapes per operation kind, errors as problem+json. */
export function answerFrom(operation: Operation, answer: GraphAnswer, request: ValidRequest, requestUrl: string): HttpResponseInit {
  if (answer.status < 200 || answer.status >= 300) return graphProblem(operation, answer);
  switch (operation.kind) {
    case 'read':
      return json(200, withoutAnnotations(answer.body));
    case 'update':
      return answer.body === undefined ? { status: 204 } : json(200, withoutAnnotations(answer.body));
    case 'delete':
      return { status: 204 };
    case 'create': {
      const created = withoutAnnotations(answer.body);
      const id = isObject(created) && typeof created.id === 'string' ? created.id : undefined;
      const headers: Record<string, string> = id
        ? { location: facadeUrl(requestUrl, `${operation.route}/{newId}`, { ...request.params, newId: id }) }
        : {};
      return json(201, created, headers);
    }
    case 'list':
      return json(200, listPage(operation, answer.body, request, requestUrl));
  }
}

/** A page of a list; Graph's nextLink becomes a facade URL carrying Graph's paging token. */
function listPage(operation: Operation, body: unknown, request: ValidRequest, requestUrl: string): JsonObject {
  const graphPage = isObject(body) ? body : {};
  const value = Array.isArray(graphPage.value) ? graphPage.value.map(withoutAnnotations) : [];
  const graphNext = typeof graphPage['@odata.nextLink'] === 'string' ? graphPage['@odata.nextLink'] : undefined;
  if (!graphNext) return { value };
  const graphQuery = new URL(graphNext).searchParams;
  const next = new URLSearchParams({ graphVersion: request.version });
  const top = graphQuery.get('$top') ?? (request.paging.top === undefined ? null : String(request.paging.top));
  if (top !== null) next.set('top', top);
  const skipToken = graphQuery.get('$skiptoken') ?? graphQuery.get('$skipToken');
  if (skipToken !== null) next.set('skipToken', skipToken);
  const skip = graphQuery.get('$skip');
  if (skip !== null) next.set('skip', skip);
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

function graphProblem(operation: Operation, answer: GraphAnswer): HttpResponseInit {
  const graph = graphErrorSummary(answer);
  const retryAfter: Record<string, string> = answer.retryAfter ? { 'retry-after': answer.retryAfter } : {};
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
      headers: { 'retry-after': answer.retryAfter ?? '10' },
    });
  }
  if (answer.status >= 500) {
    const status = answer.status === 503 ? 503 : answer.status === 504 ? 504 : 502;
    return problemResponse('graph-failed', { status, detail: `Graph failed (${said}).`, graph, headers: retryAfter });
  }
  return problemResponse('graph-rejected', { status: answer.status, detail: `Graph answered ${answer.status} (${said}).`, graph });
}

/** 503 when no token could be had (often passing), 502 when Graph could not be reached. */
export function unreachableProblem(error: GraphUnreachableError): HttpResponseInit {
  return error.reason === 'token'
    ? problemResponse('token-unavailable', {
        status: 503,
        detail: "The function app's managed identity could not get a token for Microsoft Graph; see the function logs.",
        headers: { 'retry-after': '5' },
      })
    : problemResponse('graph-unreachable', { status: 502, detail: 'Microsoft Graph could not be reached; see the function logs.' });
}
