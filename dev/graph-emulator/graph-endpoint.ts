import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { buffer } from 'node:stream/consumers';

import { defaultErrorCode, type FaultEffect, faultKindsOf, takeFault } from './faults';
import { answerGraph, GraphError, type GraphReply } from './graph-api';
import type { EmulatorRuntime, RecordedRequest } from './runtime';
import { countApplied, countFault, countRefusal, type RequestOutcome } from './stats';
import { isWriteMethod } from './throttling';
import type { TokenCheck } from './tokens';

export interface GraphEndpointOptions {
  readonly runtime: EmulatorRuntime;
  /** The emulated Graph root, known once the server listens. */
  readonly graphUrl: () => string;
  /** Graph's token check: a missing, forged, expired or misaddressed token is a 401. */
  readonly checkToken: (token: string) => TokenCheck;
  /** Waits out a fault's delay (the server drops pending timers when it closes). */
  readonly delay: (milliseconds: number) => Promise<void>;
}

export const header = (request: IncomingMessage, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

const ODATA_JSON = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

/**
 * The HTTPS Graph endpoint. A request is checked in this order: recorded, token (401),
 * throttling windows (429), queued fault, else chaos, then Graph's own handling (graph-api.ts).
 * A 401 takes no place in the throttling windows; a throttled request none either, and is
 * never applied.
 */
export function graphEndpoint(
  options: GraphEndpointOptions,
): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  const { runtime } = options;
  return async (request, response) => {
    const requestId = randomUUID();
    const clientRequestId = header(request, 'client-request-id') ?? randomUUID();
    const method = (request.method ?? 'GET').toUpperCase();
    const send = (reply: GraphReply) => {
      const body = reply.body === undefined ? undefined : JSON.stringify(reply.body);
      response.writeHead(reply.status, {
        'request-id': requestId,
        'client-request-id': clientRequestId,
        ...(body === undefined ? {} : { 'content-type': ODATA_JSON }),
        ...reply.headers,
      });
      response.end(body);
    };
    const errorReply = (error: GraphError, headers?: Readonly<Record<string, string>>): GraphReply => ({
      status: error.status,
      headers: { ...headers },
      body: {
        error: {
          code: error.code,
          message: error.message,
          innerError: {
            date: new Date().toISOString().slice(0, 19),
            'request-id': requestId,
            'client-request-id': clientRequestId,
          },
        },
      },
    });
    const faultReply = (effect: FaultEffect, status: number): GraphReply =>
      errorReply(
        new GraphError(status, effect.code ?? defaultErrorCode(status), effect.message ?? `Injected ${status}.`),
        effect.headers,
      );

    let record: RecordedRequest | undefined;
    /** Answers, or with no reply destroys the connection the way a lost answer looks to a client. */
    const finish = (outcome: RequestOutcome, reply?: GraphReply): void => {
      if (record) record.outcome = outcome;
      if (reply) send(reply);
      else request.socket.destroy();
    };

    try {
      const raw = await buffer(request);
      const url = new URL(request.url ?? '/', options.graphUrl());
      const [version = '', ...segments] = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      // The service root is no API call: the facade's warm-up asks it only to open the connection.
      // It is answered, and kept out of the request log that tests and figures read.
      if (version === '') return send(errorReply(new GraphError(404, 'NotFound', 'The service root is not an API.')));
      const body = parseBody(raw.toString('utf8'));
      const authorization = header(request, 'authorization');
      record = {
        method,
        url: url.pathname + url.search,
        version,
        path: `/${segments.join('/')}`,
        clientRequestId: header(request, 'client-request-id'),
        prefer: header(request, 'prefer'),
        contentType: header(request, 'content-type'),
        bearerToken: Boolean(authorization?.startsWith('Bearer ')),
        body,
        appId: undefined,
        claims: undefined,
        outcome: 'pending',
        applied: false,
        delayedMs: 0,
      };
      runtime.requests.push(record);
      runtime.stats.requests += 1;

      const bearer = authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : '';
      const token: TokenCheck = bearer ? options.checkToken(bearer) : { ok: false, reason: 'Access token is empty.' };
      if (!token.ok) {
        countRefusal(runtime.stats, 'unauthorized');
        return finish('unauthorized', errorReply(new GraphError(401, 'InvalidAuthenticationToken', token.reason)));
      }
      record.appId = token.claims.appid;
      const { idtyp, oid, appid, upn, scp } = token.claims;
      record.claims = { idtyp, oid, appid, ...(upn === undefined ? {} : { upn }), ...(scp === undefined ? {} : { scp }) };

      const admission = runtime.throttling.admit({ tenantId: token.claims.tid, appId: token.claims.appid }, method);
      if (!admission.admitted) {
        countRefusal(runtime.stats, 'throttled');
        const message = `Too many requests: application ${token.claims.appid} exceeded ${admission.exceeded}. Retry after ${admission.retryAfterSeconds} seconds.`;
        const retryAfter = { 'retry-after': String(admission.retryAfterSeconds) };
        return finish('throttled', errorReply(new GraphError(429, 'TooManyRequests', message), retryAfter));
      }

      // A queued fault is a test's explicit intent, so it goes before chaos (which then does not draw).
      const fault = takeFault(runtime.faults, method, url.pathname) ?? runtime.chaos.draw(method);
      if (fault) {
        countFault(runtime.stats, faultKindsOf(fault));
        record.delayedMs = fault.delayMs;
        await options.delay(fault.delayMs);
      }
      const action = fault?.action ?? { kind: 'none' };
      if (fault && action.kind === 'status') return finish('fault:status', faultReply(fault, action.status));
      if (action.kind === 'reset') return finish('fault:reset');

      let reply: GraphReply;
      try {
        const prefer = header(request, 'prefer');
        reply = answerGraph(runtime.state, version, segments, {
          method,
          body,
          url,
          roles: runtime.roles,
          preferRepresentation: runtime.behaviour.honourPrefer && /return=representation/i.test(prefer ?? ''),
          behaviour: runtime.behaviour,
          skipTokens: runtime.state.skipTokens,
          appOnly: token.claims.idtyp === 'app',
          ...(token.claims.idtyp === 'user'
            ? {
                user: {
                  scopes: (token.claims.scp ?? '').split(' ').filter(Boolean),
                  intuneAllowed: !runtime.usersWithoutIntuneRole.has(token.claims.oid),
                },
              }
            : {}),
          graphUrl: options.graphUrl(),
        });
      } catch (error) {
        if (!(error instanceof GraphError)) throw error;
        reply = errorReply(error);
      }
      record.applied = isWriteMethod(method) && reply.status < 300;
      if (record.applied) countApplied(runtime.stats, method);
      if (action.kind === 'applyThenReset') return finish('fault:applyThenReset');
      if (fault && action.kind === 'applyThenStatus') return finish('fault:applyThenStatus', faultReply(fault, action.status));
      return finish(record.applied ? 'applied' : reply.status < 400 ? 'answered' : 'refused', reply);
    } catch (error) {
      finish('refused', errorReply(new GraphError(500, 'InternalServerError', (error as Error).message)));
    }
  };
}
