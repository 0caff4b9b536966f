import { AuthenticationHandler, Client, HTTPMessageHandler } from '@microsoft/microsoft-graph-client';

import type { GraphVersion } from '../schemas/entities';
import type { KeptTokenProvider } from './token-provider';

/** How one attempt to reach Graph ended: Graph's status, or why there was none. */
export type AttemptEnding =
  | { readonly kind: 'answer'; readonly status: number; readonly retryAfter?: string | undefined }
  /** The connection failed or broke before an answer was read. */
  | { readonly kind: 'network' }
  /** No answer within the time budget. */
  | { readonly kind: 'timeout' }
  /** No token could be had, so nothing was sent. */
  | { readonly kind: 'token' };

const TOKEN_ERRORS = new Set([
  'CredentialUnavailableError',
  'AuthenticationError',
  'AggregateAuthenticationError',
  'AuthenticationRequiredError',
]);
const TIMEOUT_ERRORS = new Set(['TimeoutError', 'AbortError']);

export function createClient(graphRoot: string, tokens: KeptTokenProvider, version: GraphVersion): Client {
  return Client.initWithMiddleware({
    baseUrl: graphRoot,
    defaultVersion: version,
    // The auth middleware attaches tokens only to Graph hosts and these; an override root is one.
    customHosts: new Set([new URL(graphRoot).hostname]),
    // Only what the facade needs: the token, then the request. No RetryHandler: retries follow the
    // facade's own policy (retry-policy.ts), which knows the time budget and never repeats a POST
    // that may have been applied. No TelemetryHandler: the facade sets client-request-id itself.
    middleware: [new AuthenticationHandler(tokens), new HTTPMessageHandler()],
  });
}

export async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The Graph client wraps errors in a GraphError whose `code` is the original error's name. */
export function failureKind(error: unknown): 'token' | 'network' | 'timeout' {
  const { code, name } = (error ?? {}) as { code?: unknown; name?: string };
  const kind = typeof code === 'string' ? code : (name ?? '');
  if (TOKEN_ERRORS.has(kind)) return 'token';
  if (TIMEOUT_ERRORS.has(kind)) return 'timeout';
  return 'network';
}
