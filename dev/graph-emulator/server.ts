import { randomBytes, randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';

import { GRAPH_CLOUDS, type GraphCloudName } from '../../src/graph/clouds';
import { callerAudienceOf, issueCallerToken, issueUserToken } from './caller-tokens';
import { createLocalhostCertificate } from './certificate';
import { CONTROL_ROUTES } from './control';
import {
  API_CLIENT_ID,
  defaultFederation,
  type EntraEndpointOptions,
  exchangeToken,
  FACADE_IDENTITY_CLIENT_ID,
  type Federation,
  openIdConfiguration,
  type TokenExchange,
} from './entra';
import { type ChaosRequest, type ChaosSettings, chaosSettingsFrom, type FaultRequest, queuedFaultFrom } from './faults';
import { graphEndpoint, header } from './graph-endpoint';
import { type LocalReply, serveIdentityToken } from './identity';
import { createRuntime, type RecordedRequest, resetRuntime } from './runtime';
import type { GraphState } from './state';
import { type EmulatorStats, snapshotOf } from './stats';
import { type ThrottlingRequest, type ThrottlingSettings, throttlingSettingsFrom } from './throttling';
import { TokenIssuer } from './tokens';

export type { Federation, TokenExchange } from './entra';
export type { ChaosRequest, ChaosSettings, FaultRequest } from './faults';
export { DEFAULT_ROLES, type RecordedRequest } from './runtime';
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
  /** On-Behalf-Of requests to the emulated Entra token endpoint, as who asked, for whom, and the outcome. */
  readonly tokenExchanges: readonly TokenExchange[];
  /** The tenant's trust for On-Behalf-Of (`PUT|GET /_emulator/federation`), as it stands; reset restores it. */
  readonly federation: Federation;
  /** The settings that point a facade process at this emulator. */
  facadeEnvironment(): Record<string, string>;
  /**
   * The local host's App Service Authentication settings for callers with the emulator's tokens
   * (dev/local-host/app-service-auth.ts): their issuer, the API's audience, the signing keys.
   */
  callerAuthEnvironment(): Record<string, string>;
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

const TENANT_ID = 'b0c1d2e3-f4a5-4b6c-8d7e-9f0a1b2c3d4e';

/** The trust with the fields a test changed (`subject`, `consentedScopes`, `apiClientId`, `issuer`). */
function federationFrom(body: Record<string, unknown>, current: Federation): Federation {
  const text = (name: string, fallback: string) => (typeof body[name] === 'string' ? body[name] : fallback);
  return {
    apiClientId: text('apiClientId', current.apiClientId),
    issuer: text('issuer', current.issuer),
    subject: text('subject', current.subject),
    consentedScopes: Array.isArray(body.consentedScopes) ? body.consentedScopes.map(String) : current.consentedScopes,
    outage: typeof body.outage === 'boolean' ? body.outage : current.outage,
  };
}

/**
 * Starts the emulator: HTTPS Graph on localhost (graph-endpoint.ts, graph-api.ts), and a plain
 * HTTP side for the managed identity endpoint (identity.ts) and the control surface (control.ts).
 */
export async function startGraphEmulator(options: GraphEmulatorOptions = {}): Promise<GraphEmulator> {
  const cloud = options.cloud ?? 'Global';
  const audiences = [GRAPH_CLOUDS[cloud].graphRoot, '00000003-0000-0000-c000-000000000000'];
  const certPath = options.certPath ?? join(tmpdir(), `graph-emulator-${process.pid}-${randomUUID()}.pem`);
  const certificate = await createLocalhostCertificate(certPath);
  const issuer = new TokenIssuer(TENANT_ID);
  const identityHeader = randomBytes(24).toString('base64url');
  const runtime = createRuntime();
  const tokenRequests: { resource: string; clientId: string | undefined }[] = [];
  const issuedTokens: string[] = [];
  const tokenExchanges: TokenExchange[] = [];
  // Timers of delay faults, cleared at close so that a test run is not held open by them.
  const delayTimers = new Set<NodeJS.Timeout>();
  let graphUrl = '';
  // Entra's endpoints share the HTTPS port with Graph, as an authority host of its own would be.
  const exchangeIssuer = () => `${graphUrl}/${TENANT_ID}/v2.0`;
  let federation: Federation = defaultFederation('');

  const delay = (milliseconds: number): Promise<void> =>
    milliseconds <= 0
      ? Promise.resolve()
      : new Promise((resolve) => {
          const timer = setTimeout(() => {
            delayTimers.delete(timer);
            resolve();
          }, milliseconds);
          delayTimers.add(timer);
        });

  const serveGraph = graphEndpoint({
    runtime,
    graphUrl: () => graphUrl,
    checkToken: (token) => issuer.check(token, audiences),
    delay,
  });
  const identity = { identityHeader, issuer, roles: () => runtime.roles, tokenRequests, issuedTokens, exchangeIssuer };
  const entra: EntraEndpointOptions = {
    issuer,
    federation: () => federation,
    graphRoot: GRAPH_CLOUDS[cloud].graphRoot,
    apiAudiences: () => [callerAudienceOf(TENANT_ID), federation.apiClientId],
    authorityRoot: () => graphUrl,
    exchanges: tokenExchanges,
    issuedTokens,
  };

  /** The emulated Entra endpoints (entra.ts), on the HTTPS side; undefined for any other path. */
  async function serveEntra(request: IncomingMessage, response: ServerResponse): Promise<boolean> {
    const url = new URL(request.url ?? '/', 'https://localhost');
    const metadata = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(url.pathname);
    const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname);
    let reply: { status: number; body: unknown } | undefined;
    if (metadata && request.method === 'GET') reply = openIdConfiguration(entra, decodeURIComponent(metadata[1] ?? ''));
    if (token && request.method === 'POST') {
      const form = new URLSearchParams((await buffer(request)).toString('utf8'));
      reply = exchangeToken(entra, decodeURIComponent(token[1] ?? ''), form);
    }
    if (!reply) return false;
    response.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    response.end(JSON.stringify(reply.body));
    return true;
  }

  async function serveLocal(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const reply = ({ status, body }: LocalReply) => {
      response.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
      response.end(body === undefined ? undefined : JSON.stringify(body));
    };
    try {
      const raw = (await buffer(request)).toString('utf8');
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      const route = `${request.method} ${url.pathname}`;
      if (route === 'GET /msi/token') return reply(serveIdentityToken(identity, header(request, 'x-identity-header'), url));
      if (route === 'POST /_emulator/caller-tokens' || route === 'POST /_emulator/user-tokens') {
        const issued = route.endsWith('user-tokens') ? issueUserToken(issuer, body) : issueCallerToken(issuer, body);
        issuedTokens.push(String((issued.body as { access_token: string }).access_token));
        return reply(issued);
      }
      if (route === 'GET /_emulator/federation') return reply({ status: 200, body: federation });
      if (route === 'GET /_emulator/token-exchanges') return reply({ status: 200, body: { exchanges: tokenExchanges } });
      if (route === 'PUT /_emulator/federation')
        return reply({ status: 200, body: (federation = federationFrom(body, federation)) });
      if (route === `GET /${TENANT_ID}/discovery/keys`) return reply({ status: 200, body: issuer.jwks() });
      const handler = CONTROL_ROUTES[route];
      if (route === 'POST /_emulator/reset') {
        federation = defaultFederation(exchangeIssuer());
        tokenExchanges.length = 0;
      }
      reply(handler ? handler(runtime, body) : { status: 404, body: { error: `no ${route} on the emulator's local side` } });
    } catch (error) {
      reply({ status: 400, body: { error: (error as Error).message } });
    }
  }

  const graphServer = createHttpsServer({ key: certificate.key, cert: certificate.cert }, (request, response) => {
    void serveEntra(request, response)
      .then((served) => (served ? undefined : serveGraph(request, response)))
      .catch(() => response.destroy());
  });
  const localServer = createHttpServer((request, response) => {
    void serveLocal(request, response);
  });
  const listen = (server: Server, port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
    });
  const graphPort = await listen(graphServer, options.graphPort ?? 0);
  const localPort = await listen(localServer, options.localPort ?? 0);
  graphUrl = `https://localhost:${graphPort}`;
  federation = defaultFederation(exchangeIssuer());
  const identityEndpoint = `http://127.0.0.1:${localPort}/msi/token`;

  return {
    graphUrl,
    identityEndpoint,
    identityHeader,
    controlUrl: `http://127.0.0.1:${localPort}/_emulator`,
    certPath,
    state: runtime.state,
    requests: runtime.requests,
    tokenRequests,
    issuedTokens,
    tokenExchanges,
    get federation() {
      return federation;
    },
    facadeEnvironment: () => ({
      GRAPH_CLOUD: cloud,
      GRAPH_BASE_URL: graphUrl,
      IDENTITY_ENDPOINT: identityEndpoint,
      IDENTITY_HEADER: identityHeader,
      // The user-assigned identity the API's federated credential trusts, as the Bicep deploys it.
      AZURE_CLIENT_ID: FACADE_IDENTITY_CLIENT_ID,
      // On-Behalf-Of, for operations Graph accepts only for a signed-in user: the API's app, its tenant, the authority.
      API_CLIENT_ID,
      AZURE_TENANT_ID: TENANT_ID,
      ENTRA_AUTHORITY_HOST: graphUrl,
      NODE_EXTRA_CA_CERTS: certPath,
    }),
    callerAuthEnvironment: () => ({
      LOCAL_AUTH_ISSUER: issuer.issuerUrl,
      LOCAL_AUTH_AUDIENCE: callerAudienceOf(TENANT_ID),
      LOCAL_AUTH_JWKS_URL: `http://127.0.0.1:${localPort}/${TENANT_ID}/discovery/keys`,
    }),
    configureThrottling: (request) => {
      runtime.throttling.configure(throttlingSettingsFrom(request));
      return runtime.throttling.current;
    },
    injectFault: (request) => void runtime.faults.push(queuedFaultFrom(request)),
    configureChaos: (request) => {
      runtime.chaos.configure(chaosSettingsFrom(request));
      return runtime.chaos.current;
    },
    stats: () => snapshotOf(runtime.stats),
    reset: () => {
      resetRuntime(runtime);
      federation = defaultFederation(exchangeIssuer());
      tokenExchanges.length = 0;
    },
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
      // A certificate made for this run only (no certPath given) goes with it.
      if (!options.certPath) await rm(certPath, { force: true });
    },
  };
}
