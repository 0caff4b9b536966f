import { type Attributes, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';

/** What the app calls: Microsoft Graph, and its Table and Queue Storage. */
export type DependencyKind = 'graph' | 'table' | 'queue';

/** One call to a dependency, as its span is named and described; never a body, a query or a credential. */
export interface DependencyCall {
  readonly kind: DependencyKind;
  readonly method: string;
  /** The service's root URL, e.g. `https://graph.microsoft.com`; the resource follows it. */
  readonly base: string;
  /** What was called, without ids that carry no meaning to an operator: a Graph path, a table or queue name. */
  readonly resource: string;
  /** For Graph: who the call went as, the app's managed identity or a signed-in user (On-Behalf-Of). */
  readonly identity?: 'app' | 'user';
}

/** How the call ended: the service's HTTP status, or what kept it from answering. */
export interface DependencyEnding {
  readonly status?: number;
  /** Set when there was no answer: `timeout`, `connection-error`, ... */
  readonly error?: string;
  /** The service's own id of the request (Graph's `request-id`), to quote to its support. */
  readonly requestId?: string;
}

/** The attribute that names what kind of dependency a span is: what queries and alerts filter on. */
export const DEPENDENCY_KIND_ATTRIBUTE = 'dependency.kind';

const tracer = () => trace.getTracer('intune-status-facade');

/**
 * Whether an ending is a failure of the dependency. For storage, a 404, 409 or 412 is an answer
 * the app asks for (an absent row, a row already there, a row changed by another instance).
 */
export function dependencyFailed(kind: DependencyKind, ending: DependencyEnding): boolean {
  if (ending.error !== undefined || ending.status === undefined) return true;
  if (kind === 'graph') return ending.status >= 400;
  return ending.status >= 500 || ending.status === 429 || ending.status === 401 || ending.status === 403;
}

/**
 * Starts the span of one dependency call (a child of the invocation's), returning how to end it.
 * Application Insights shows it as a dependency: its target, result code and success.
 */
export function startDependency(call: DependencyCall): (ending: DependencyEnding) => void {
  const { hostname, port } = new URL(call.base);
  const attributes: Attributes = {
    [DEPENDENCY_KIND_ATTRIBUTE]: call.kind,
    'http.request.method': call.method,
    'server.address': hostname.replace(/^\[|\]$/g, ''),
    ...(port ? { 'server.port': Number(port) } : {}),
    'url.full': `${call.base.replace(/\/+$/, '')}/${call.resource.replace(/^\/+/, '')}`,
    ...(call.identity ? { 'graph.identity': call.identity } : {}),
  };
  const span = tracer().startSpan(`${call.method} ${call.resource}`, { kind: SpanKind.CLIENT, attributes });
  return (ending) => {
    if (ending.status !== undefined) span.setAttribute('http.response.status_code', ending.status);
    if (ending.error !== undefined) span.setAttribute('error.type', ending.error);
    if (ending.requestId !== undefined) span.setAttribute('graph.request_id', ending.requestId);
    if (dependencyFailed(call.kind, ending)) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  };
}
