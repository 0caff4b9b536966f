import type { Operation } from '../catalog/operations';
import { type GraphAnswer, type GraphExchange, lastAttempt } from '../graph/gateway';
import { nextPageOf } from '../graph/paging';
import { retryAfterSeconds } from '../http/headers';
import { facadeUrl } from '../http/links';
import { type GraphErrorSummary, problemResponse } from '../http/problem';
import { type HttpAnswer, jsonAnswer } from '../http/response';
import { isJsonObject, type JsonObject } from '../json';
import type { ValidRequest } from './validate';

/** An entity as the facade returns it: Graph's OData annotations removed. */
export function withoutAnnotations(entity: unknown): unknown {
  if (!isJsonObject(entity)) return entity;
  return Object.fromEntries(Object.entries(entity).filter(([name]) => !name.includes('@odata.')));
}

/** Graph's success answer in the facade's shape for the operation's kind. */
export function successResponse(
  operation: Operation,
  answer: GraphAnswer,
  request: ValidRequest,
  requestUrl: string,
): HttpAnswer {
  switch (operation.kind) {
    case 'read':
      return jsonAnswer(200, withoutAnnotations(answer.body));
    case 'update':
      return answer.body === undefined ? { status: 204 } : jsonAnswer(200, withoutAnnotations(answer.body));
    case 'delete':
      return { status: 204 };
    case 'create':
      return createdResponse(operation, request, requestUrl, answer.body);
    case 'list': {
      const next = nextPageOf(answer.body);
      // A nextLink with no cursor would send the caller back to the first page, for ever.
      if (next && next.skipToken === undefined && next.skip === undefined) {
        return problemResponse('graph-failed', {
          status: 502,
          detail: "Graph's nextLink carries no paging cursor ($skiptoken or $skip) that the facade can pass on.",
          graph: graphErrorSummary(answer),
        });
      }
      return jsonAnswer(200, listPage(operation, answer.body, request, requestUrl));
    }
  }
}

/** 201 with the created entity and a Location naming its facade URL. */
export function createdResponse(operation: Operation, request: ValidRequest, requestUrl: string, entity: unknown): HttpAnswer {
  const created = withoutAnnotations(entity);
  const id = isJsonObject(created) && typeof created.id === 'string' ? created.id : undefined;
  const location = id ? facadeUrl(requestUrl, `${operation.route}/{newId}`, { ...request.params, newId: id }) : undefined;
  return jsonAnswer(201, created, location ? { location } : {});
}

/** A page of a list; Graph's nextLink becomes a facade URL carrying Graph's paging token. */
function listPage(operation: Operation, body: unknown, request: ValidRequest, requestUrl: string): JsonObject {
  const graphPage = isJsonObject(body) ? body : {};
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
  const error = isJsonObject(answer.body) && isJsonObject(answer.body.error) ? answer.body.error : {};
  const inner = isJsonObject(error.innerError) ? error.innerError : isJsonObject(error.innererror) ? error.innererror : {};
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return {
    status: answer.status,
    code: text(error.code),
    message: text(error.message) ?? (typeof answer.body === 'string' ? answer.body.slice(0, 500) : undefined),
    requestId: answer.requestId ?? text(inner['request-id']),
    date: text(inner.date),
  };
}

/** How a failed exchange is explained: when to come back, and what is known of a write that may have been applied. */
export interface FailureContext {
  readonly retryAfterMs: number | undefined;
  /** Said when a write may have been applied, for the detail. */
  readonly inDoubtNote?: string;
  /** The roles the facade's token holds, when known (read on a 403). */
  readonly rolesHeld?: readonly string[];
  /** Set when the call went as the signed-in user: their Graph token's delegated permissions, or why the exchange failed. */
  readonly user?: { readonly grantedScopes?: readonly string[]; readonly tokenFailure?: string };
}

/** A problem for an exchange that did not end in success: Graph's refusal, throttling, an outage or a timeout. */
export function failureResponse(operation: Operation, exchange: GraphExchange, context: FailureContext): HttpAnswer {
  const note = context.inDoubtNote ? ` ${context.inDoubtNote}` : '';
  const headers: Record<string, string> =
    context.retryAfterMs === undefined ? {} : { 'retry-after': retryAfterSeconds(context.retryAfterMs) };
  // Held before the first attempt, nothing was sent; held after one, that attempt's ending is what the caller must know.
  if (exchange.heldBack && exchange.attempts.length === 0) {
    const kind = operation.method === 'GET' ? 'reads' : 'writes';
    const why =
      exchange.heldBack === 'caller-share-used'
        ? `this caller already holds its share of the turns (a caller is promised turns only a few seconds ahead, and callers at work at once share the ${kind} evenly)`
        : exchange.heldBack === 'waiting-room-full'
          ? 'this instance already holds as many calls waiting for a turn as it may (or this caller its part of them)'
          : "this request's turn would come too late for Graph to answer within the time budget";
    return problemResponse('request-budget-exhausted', {
      detail: `Nothing was sent: the app spaces its Graph ${kind} to stay under Intune's limits (one budget for every instance), and ${why}. Send it again after Retry-After seconds.`,
      headers: { 'retry-after': retryAfterSeconds(context.retryAfterMs ?? 1000) },
    });
  }
  const attempt = lastAttempt(exchange);
  const ending = attempt?.ending;
  if (ending?.kind === 'answer' && attempt?.answer) return graphProblem(operation, attempt.answer, headers, note, context);
  switch (ending?.kind) {
    case 'token':
      if (context.user) return exchangeFailed(context.user.tokenFailure);
      return problemResponse('token-unavailable', {
        detail: "The function app's managed identity could not get a token for Microsoft Graph; see the function logs.",
        headers,
      });
    case 'timeout':
      return problemResponse('graph-timeout', {
        detail: `Graph did not answer ${operation.name} within the time budget.${note}`,
        headers,
      });
    default:
      return problemResponse('graph-unreachable', {
        status: 502,
        detail: `Microsoft Graph could not be reached or broke the connection.${note}`,
        headers,
      });
  }
}

/** Graph's message says the path has a segment it does not know: the operation is not exposed (any more) in this version. */
const UNKNOWN_SEGMENT = /Resource not found for the segment/i;

function graphProblem(
  operation: Operation,
  answer: GraphAnswer,
  headers: Record<string, string>,
  note: string,
  context: FailureContext,
): HttpAnswer {
  const graph = graphErrorSummary(answer);
  const said = graph.code ? `${graph.code}: ${graph.message ?? ''}`.trim() : `status ${answer.status}`;
  if (context.user && (answer.status === 401 || answer.status === 403)) return userRefused(operation, graph, said, context.user);
  if (answer.status === 403 && context.rolesHeld?.includes(operation.permission)) {
    return problemResponse('graph-refuses-application-identity', {
      detail: `Graph refuses ${operation.name} for application identities: the app's identity holds ${operation.permission}, and Graph answered 403 (${said}). This operation needs a delegated (user) token; granting more permissions will not help.`,
      graph,
    });
  }
  if (answer.status === 401 || answer.status === 403) {
    return problemResponse('graph-permission-missing', {
      detail: `Graph refused the facade's identity (${answer.status}). ${operation.name} needs the Microsoft Graph application permission ${operation.permission} granted to the function app's managed identity.`,
      graph,
    });
  }
  if (answer.status === 400 && !operation.graphVersions.includes('v1.0') && UNKNOWN_SEGMENT.test(graph.message ?? '')) {
    return problemResponse('graph-operation-not-exposed', {
      detail: `Graph beta no longer exposes ${operation.name} (${operation.graphPath}): it answered 400 (${said}). The operation exists only in beta, which Microsoft does not support for production use; nothing the caller sends can make it succeed.`,
      graph,
    });
  }
  if (answer.status === 429) {
    return problemResponse('graph-throttled', {
      detail: 'Graph is throttling this tenant or app; send the request again after Retry-After seconds.',
      graph,
      headers: { 'retry-after': retryAfterSeconds(context.retryAfterMs ?? 10_000) },
    });
  }
  if (answer.status >= 500) {
    const status = answer.status === 503 ? 503 : answer.status === 504 ? 504 : 502;
    return problemResponse('graph-failed', { status, detail: `Graph failed (${said}).${note}`, graph, headers });
  }
  // A 408 is Graph giving up on the request, which callers retry: it says when, and what may have happened.
  const retryable = answer.status === 408 ? { headers } : {};
  return problemResponse('graph-rejected', {
    status: answer.status,
    detail: `Graph answered ${answer.status} (${said}).${answer.status === 408 ? note : ''}`,
    graph,
    ...retryable,
  });
}

/** Entra's refusals that are the user's or the tenant's to mend (consent, the user's token), not the app's setup. */
const REFUSED_FOR_THE_USER = /AADSTS(65001|50013|500133|50076|50079|53003)\b/;

/** The exchange of the user's token for a Graph token failed: nothing was sent to Graph. */
function exchangeFailed(failure: string | undefined): HttpAnswer {
  const said = failure ? ` Entra ID said: ${failure}` : '';
  const forTheUser = failure !== undefined && REFUSED_FOR_THE_USER.test(failure);
  return problemResponse('on-behalf-of-failed', {
    status: forTheUser ? 403 : 502,
    detail: forTheUser
      ? `Entra ID would not give the app a Microsoft Graph token for the signed-in user, so nothing was sent.${said} An administrator may need to consent to the API's delegated Graph permission, or the user to sign in again.`
      : `The app could not exchange the signed-in user's token for a Microsoft Graph token (On-Behalf-Of), so nothing was sent.${said} Check the API app registration's federated credential for the app's managed identity (docs/deployment.md).`,
  });
}

/**
 * Graph refused a call made as the signed-in user. When the user's Graph token holds the
 * operation's permission, the refusal is the user's own Intune role (RBAC): it is passed on as
 * theirs. Otherwise the API lacks the consented delegated permission.
 */
function userRefused(
  operation: Operation,
  graph: GraphErrorSummary,
  said: string,
  user: NonNullable<FailureContext['user']>,
): HttpAnswer {
  if (user.grantedScopes?.includes(operation.permission)) {
    return problemResponse('graph-refuses-user', {
      detail: `Graph refused ${operation.name} for the signed-in user (${graph.status}: ${said}). The user's token holds ${operation.permission}, so the user's own Intune role does not allow this: an Intune administrator can assign one that does.`,
      graph,
    });
  }
  return problemResponse('graph-permission-missing', {
    detail: `Graph refused the signed-in user's call (${graph.status}). ${operation.name} needs the delegated Microsoft Graph permission ${operation.permission}, consented for the API's app registration (oauth2PermissionGrants; docs/deployment.md).`,
    graph,
  });
}
