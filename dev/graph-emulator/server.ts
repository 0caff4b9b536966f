import { randomBytes, randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';

import { GRAPH_CLOUDS, type GraphCloudName } from '../../src/graph/clouds';
import { createLocalhostCertificate } from './certificate';
import {
  Chaos,
  CHAOS_OFF,
  type ChaosRequest,
  type ChaosSettings,
  chaosSettingsFrom,
  defaultErrorCode,
  type FaultEffect,
  faultKindsOf,
  type FaultRequest,
  type QueuedFault,
  queuedFaultFrom,
  takeFault,
} from './faults';
import {
  COMPLIANCE_USER_OVERVIEW,
  type EntityType,
  INSTALL_SUMMARY,
  USER_STATUS,
  USER_SUMMARY,
  valueProblem,
  type Version,
} from './model';
import { type Entity, GraphState } from './state';
import { countApplied, countFault, countRefusal, emptyStats, type EmulatorStats, type RequestOutcome, snapshotOf } from './stats';
import {
  INTUNE_THROTTLING,
  isWriteMethod,
  type ThrottlingRequest,
  type ThrottlingSettings,
  throttlingSettingsFrom,
  ThrottlingWindows,
} from './throttling';
import { type TokenCheck, TokenIssuer } from './tokens';

export type { ChaosRequest, ChaosSettings, FaultRequest } from './faults';
export type { EmulatorStats, RequestOutcome } from './stats';
export type { ThrottlingRequest, ThrottlingSettings } from './throttling';

export interface GraphEmulatorOptions {
  /** Port of the HTTPS Graph endpoint; 0 picks a free one. */
  readonly graphPort?: number;
  /** Port of the plain-HTTP side: managed identity endpoint and control surface; 0 picks a free one. */
  readonly localPort?: number;
  /** The national cloud whose tokens the emulated Graph accepts. */
  readonly cloud?: GraphCloudName;
  /** Where to write the certificate callers must trust. */
  readonly certPath?: string;
}

/**
 * A Graph request as the emulator received it, recorded once on arrival (throttled and faulted
 * ones too) and completed when answered. Tokens are never recorded, only whether one came and
 * the app it named.
 */
export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly version: string;
  readonly path: string;
  readonly clientRequestId: string | undefined;
  readonly prefer: string | undefined;
  readonly contentType: string | undefined;
  readonly bearerToken: boolean;
  readonly body: unknown;
  /** The token's `appid`, once the token is checked. */
  appId: string | undefined;
  /** How it was answered; `pending` while a delay fault holds it. */
  outcome: RequestOutcome;
  /** Whether Graph applied it: true for a write served normally or by an apply-then fault. */
  applied: boolean;
  /** The delay a fault added, in milliseconds. */
  delayedMs: number;
}

/**
 * The emulator, in process. Everything a test may switch is also on the control surface
 * (plain HTTP, `controlUrl`):
 *
 * - `POST /_emulator/reset`: seeded state, default roles and behaviour, Intune throttling, no
 *   faults, no chaos, empty request list, zeroed stats.
 * - `POST /_emulator/seed` (SeedRequest), `PUT|GET /_emulator/roles` `{"roles": [...]}`,
 *   `PUT /_emulator/behaviour` `{"honourPrefer": false}`.
 * - `PUT|GET /_emulator/throttling` (ThrottlingRequest; the PUT answers the settings in force).
 * - `POST /_emulator/faults` (FaultRequest), `DELETE /_emulator/faults` (drops queued faults).
 * - `PUT|GET /_emulator/chaos` (ChaosRequest; the PUT answers the settings with the seed used).
 * - `GET /_emulator/stats` (EmulatorStats), `DELETE /_emulator/stats` (zeroes them).
 * - `GET|DELETE /_emulator/requests` (RecordedRequest list).
 *
 * A Graph request is checked in this order: recorded, token (401), throttling windows (429),
 * queued fault, else chaos, then Graph's own routing (403 role, 404, 400, apply). A 401 takes no
 * place in the throttling windows; a throttled request none either, and is never applied.
 */
export interface GraphEmulator {
  readonly graphUrl: string;
  readonly identityEndpoint: string;
  readonly identityHeader: string;
  readonly controlUrl: string;
  readonly certPath: string;
  readonly state: GraphState;
  readonly requests: RecordedRequest[];
  /** Managed identity token requests, as `resource` and `client_id` (the tokens themselves are not kept here). */
  readonly tokenRequests: { resource: string; clientId: string | undefined }[];
  /** Every token issued, so that tests can prove none of them was ever logged. */
  readonly issuedTokens: readonly string[];
  /** The settings that point a facade process at this emulator. */
  facadeEnvironment(): Record<string, string>;
  /** As `PUT /_emulator/throttling`: omitted limits take Intune's values; windows start empty. */
  configureThrottling(request: ThrottlingRequest): ThrottlingSettings;
  /** As `POST /_emulator/faults`: queues a fault for the next matching Graph requests. */
  injectFault(request: FaultRequest): void;
  /** As `PUT /_emulator/chaos`: random faults from a seeded sequence; answers the seed used. */
  configureChaos(request: ChaosRequest): ChaosSettings;
  /** As `GET /_emulator/stats`: a copy of the counters. */
  stats(): EmulatorStats;
  /** As `POST /_emulator/reset`. */
  reset(): void;
  close(): Promise<void>;
}

export const DEFAULT_ROLES = ['DeviceManagementApps.ReadWrite.All', 'DeviceManagementConfiguration.ReadWrite.All'];
const SYSTEM_ASSIGNED_CLIENT_ID = '5e3f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8';
const TENANT_ID = 'b0c1d2e3-f4a5-4b6c-8d7e-9f0a1b2c3d4e';
const MAX_PAGE = 100;

type GraphReply = { status: number; body?: unknown; headers?: Record<string, string> };

class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A body as Graph's recorder keeps it: JSON when it parses, else the text, so that tests see what was sent. */
function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const header = (request: IncomingMessage, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** Starts the emulator: HTTPS Graph on localhost, and an HTTP side for the identity endpoint and control. */
export async function startGraphEmulator(options: GraphEmulatorOptions = {}): Promise<GraphEmulator> {
  const cloud = options.cloud ?? 'Global';
  const audiences = [GRAPH_CLOUDS[cloud].graphRoot, '00000003-0000-0000-c000-000000000000'];
  const certPath = options.certPath ?? join(tmpdir(), `graph-emulator-${process.pid}-${randomUUID()}.pem`);
  const certificate = await createLocalhostCertificate(certPath);
  const issuer = new TokenIssuer(TENANT_ID);
  const identityHeader = randomBytes(24).toString('base64url');
  const state = new GraphState();
  const requests: RecordedRequest[] = [];
  const faults: QueuedFault[] = [];
  const throttling = new ThrottlingWindows();
  const chaos = new Chaos();
  let stats = emptyStats();
  // Timers of delay faults, cleared at close so that a test run is not held open by them.
  const delayTimers = new Set<NodeJS.Timeout>();
  const tokenRequests: { resource: string; clientId: string | undefined }[] = [];
  const issuedTokens: string[] = [];
  let roles = [...DEFAULT_ROLES];
  // Real Graph often answers a PATCH with 204 even when asked for the representation.
  let honourPrefer = true;
  let graphUrl = '';

  const graphServer = createHttpsServer({ key: certificate.key, cert: certificate.cert }, (request, response) => {
    void serveGraph(request, response);
  });
  const localServer = createHttpServer((request, response) => {
    void serveLocal(request, response);
  });

  async function serveGraph(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const clientRequestId = header(request, 'client-request-id') ?? randomUUID();
    const method = (request.method ?? 'GET').toUpperCase();
    const send = (reply: GraphReply) => {
      const body = reply.body === undefined ? undefined : JSON.stringify(reply.body);
      response.writeHead(reply.status, {
        'request-id': requestId,
        'client-request-id': clientRequestId,
        ...(body === undefined
          ? {}
          : {
              'content-type':
                'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8',
            }),
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
      const url = new URL(request.url ?? '/', graphUrl);
      const [version = '', ...segments] = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
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
        outcome: 'pending',
        applied: false,
        delayedMs: 0,
      };
      requests.push(record);
      stats.requests += 1;

      const token = checkBearer(authorization);
      if (!token.ok) {
        countRefusal(stats, 'unauthorized');
        return finish('unauthorized', errorReply(new GraphError(401, 'InvalidAuthenticationToken', token.reason)));
      }
      record.appId = token.claims.appid;

      const admission = throttling.admit({ tenantId: token.claims.tid, appId: token.claims.appid }, method);
      if (!admission.admitted) {
        countRefusal(stats, 'throttled');
        const message = `Too many requests: application ${token.claims.appid} exceeded ${admission.exceeded}. Retry after ${admission.retryAfterSeconds} seconds.`;
        return finish(
          'throttled',
          errorReply(new GraphError(429, 'TooManyRequests', message), { 'retry-after': String(admission.retryAfterSeconds) }),
        );
      }

      // A queued fault is a test's explicit intent, so it goes before chaos (which then does not draw).
      const fault = takeFault(faults, method, url.pathname) ?? chaos.draw(method);
      if (fault) {
        countFault(stats, faultKindsOf(fault));
        record.delayedMs = fault.delayMs;
        await delay(fault.delayMs);
      }
      const action = fault?.action ?? { kind: 'none' };
      if (fault && action.kind === 'status') return finish('fault:status', faultReply(fault, action.status));
      if (action.kind === 'reset') return finish('fault:reset');

      const reply = answerGraph(version, segments, { method, body, url, prefer: header(request, 'prefer') }, errorReply);
      record.applied = isWriteMethod(method) && reply.status < 300;
      if (record.applied) countApplied(stats, method);
      if (action.kind === 'applyThenReset') return finish('fault:applyThenReset');
      if (fault && action.kind === 'applyThenStatus') return finish('fault:applyThenStatus', faultReply(fault, action.status));
      return finish(record.applied ? 'applied' : reply.status < 400 ? 'answered' : 'refused', reply);
    } catch (error) {
      finish('refused', errorReply(new GraphError(500, 'InternalServerError', (error as Error).message)));
    }
  }

  /** The token check Graph makes first: a missing, forged, expired or misaddressed token is a 401. */
  function checkBearer(authorization: string | undefined): TokenCheck {
    if (!authorization?.startsWith('Bearer ') || authorization.length <= 'Bearer '.length) {
      return { ok: false, reason: 'Access token is empty.' };
    }
    return issuer.check(authorization.slice('Bearer '.length), audiences);
  }

  /** Graph's own handling of an admitted request: version, roles, routing, validation, apply. */
  function answerGraph(
    version: string,
    segments: string[],
    request: { method: string; body: unknown; url: URL; prefer: string | undefined },
    errorReply: (error: GraphError) => GraphReply,
  ): GraphReply {
    try {
      if (version !== 'v1.0' && version !== 'beta') throw new GraphError(400, 'BadRequest', `Invalid version: ${version}`);
      const preferRepresentation = honourPrefer && /return=representation/i.test(request.prefer ?? '');
      // Roles are checked as currently assigned rather than as the token carries them, so that a
      // test's role change applies at once; real Entra applies it with the next token.
      return route(segments, {
        version,
        method: request.method,
        body: request.body,
        roles,
        preferRepresentation,
        url: request.url,
      });
    } catch (error) {
      if (error instanceof GraphError) return errorReply(error);
      throw error;
    }
  }

  /** Waits out a delay fault; the timer is dropped at close. */
  function delay(milliseconds: number): Promise<void> {
    if (milliseconds <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        delayTimers.delete(timer);
        resolve();
      }, milliseconds);
      delayTimers.add(timer);
    });
  }

  interface CallContext {
    readonly version: Version;
    readonly method: string;
    readonly body: unknown;
    readonly roles: readonly string[];
    readonly preferRepresentation: boolean;
    readonly url: URL;
  }

  /** Graph's routing for the emulated paths; anything else is an unknown segment, as in Graph. */
  function route(segments: string[], context: CallContext): GraphReply {
    const [area, collection, parentId, navigation, itemId, ...rest] = segments;
    const unknownSegment = (segment: string | undefined) =>
      new GraphError(400, 'BadRequest', `Resource not found for the segment '${segment ?? ''}'.`);
    if (rest.length > 0) throw unknownSegment(rest[0]);

    if (area === 'deviceAppManagement' && collection === 'mobileAppConfigurations' && parentId) {
      const configuration = state.mobileAppConfigurations.get(parentId);
      if (navigation === 'userStatusSummary' && itemId === undefined) {
        requireRole(context, 'DeviceManagementApps');
        if (!configuration) throw notFound(parentId);
        return singleton(USER_SUMMARY, configuration.userStatusSummary, context, segments);
      }
      if (navigation === 'userStatuses') {
        requireRole(context, 'DeviceManagementApps');
        if (!configuration) throw notFound(parentId);
        return itemId === undefined
          ? statusCollection(configuration.userStatuses, context, segments)
          : statusItem(configuration.userStatuses, itemId, context, segments);
      }
      throw unknownSegment(navigation);
    }
    if (
      area === 'deviceAppManagement' &&
      collection === 'mobileApps' &&
      parentId &&
      navigation === 'installSummary' &&
      itemId === undefined
    ) {
      if (context.version === 'v1.0') throw unknownSegment('installSummary');
      requireRole(context, 'DeviceManagementApps');
      const app = state.mobileApps.get(parentId);
      if (!app) throw notFound(parentId);
      return singleton(INSTALL_SUMMARY, app.installSummary, context, segments);
    }
    if (
      area === 'deviceManagement' &&
      collection === 'deviceCompliancePolicies' &&
      parentId &&
      navigation === 'userStatusOverview' &&
      itemId === undefined
    ) {
      requireRole(context, 'DeviceManagementConfiguration');
      const policy = state.deviceCompliancePolicies.get(parentId);
      if (!policy) throw notFound(parentId);
      return singleton(COMPLIANCE_USER_OVERVIEW, policy.userStatusOverview, context, segments);
    }
    throw unknownSegment(navigation ?? collection ?? area);
  }

  function requireRole(context: CallContext, area: 'DeviceManagementApps' | 'DeviceManagementConfiguration'): void {
    const write = context.method !== 'GET';
    const accepted = write ? [`${area}.ReadWrite.All`] : [`${area}.Read.All`, `${area}.ReadWrite.All`];
    if (!context.roles.some((role) => accepted.includes(role))) {
      throw new GraphError(
        403,
        'Forbidden',
        `Application is not authorized to perform this operation. Application must have one of the following scopes: ${accepted.join(', ')}`,
      );
    }
  }

  const notFound = (id: string) => new GraphError(404, 'ResourceNotFound', `Resource with id '${id}' was not found.`);

  function view(type: EntityType, entity: Entity, context: CallContext, segments: string[], annotated = true): Entity {
    const properties = type.properties[context.version] ?? {};
    const shown: Entity = annotated
      ? {
          '@odata.context': `${graphUrl}/${context.version}/$metadata#${segments.join('/')}/$entity`,
          '@odata.type': `#microsoft.graph.${type.name}`,
        }
      : { '@odata.type': `#microsoft.graph.${type.name}` };
    shown.id = entity.id;
    for (const name of Object.keys(properties)) if (name in entity) shown[name] = entity[name];
    return shown;
  }

  /** Applies a write body to `target` the way Graph deserialises it: every problem is a 400. */
  function applyWrite(type: EntityType, body: unknown, context: CallContext, target: Entity): void {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new GraphError(400, 'BadRequest', 'Empty Payload. JSON content expected.');
    }
    const properties = type.properties[context.version] ?? {};
    const changes: Entity = {};
    for (const [name, value] of Object.entries(body)) {
      if (name === '@odata.type') {
        if (value !== `#microsoft.graph.${type.name}` && value !== `microsoft.graph.${type.name}`) {
          throw new GraphError(400, 'BadRequest', `A type named '${String(value)}' could not be resolved by the model.`);
        }
        continue;
      }
      if (name.includes('@odata.') || name === 'id') continue;
      const property = properties[name];
      if (!property) {
        throw new GraphError(
          400,
          'BadRequest',
          `The property '${name}' does not exist on type 'microsoft.graph.${type.name}'. Make sure to only use property names that are defined by the type or mark the type as open type.`,
        );
      }
      const problem = valueProblem(property, name, value);
      if (problem) throw new GraphError(400, 'BadRequest', problem);
      changes[name] = value;
    }
    Object.assign(target, changes);
  }

  function singleton(type: EntityType, entity: Entity, context: CallContext, segments: string[]): GraphReply {
    if (context.method === 'GET') return { status: 200, body: view(type, entity, context, segments) };
    if (context.method === 'PATCH') {
      applyWrite(type, context.body, context, entity);
      return context.preferRepresentation ? { status: 200, body: view(type, entity, context, segments) } : { status: 204 };
    }
    throw new GraphError(405, 'BadRequest', `The HTTP method '${context.method}' is not allowed for this resource.`);
  }

  function statusCollection(statuses: Map<string, Entity>, context: CallContext, segments: string[]): GraphReply {
    if (context.method === 'GET') {
      const top = Math.min(Number(context.url.searchParams.get('$top') ?? MAX_PAGE) || MAX_PAGE, MAX_PAGE);
      const token = context.url.searchParams.get('$skiptoken');
      const offset = token
        ? Number(Buffer.from(token, 'base64url').toString('utf8')) || 0
        : Number(context.url.searchParams.get('$skip') ?? 0) || 0;
      const all = [...statuses.values()];
      const page = all.slice(offset, offset + top).map((status) => view(USER_STATUS, status, context, segments, false));
      const body: Entity = { '@odata.context': `${graphUrl}/${context.version}/$metadata#${segments.join('/')}`, value: page };
      if (offset + top < all.length) {
        const next = new URL(`${graphUrl}/${context.version}/${segments.join('/')}`);
        next.searchParams.set('$top', String(top));
        next.searchParams.set('$skiptoken', Buffer.from(String(offset + top)).toString('base64url'));
        body['@odata.nextLink'] = next.toString();
      }
      return { status: 200, body };
    }
    if (context.method === 'POST') {
      const created: Entity = { id: randomUUID() };
      applyWrite(USER_STATUS, context.body, context, created);
      statuses.set(created.id as string, created);
      const location = `${graphUrl}/${context.version}/${segments.join('/')}('${created.id as string}')`;
      return { status: 201, body: view(USER_STATUS, created, context, [...segments, '$entity']), headers: { location } };
    }
    throw new GraphError(405, 'BadRequest', `The HTTP method '${context.method}' is not allowed for this resource.`);
  }

  function statusItem(statuses: Map<string, Entity>, id: string, context: CallContext, segments: string[]): GraphReply {
    const status = statuses.get(id);
    if (!status) throw notFound(id);
    switch (context.method) {
      case 'GET':
        return { status: 200, body: view(USER_STATUS, status, context, segments) };
      case 'PATCH': {
        const updated = { ...status };
        applyWrite(USER_STATUS, context.body, context, updated);
        statuses.set(id, updated);
        return context.preferRepresentation
          ? { status: 200, body: view(USER_STATUS, updated, context, segments) }
          : { status: 204 };
      }
      case 'DELETE':
        statuses.delete(id);
        return { status: 204 };
      default:
        throw new GraphError(405, 'BadRequest', `The HTTP method '${context.method}' is not allowed for this resource.`);
    }
  }

  async function serveLocal(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const reply = (status: number, body?: unknown) => {
      response.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
      response.end(body === undefined ? undefined : JSON.stringify(body));
    };
    try {
      const raw = (await buffer(request)).toString('utf8');
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      const route = `${request.method} ${url.pathname}`;
      switch (route) {
        case 'GET /msi/token':
          return serveToken(request, url, reply);
        case 'POST /_emulator/reset':
          reset();
          return reply(204);
        case 'POST /_emulator/seed':
          state.seed(body);
          return reply(204);
        case 'PUT /_emulator/roles':
          roles = Array.isArray(body.roles) ? body.roles.map(String) : [];
          return reply(204);
        case 'GET /_emulator/roles':
          return reply(200, { roles });
        case 'PUT /_emulator/behaviour':
          honourPrefer = body.honourPrefer !== false;
          return reply(204);
        case 'POST /_emulator/faults':
          faults.push(queuedFaultFrom(body));
          return reply(204);
        case 'DELETE /_emulator/faults':
          faults.length = 0;
          return reply(204);
        case 'PUT /_emulator/throttling':
          return reply(200, configureThrottling(body));
        case 'GET /_emulator/throttling':
          return reply(200, throttling.current);
        case 'PUT /_emulator/chaos':
          return reply(200, configureChaos(body));
        case 'GET /_emulator/chaos':
          return reply(200, chaos.current);
        case 'GET /_emulator/stats':
          return reply(200, snapshotOf(stats));
        case 'DELETE /_emulator/stats':
          stats = emptyStats();
          return reply(204);
        case 'GET /_emulator/requests':
          return reply(200, { requests });
        case 'DELETE /_emulator/requests':
          requests.length = 0;
          return reply(204);
        default:
          return reply(404, { error: `no ${route} on the emulator's local side` });
      }
    } catch (error) {
      reply(400, { error: (error as Error).message });
    }
  }

  /** Back to a fresh emulator: seeded state, default roles, Intune throttling, no faults, no chaos. */
  function reset(): void {
    state.reset();
    requests.length = 0;
    faults.length = 0;
    roles = [...DEFAULT_ROLES];
    honourPrefer = true;
    throttling.configure(INTUNE_THROTTLING);
    chaos.configure(CHAOS_OFF);
    stats = emptyStats();
  }

  function configureThrottling(request: unknown): ThrottlingSettings {
    throttling.configure(throttlingSettingsFrom(request));
    return throttling.current;
  }

  function configureChaos(request: unknown): ChaosSettings {
    chaos.configure(chaosSettingsFrom(request));
    return chaos.current;
  }

  /** The App Service managed identity protocol (api-version 2019-08-01), as ManagedIdentityCredential calls it. */
  function serveToken(request: IncomingMessage, url: URL, reply: (status: number, body?: unknown) => void): void {
    if (header(request, 'x-identity-header') !== identityHeader) {
      return reply(401, { statusCode: 401, message: 'Unauthorized: the X-IDENTITY-HEADER is missing or wrong.' });
    }
    const resource = url.searchParams.get('resource');
    if (url.searchParams.get('api-version') !== '2019-08-01' || !resource) {
      return reply(400, { statusCode: 400, message: 'api-version 2019-08-01 and resource are required.' });
    }
    const requestedClientId = url.searchParams.get('client_id') ?? undefined;
    tokenRequests.push({ resource, clientId: requestedClientId });
    const clientId = requestedClientId ?? SYSTEM_ASSIGNED_CLIENT_ID;
    const { token, expiresOn } = issuer.issue(resource, clientId, randomUUID(), roles);
    issuedTokens.push(token);
    reply(200, { access_token: token, expires_on: String(expiresOn), resource, token_type: 'Bearer', client_id: clientId });
  }

  const listen = (server: Server, port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
    });

  const graphPort = await listen(graphServer, options.graphPort ?? 0);
  const localPort = await listen(localServer, options.localPort ?? 0);
  graphUrl = `https://localhost:${graphPort}`;
  const identityEndpoint = `http://127.0.0.1:${localPort}/msi/token`;

  return {
    graphUrl,
    identityEndpoint,
    identityHeader,
    controlUrl: `http://127.0.0.1:${localPort}/_emulator`,
    certPath,
    state,
    requests,
    tokenRequests,
    issuedTokens,
    facadeEnvironment: () => ({
      GRAPH_CLOUD: cloud,
      GRAPH_BASE_URL: graphUrl,
      IDENTITY_ENDPOINT: identityEndpoint,
      IDENTITY_HEADER: identityHeader,
      NODE_EXTRA_CA_CERTS: certPath,
    }),
    configureThrottling,
    injectFault: (request) => void faults.push(queuedFaultFrom(request)),
    configureChaos,
    stats: () => snapshotOf(stats),
    reset,
    close: async () => {
      for (const timer of delayTimers) clearTimeout(timer);
      delayTimers.clear();
      const closing = [graphServer, localServer].map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      );
      await Promise.all(closing);
    },
  };
}
