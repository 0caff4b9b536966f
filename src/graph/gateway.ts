import type { TokenCredential } from '@azure/identity';
import { AuthenticationHandler, Client, HTTPMessageHandler, ResponseType, TelemetryHandler } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import type { Settings } from '../config';
import type { HttpMethod } from '../operations/catalog';
import type { GraphVersion } from '../schemas/entities';
import { MIN_ATTEMPT_MS, nextStep, type AttemptOutcome } from './retry-policy';
import { WriteLimiter } from './write-limiter';

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

/** Why a call ended without a usable answer. */
export type GraphFailure = 'token' | 'network' | 'timeout' | 'throttled-locally';

/** How a call ended after the retry policy had its say. */
export interface GraphResult {
  /** Graph's last answer; with no failure it is the final one. */
  readonly answer: GraphAnswer | undefined;
  readonly failure: GraphFailure | undefined;
  /** A POST may have been applied although no success was seen (it met a 503/504, a broken connection or a timeout). */
  readonly maybeApplied: boolean;
  /** The final attempt repeated a write that an earlier attempt may already have applied (a DELETE's 404 then means done). */
  readonly repeatedPossiblyAppliedWrite: boolean;
  /** When the caller may try again, where known. */
  readonly retryAfterSeconds: number | undefined;
  readonly attempts: number;
}

export interface GraphGateway {
  /** Sends the call, retrying per the policy until `deadline` (epoch ms). */
  send(call: GraphCall, deadline: number): Promise<GraphResult>;
}

const isWrite = (method: HttpMethod) => method !== 'GET';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const TOKEN_ERRORS = new Set(['CredentialUnavailableError', 'AuthenticationError', 'AggregateAuthenticationError', 'AuthenticationRequiredError']);
const TIMEOUT_ERRORS = new Set(['TimeoutError', 'AbortError']);

function createClient(settings: Settings, credential: TokenCredential, version: GraphVersion): Client {
  const authProvider = new TokenCredentialAuthenticationProvider(credential, { scopes: [settings.endpoints.scope] });
  return Client.initWithMiddleware({
    baseUrl: settings.endpoints.graphRoot,
    defaultVersion: version,
    // The auth middleware attaches tokens only to Graph hosts and these; an override root is one.
    customHosts: new Set([new URL(settings.endpoints.graphRoot).hostname]),
    // No RetryHandler: retries follow the facade's own policy (retry-policy.ts), which knows the
    // time budget and never repeats a POST that may have been applied.
    middleware: [new AuthenticationHandler(authProvider), new TelemetryHandler(), new HTTPMessageHandler()],
  });
}

/** Sends calls to Graph with one client per version, created on first use and reused. */
export function createGraphGateway(settings: Settings, credential: TokenCredential): GraphGateway {
  const clients = new Map<GraphVersion, Client>();
  const writeLimiter = new WriteLimiter(settings.writesPer20Seconds, settings.writeBurst);
  const clientFor = (version: GraphVersion): Client => {
    let client = clients.get(version);
    if (!client) {
      client = createClient(settings, credential, version);
      clients.set(version, client);
    }
    return client;
  };

  async function attempt(call: GraphCall, timeoutMs: number): Promise<{ outcome: AttemptOutcome; answer?: GraphAnswer }> {
    let request = clientFor(call.version)
      .api(call.path)
      .version(call.version)
      .header('client-request-id', call.clientRequestId)
      .option('signal', AbortSignal.timeout(Math.max(1, timeoutMs)))
      .responseType(ResponseType.RAW);
    if (call.top !== undefined) request = request.top(call.top);
    // Graph's nextLinks spell it $skiptoken (the client's skipToken() would send $skipToken), and
    // the client puts query values in the URL as given, so the token is encoded here.
    if (call.skipToken !== undefined) request = request.query({ $skiptoken: encodeURIComponent(call.skipToken) });
    if (call.skip !== undefined) request = request.skip(call.skip);
    if (call.method === 'PATCH') request = request.header('Prefer', 'return=representation');
    try {
      const response: Response = await (call.method === 'GET'
        ? request.get()
        : call.method === 'PATCH'
          ? request.patch(call.body)
          : call.method === 'POST'
            ? request.post(call.body)
            : request.delete());
      const answer: GraphAnswer = {
        status: response.status,
        requestId: response.headers.get('request-id') ?? undefined,
        retryAfter: response.headers.get('retry-after') ?? undefined,
        body: await readBody(response),
      };
      return { outcome: { kind: 'answer', status: answer.status, retryAfter: answer.retryAfter }, answer };
    } catch (error) {
      return { outcome: { kind: failureKind(error) } };
    }
  }

  /** One attempt, bounded by the deadline as a whole: getting the token counts too. */
  async function attemptWithin(call: GraphCall, deadline: number): Promise<{ outcome: AttemptOutcome; answer?: GraphAnswer }> {
    let timer: NodeJS.Timeout | undefined;
    const expiry = new Promise<{ outcome: AttemptOutcome }>((resolve) => {
      timer = setTimeout(() => resolve({ outcome: { kind: 'timeout' } }), Math.max(1, deadline - Date.now()));
    });
    try {
      return await Promise.race([attempt(call, deadline - Date.now()), expiry]);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    async send(call: GraphCall, deadline: number): Promise<GraphResult> {
      let lastAnswer: GraphAnswer | undefined;
      let earlierWriteMayHaveApplied = false;
      for (let attemptNumber = 1; ; attemptNumber++) {
        if (isWrite(call.method)) {
          const waitMs = writeLimiter.reserve(Math.max(0, deadline - Date.now() - MIN_ATTEMPT_MS));
          if (waitMs === undefined) {
            const retryAfterSeconds = Math.max(1, Math.ceil(writeLimiter.waitForNextTurnMs() / 1000));
            return {
              answer: lastAnswer,
              failure: 'throttled-locally',
              maybeApplied: false,
              repeatedPossiblyAppliedWrite: earlierWriteMayHaveApplied,
              retryAfterSeconds,
              attempts: attemptNumber - 1,
            };
          }
          if (waitMs > 0) await sleep(waitMs);
        }
        const { outcome, answer } = await attemptWithin(call, deadline);
        lastAnswer = answer ?? lastAnswer;
        const step = nextStep(call.method, outcome, attemptNumber, deadline - Date.now());
        if (step.retry) {
          earlierWriteMayHaveApplied ||= isWrite(call.method) && mayHaveApplied(outcome);
          await sleep(step.delayMs);
          continue;
        }
        return {
          answer: outcome.kind === 'answer' ? answer : lastAnswer,
          failure: outcome.kind === 'answer' ? undefined : outcome.kind,
          maybeApplied: step.maybeApplied,
          repeatedPossiblyAppliedWrite: earlierWriteMayHaveApplied,
          retryAfterSeconds: step.retryAfterMs === undefined ? undefined : Math.max(1, Math.ceil(step.retryAfterMs / 1000)),
          attempts: attemptNumber,
        };
      }
    },
  };
}

/** Whether an attempt that failed this way may still have been carried out by Graph. */
function mayHaveApplied(outcome: AttemptOutcome): boolean {
  return outcome.kind === 'network' || outcome.kind === 'timeout' || (outcome.kind === 'answer' && (outcome.status === 503 || outcome.status === 504));
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

/** The Graph client wraps errors in a GraphError whose `code` is the original error's name. */
function failureKind(error: unknown): 'token' | 'network' | 'timeout' {
  const { code, name } = (error ?? {}) as { code?: unknown; name?: string };
  const kind = typeof code === 'string' ? code : (name ?? '');
  if (TOKEN_ERRORS.has(kind)) return 'token';
  if (TIMEOUT_ERRORS.has(kind)) return 'timeout';
  return 'network';
}
