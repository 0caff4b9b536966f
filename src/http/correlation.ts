import { randomUUID } from 'node:crypto';

import type { HttpResponseInit } from '@azure/functions';
import * as v from 'valibot';

import { correlationId } from '../schemas/request-parameters';

/**
 * The correlation id of a call: the caller's `client-request-id` (or `x-ms-client-request-id`)
 * when it is a plain token, otherwise a new GUID. It is sent to Graph, echoed to the caller and
 * written in every log line of the call.
 */
export function correlationIdOf(headers: Headers): string {
  const given = headers.get('client-request-id') ?? headers.get('x-ms-client-request-id');
  return given !== null && v.safeParse(correlationId, given).success ? given : randomUUID();
}

/** The response with `client-request-id` and, when Graph answered, Graph's request id as `x-graph-request-id`. */
export function withCorrelation(response: HttpResponseInit, clientRequestId: string, graphRequestId?: string): HttpResponseInit {
  // A plain record, as every answer of the app has: copying it costs far less than a Headers object per call.
  const given =
    response.headers instanceof Headers || Array.isArray(response.headers)
      ? Object.fromEntries(new Headers(response.headers))
      : (response.headers ?? {});
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(given)) headers[name.toLowerCase()] = String(value);
  headers['client-request-id'] = clientRequestId;
  if (graphRequestId) headers['x-graph-request-id'] = graphRequestId;
  return { ...response, headers };
}
