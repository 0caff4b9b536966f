import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';

import { fetchGraphToken } from './identity-token';

/**
 * The benchmark's baseline: a bare pass-through over the same local host stand-in as the facade
 * (served with FACADE_ENTRY=<this file, built>). It forwards method, path under /api, query,
 * body, Content-Type and Prefer to GRAPH_BASE_URL and returns Graph's answer: no validation, no
 * retries, no budget, no token logic (one token fetched at start, sent as a fixed header). The
 * gap between it and the facade is what the facade's own work costs; the gap between it and
 * Graph direct is what the host and one extra hop cost.
 *
 * It calls Graph with the global fetch, as the facade's Graph client does, and trusts the
 * emulator's certificate through NODE_EXTRA_CA_CERTS (in the emulator's facadeEnvironment()).
 */

const graphBaseUrl = (process.env.GRAPH_BASE_URL ?? '').replace(/\/+$/, '');
if (!graphBaseUrl) throw new Error('GRAPH_BASE_URL must be set');

// Fetched once, when the host loads the entry; every request awaits the same settled promise.
const token = fetchGraphToken(process.env.IDENTITY_ENDPOINT, process.env.IDENTITY_HEADER);
// A failed fetch is reported by the requests that need it (as 500s), not as an unhandled rejection.
token.catch(() => undefined);

/** The request headers Graph's answer depends on; everything else (host, connection, ...) stays here. */
const FORWARDED_HEADERS = ['content-type', 'prefer'] as const;

async function forward(request: HttpRequest): Promise<HttpResponseInit> {
  const incoming = new URL(request.url);
  // The host routes /api/<path>; Graph is called at <path> with the same query.
  const path = incoming.pathname.replace(/^\/api(?=\/|$)/i, '');
  const headers: Record<string, string> = { authorization: `Bearer ${await token}` };
  for (const name of FORWARDED_HEADERS) {
    const value = request.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
  const answer = await fetch(`${graphBaseUrl}${path}${incoming.search}`, {
    method: request.method,
    headers,
    ...(hasBody ? { body: await request.arrayBuffer() } : {}),
  });
  const body = await answer.arrayBuffer();
  const contentType = answer.headers.get('content-type');
  return {
    status: answer.status,
    headers: contentType === null ? {} : { 'content-type': contentType },
    ...(body.byteLength > 0 ? { body } : {}),
  };
}

app.http('proxy', {
  route: '{*path}',
  methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'],
  authLevel: 'anonymous',
  handler: forward,
});
