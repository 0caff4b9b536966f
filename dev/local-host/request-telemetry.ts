import { appendFileSync } from 'node:fs';

import type { InvocationTraceContext } from './trace-context';

/** One request the host served, as the Functions host reports it (Application Insights `requests`). */
export interface ServedRequest {
  readonly functionName: string;
  readonly traceContext: InvocationTraceContext;
  /** The caller's span, when it sent a traceparent the host continued. */
  readonly callerSpanId: string | undefined;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly startedAt: Date;
  readonly durationMs: number;
}

/**
 * Appends the request row the Functions host would export for an invocation to the app's
 * telemetry file (TELEMETRY_FILE), beside the app's own records and dependencies: the host, not
 * the app, reports requests, so that they are never reported twice.
 */
export function writeRequestLine(filePath: string, served: ServedRequest): void {
  const [, traceId, spanId] = served.traceContext.traceParent.split('-');
  const line = {
    type: 'request',
    name: served.functionName,
    time: served.startedAt.toISOString(),
    durationMs: served.durationMs,
    success: served.status < 500,
    traceId,
    spanId,
    parentSpanId: served.callerSpanId,
    attributes: { 'http.request.method': served.method, 'url.path': served.path, 'http.response.status_code': served.status },
  };
  appendFileSync(filePath, `${JSON.stringify(line)}\n`);
}
