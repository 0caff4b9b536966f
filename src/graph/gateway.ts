import type { TokenCredential } from '@azure/identity';
import {
  AuthenticationHandler,
  Client,
  HTTPMessageHandler,
  ResponseType,
  RetryHandler,
  RetryHandlerOptions,
  TelemetryHandler,
  type FetchOptions,
} from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import type { Settings } from '../config';
import type { HttpMethod } from '../operations/catalog';
import type { GraphVersion } from '../schemas/entities';

/** One call to Graph, fully resolved: the path is already built from validated ids. */
export interface GraphCall {
  readonly version: GraphVersion;
  readonly method: HttpMethod;
  readonly path: string;
  readonly top?: number;
  readonly skipToken?: string;
  readonly skip?: number;
  readonly body?: unknown;
  readonly clientRequestId: string;
}

/** Graph's answer, whatever its status. */
export interface GraphAnswer {
  readonly status: number;
  readonly requestId: string | undefined;
  readonly retryAfter: string | undefined;
  readonly body: unknown;
}

/** Graph could not be asked: no token, or no connection. */
export class GraphUnreachableError extends Error {
  override readonly name = 'GraphUnreachableError';
  constructor(
    readonly reason: 'token' | 'network',
    message: string,
  ) {
    super(message);
  }
}

export interface GraphGateway {
  send(call: GraphCall): Promise<GraphAnswer>;
}

/** Longest Retry-After the facade waits out itself; a longer one is passed on to the caller. */
const MAX_RETRY_AFTER_SECONDS = 10;
const RETRY_DELAY_SECONDS = 1;
const MAX_RETRIES = 3;

/**
 * Whether the Graph client's RetryHandler may send a request again after a 429/503/504. It would
 * retry a POST too; a POST that got 503/504 may have been applied, so only a 429 (refused
 * before any work) is retried for it. A long Retry-After is handed to the caller instead of
 * holding the call open.
 */
export function mayRetry(method: string, status: number, retryAfter: string | null): boolean {
  if (method.toUpperCase() === 'POST' && status !== 429) return false;
  if (retryAfter === null) return true;
  const seconds = Number(retryAfter);
  const wait = Number.isNaN(seconds) ? (Date.parse(retryAfter) - Date.now()) / 1000 : seconds;
  return !(wait > MAX_RETRY_AFTER_SECONDS);
}

function methodOf(request: Request | string, options: FetchOptions | undefined): string {
  return typeof request === 'string' ? (options?.method ?? 'GET') : request.method;
}

function createClient(settings: Settings, credential: TokenCredential, version: GraphVersion): Client {
  const authProvider = new TokenCredentialAuthenticationProvider(credential, { scopes: [settings.endpoints.scope] });
  const retryOptions = new RetryHandlerOptions(RETRY_DELAY_SECONDS, MAX_RETRIES, (_delay, _attempt, request, options, response) =>
    mayRetry(methodOf(request, options), response.status, response.headers.get('retry-after')),
  );
  return Client.initWithMiddleware({
    baseUrl: settings.endpoints.graphRoot,
    defaultVersion: version,
    // The auth middleware attaches tokens only to Graph hosts and these; an override root is one.
    customHosts: new Set([new URL(settings.endpoints.graphRoot).hostname]),
    middleware: [new AuthenticationHandler(authProvider), new RetryHandler(retryOptions), new TelemetryHandler(), new HTTPMessageHandler()],
  });
}

/** Sends calls to Graph with one client per version, created on first use and reused. */
export function createGraphGateway(settings: Settings, credential: TokenCredential): GraphGateway {
  const clients = new Map<GraphVersion, Client>();
  const clientFor = (version: GraphVersion): Client => {
    let client = clients.get(version);
    if (!client) {
      client = createClient(settings, credential, version);
      clients.set(version, client);
    }
    return client;
  };

  return {
    async send(call: GraphCall): Promise<GraphAnswer> {
      let request = clientFor(call.version)
        .api(call.path)
        .version(call.version)
        .header('client-request-id', call.clientRequestId)
        .responseType(ResponseType.RAW);
      if (call.top !== undefined) request = request.top(call.top);
      // Graph's nextLinks spell it $skiptoken; the client's skipToken() would send $skipToken.
      if (call.skipToken !== undefined) request = request.query({ $skiptoken: call.skipToken });
      if (call.skip !== undefined) request = request.skip(call.skip);
      if (call.method === 'PATCH') request = request.header('Prefer', 'return=representation');

      let response: Response;
      try {
        switch (call.method) {
          case 'GET':
            response = await request.get();
            break;
          case 'PATCH':
            response = await request.patch(call.body);
            break;
          case 'POST':
            response = await request.post(call.body);
            break;
          case 'DELETE':
            response = await request.delete();
            break;
        }
      } catch (error) {
        throw unreachable(error);
      }
      return {
        status: response.status,
        requestId: response.headers.get('request-id') ?? undefined,
        retryAfter: response.headers.get('retry-after') ?? undefined,
        body: await readBody(response),
      };
    },
  };
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const TOKEN_ERRORS = new Set(['CredentialUnavailableError', 'AuthenticationError', 'AggregateAuthenticationError', 'AuthenticationRequiredError']);

function unreachable(error: unknown): GraphUnreachableError {
  // The Graph client wraps a credential's error in a GraphError whose `code` is the original name.
  const { code, name } = (error ?? {}) as { code?: unknown; name?: string };
  const kind = typeof code === 'string' ? code : (name ?? '');
  const message = (error as { message?: string })?.message ?? String(error);
  return TOKEN_ERRORS.has(kind) ? new GraphUnreachableError('token', message) : new GraphUnreachableError('network', message);
}
