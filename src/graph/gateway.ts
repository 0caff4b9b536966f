import type { TokenCredential } from '@azure/identity';
import { AuthenticationHandlerOptions, type Client, ResponseType } from '@microsoft/microsoft-graph-client';

import type { GraphBudget, RequestKind } from '../budget';
import { reserveTurn, WaitingRoom } from '../budget/waiting-room';
import type { HttpMethod } from '../catalog/operations';
import type { Clock } from '../clock';
import type { GraphVersion } from '../schemas/entities';
import { startDependency } from '../telemetry/dependencies';
import { type AttemptEnding, createClient, failureKind, readBody } from './attempt';
import type { UserGraphTokens } from './on-behalf-of';
import { skipTokenForUrl } from './paging';
import { MIN_ATTEMPT_MS, nextStep, parseRetryAfter } from './retry-policy';
import { KeptTokenProvider } from './token-provider';

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
  /** The caller the Graph budget counts the call against, for its fair share; unset for callers not told apart. */
  readonly budgetAccount?: string;
  /** The signed-in user's Graph tokens, when the call goes as the user (On-Behalf-Of); unset, the app's own. */
  readonly onBehalfOf?: UserGraphTokens;
}

/** Graph's answer, whatever its status. */
export interface GraphAnswer {
  readonly status: number;
  readonly requestId: string | undefined;
  readonly retryAfter: string | undefined;
  readonly body: unknown;
}

/** One attempt: how it ended, Graph's answer if one came, and when it was sent (epoch ms). */
export interface Attempt {
  readonly ending: AttemptEnding;
  readonly answer: GraphAnswer | undefined;
  readonly sentAtMs: number;
}

/**
 * Why the app kept a call from Graph (src/budget): no time left in the call's budget for an
 * attempt Graph could answer, no budget turn within it, the caller holding its share of the
 * turns already, or the instance's waiting room full (for everyone, or for this caller).
 */
export type HeldBack = 'no-time-left' | 'no-turn-in-time' | 'caller-share-used' | 'waiting-room-full';

/**
 * What happened on the way to Graph, as facts: every attempt in order, and when the caller may
 * try again where that is known. `heldBack` is set when the app kept the call from being sent
 * (again). It judges nothing: what the facts mean for a write is decided by the write rules
 * (src/operations/write-rules.ts).
 */
export interface GraphExchange {
  readonly attempts: readonly Attempt[];
  /** How long the call waited for its budget turns, in all (ms); unset where nothing was measured. */
  readonly budgetWaitMs?: number;
  readonly heldBack?: HeldBack;
  readonly retryAfterMs: number | undefined;
}

export interface SendOptions {
  /** When the time budget runs out (epoch ms). */
  readonly deadlineMs: number;
  /** Whether the call may be sent again after an attempt ended this way (the write rules decide). */
  readonly mayRepeat: (ending: AttemptEnding) => boolean;
}

export interface GraphGateway {
  /** Sends the call, retrying per the policy until the deadline. */
  send(call: GraphCall, options: SendOptions): Promise<GraphExchange>;
  /**
   * Gets the token and opens the TLS connection to Graph while the instance starts, so that the
   * first caller does not pay for them. Never fails: a cold first call is the worst outcome.
   */
  warmUp(): Promise<void>;
}

/** The last attempt of an exchange, if any was made. */
export const lastAttempt = (exchange: GraphExchange): Attempt | undefined => exchange.attempts.at(-1);

/** Where the gateway sends calls, and for which token audience. */
export interface GraphGatewayOptions {
  /** The Graph root (the cloud's, or an override such as the local emulator). */
  readonly graphRoot: string;
  /** The token scope of the Graph cloud. */
  readonly scope: string;
  /** Calls of each kind (reads, writes) this instance holds waiting for their budget turn, at most. */
  readonly maxWaitingCalls: number;
}

/** What the gateway uses: the app's credential, its Graph budget, and the clock it waits on. */
export interface GraphGatewayDependencies {
  readonly credential: TokenCredential;
  readonly budget: GraphBudget;
  readonly clock: Clock;
}

const WARM_UP_TIMEOUT_MS = 10_000;

/** Sends calls to Graph with one client per version, created on first use and reused. */
export function createGraphGateway(options: GraphGatewayOptions, dependencies: GraphGatewayDependencies): GraphGateway {
  const { budget, clock } = dependencies;
  const waitingRooms: Record<RequestKind, WaitingRoom> = {
    read: new WaitingRoom(options.maxWaitingCalls),
    write: new WaitingRoom(options.maxWaitingCalls),
  };
  const clients = new Map<GraphVersion, Client>();
  const tokens = new KeptTokenProvider(dependencies.credential, options.scope, () => clock.now());
  const clientFor = (version: GraphVersion): Client => {
    let client = clients.get(version);
    if (!client) {
      client = createClient(options.graphRoot, tokens, version);
      clients.set(version, client);
    }
    return client;
  };

  async function attempt(call: GraphCall, timeoutMs: number): Promise<{ ending: AttemptEnding; answer?: GraphAnswer }> {
    let request = clientFor(call.version)
      .api(call.path)
      .version(call.version)
      .header('client-request-id', call.clientRequestId)
      .option('signal', AbortSignal.timeout(Math.max(1, timeoutMs)))
      .responseType(ResponseType.RAW);
    if (call.top !== undefined) request = request.top(call.top);
    // Sent as Graph issued it in its nextLink, as $skiptoken (the client's skipToken() would send
    // $skipToken); the client puts query values in the URL as given.
    if (call.skipToken !== undefined) request = request.query({ $skiptoken: skipTokenForUrl(call.skipToken) });
    if (call.skip !== undefined) request = request.skip(call.skip);
    if (call.method === 'PATCH') request = request.header('Prefer', 'return=representation');
    // The user's token for this request only; the client's own provider (the app's) is untouched.
    if (call.onBehalfOf) request = request.middlewareOptions([new AuthenticationHandlerOptions(call.onBehalfOf)]);
    try {
      // The client types its answers as any; RAW makes them fetch Responses.
      const response = (await (call.method === 'GET'
        ? request.get()
        : call.method === 'PATCH'
          ? request.patch(call.body)
          : call.method === 'POST'
            ? request.post(call.body)
            : request.delete())) as Response;
      const answer: GraphAnswer = {
        status: response.status,
        requestId: response.headers.get('request-id') ?? undefined,
        retryAfter: response.headers.get('retry-after') ?? undefined,
        body: await readBody(response),
      };
      return { ending: { kind: 'answer', status: answer.status, retryAfter: answer.retryAfter }, answer };
    } catch (error) {
      return { ending: { kind: failureKind(error) } };
    }
  }

  /** One attempt, bounded by the deadline as a whole: getting the token counts too. */
  async function attemptWithin(call: GraphCall, deadlineMs: number): Promise<{ ending: AttemptEnding; answer?: GraphAnswer }> {
    let timer: NodeJS.Timeout | undefined;
    const expiry = new Promise<{ ending: AttemptEnding }>((resolve) => {
      timer = setTimeout(() => resolve({ ending: { kind: 'timeout' } }), Math.max(1, deadlineMs - clock.now()));
    });
    const ended = startDependency({
      kind: 'graph',
      method: call.method,
      base: options.graphRoot,
      resource: `/${call.version}${call.path}`,
      identity: call.onBehalfOf ? 'user' : 'app',
    });
    try {
      const result: { ending: AttemptEnding; answer?: GraphAnswer } = await Promise.race([
        attempt(call, deadlineMs - clock.now()),
        expiry,
      ]);
      const { ending } = result;
      ended(ending.kind === 'answer' ? { status: ending.status, requestId: result.answer?.requestId } : { error: ending.kind });
      return result;
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    async warmUp(): Promise<void> {
      await Promise.allSettled([
        tokens.getAccessToken(),
        // Any answer will do: the request only opens the connection the first call then reuses. No token is sent.
        fetch(options.graphRoot, { method: 'HEAD', signal: AbortSignal.timeout(WARM_UP_TIMEOUT_MS) }).then((response) =>
          response.body?.cancel(),
        ),
      ]);
    },
    async send(call: GraphCall, sendOptions: SendOptions): Promise<GraphExchange> {
      const { deadlineMs } = sendOptions;
      const attempts: Attempt[] = [];
      let budgetWaitMs = 0;
      for (let attemptNumber = 1; ; attemptNumber++) {
        const kind: RequestKind = call.method === 'GET' ? 'read' : 'write';
        // A write is never started without time for Graph to answer it: one that could only time
        // out would be left in doubt for nothing. Nothing is sent, and the caller is told when to come back.
        const latestStartMs = deadlineMs - (kind === 'write' ? MIN_ATTEMPT_MS : 0);
        if (latestStartMs < clock.now()) return { attempts, budgetWaitMs, heldBack: 'no-time-left', retryAfterMs: 1000 };
        // A full waiting room refuses at once, before a turn is taken: the caller comes back once
        // the calls already waiting are due.
        const room = waitingRooms[kind];
        if (room.isFullFor(call.budgetAccount)) {
          return {
            attempts,
            budgetWaitMs,
            heldBack: 'waiting-room-full',
            retryAfterMs: Math.max(1000, (room.lastDueMs() ?? 0) - clock.now()),
          };
        }
        // A turn further away than the caller's budget is refused at once, with when to come back:
        // a caller held waiting would hold the instance's concurrency and make the platform add instances.
        const asked = await reserveTurn({ budget, room, clock }, kind, latestStartMs, call.budgetAccount);
        const turn = asked.turn;
        budgetWaitMs += asked.pacedMs;
        if (!turn.granted) {
          const heldBack = turn.heldBy === 'caller-share' ? 'caller-share-used' : 'no-turn-in-time';
          return { attempts, budgetWaitMs, heldBack, retryAfterMs: turn.retryAfterMs };
        }
        if (turn.atMs > clock.now()) {
          const waitedFromMs = clock.now();
          await room.waitUntil(turn.atMs, clock, call.budgetAccount);
          budgetWaitMs += clock.now() - waitedFromMs;
        }
        const sentAtMs = clock.now();
        const { ending, answer } = await attemptWithin(call, deadlineMs);
        attempts.push({ ending, answer, sentAtMs });
        // Graph's own 429 holds every instance back until its Retry-After has passed.
        const pauseMs =
          ending.kind === 'answer' && ending.status === 429 ? parseRetryAfter(ending.retryAfter, clock.now()) : undefined;
        if (pauseMs !== undefined) await budget.pause(kind, clock.now() + pauseMs);
        const step = nextStep(ending, attemptNumber, deadlineMs - clock.now(), sendOptions.mayRepeat(ending));
        if (!step.retry) return { attempts, budgetWaitMs, retryAfterMs: step.retryAfterMs };
        await clock.sleep(step.delayMs);
      }
    },
  };
}
