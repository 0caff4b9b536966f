import { randomUUID } from 'node:crypto';

import { CATALOG, fillRoute } from '../catalog/operations';
import { type Resource, RESOURCES } from '../catalog/resources';
import type { Clock } from '../clock';
import { type GraphGateway, lastAttempt } from '../graph/gateway';
import type { TokenInspector, TokenReading } from '../identity/token-claims';
import { type DiagnosticsIdentities, type OperationIdentity, operationIdentity } from './diagnostics-identities';
import { graphErrorSummary } from './respond';

/** What one read probe of a resource proved. */
export type ProbeResult =
  'access' | 'permission-missing' | 'refused-for-application-identities' | 'not-exposed' | 'token-refused' | 'graph-unavailable';

export interface Probe {
  readonly resource: string;
  readonly graphVersion: string;
  readonly graphPath: string;
  readonly permission: string;
  readonly result: ProbeResult;
  readonly graphStatus: number | undefined;
  readonly graphRequestId: string | undefined;
  readonly detail: string;
}

/** The report of the diagnostics route: identifiers and claims, never a token or a secret. */
export interface DiagnosticsReport {
  readonly ready: boolean;
  /** When Graph was probed for this report (ISO 8601): a report is answered again for a while. */
  readonly checkedAt: string;
  readonly graph: { readonly cloud: string; readonly root: string };
  readonly token:
    | {
        readonly ok: true;
        readonly audience?: string;
        readonly tenantId?: string;
        readonly appId?: string;
        readonly roles: readonly string[];
      }
    | { readonly ok: false; readonly reason: string };
  readonly permissions: readonly {
    readonly permission: string;
    readonly inToken: boolean;
    readonly neededBy: readonly string[];
  }[];
  readonly probes: readonly Probe[];
  /** Per operation: the identity its calls go to Graph with, and whether that identity can call it. */
  readonly operations: readonly OperationIdentity[];
  /** What to grant or know before any caller fails; empty when ready. */
  readonly missing: readonly string[];
}

export interface DiagnosticsDependencies {
  readonly graph: GraphGateway;
  readonly token: TokenInspector;
  readonly clock: Clock;
  readonly timeBudgetMs: number;
  /** How long a report is answered again before Graph is probed anew (0: every call probes, one run at a time). */
  readonly cacheMs: number;
  /** The Graph cloud's name and root, as the report names them. */
  readonly cloud: string;
  readonly graphRoot: string;
  readonly identities?: DiagnosticsIdentities;
}

/**
 * Diagnostics for the route: one run in flight per instance, whose report is answered to every
 * caller for `cacheMs` after it. A route anyone with a key may loop on must not spend the read
 * budget real reads need: an instance probes Graph at most once per `cacheMs` (4 reads, one per
 * resource), whatever the number of callers.
 */
export function cachedDiagnosis(dependencies: DiagnosticsDependencies): () => Promise<DiagnosticsReport> {
  let current: { readonly report: Promise<DiagnosticsReport>; settledAtMs?: number } | undefined;
  return () => {
    const nowMs = dependencies.clock.now();
    const fresh = current && (current.settledAtMs === undefined || nowMs - current.settledAtMs < dependencies.cacheMs);
    if (current && fresh) return current.report;
    const run = { report: diagnose(dependencies) } as { report: Promise<DiagnosticsReport>; settledAtMs?: number };
    current = run;
    // A report is kept from when it is ready; a run that failed is not kept at all.
    run.report.then(
      () => {
        run.settledAtMs = dependencies.clock.now();
      },
      () => {
        if (current === run) current = undefined;
      },
    );
    return run.report;
  };
}

/** An id no tenant has: Graph's 404 for it proves the identity may read there, a 401 or 403 proves it may not. */
const MADE_UP_ID = '00000000-0000-0000-0000-000000000000';

/**
 * Takes a token the way the facade does and reads its claims, then sends one read probe per
 * resource (never a write), all within the time budget, and says what is missing.
 */
export async function diagnose(
  dependencies: DiagnosticsDependencies,
  resources: readonly Resource[] = RESOURCES,
): Promise<DiagnosticsReport> {
  const deadlineMs = dependencies.clock.now() + dependencies.timeBudgetMs;
  const identities = dependencies.identities ?? { usersSignIn: false, use: 'where-required', onBehalfOf: undefined };
  const [token, probes, assertion] = await Promise.all([
    dependencies.token.read(deadlineMs),
    Promise.all(resources.map((resource) => probe(resource, dependencies.graph, deadlineMs))),
    identities.onBehalfOf?.assertionAvailable(deadlineMs),
  ]);
  const roles = token.ok ? token.claims.roles : [];
  const permissions = [...new Set(resources.map((resource) => resource.permission))].map((permission) => ({
    permission,
    inToken: roles.includes(permission),
    neededBy: resources.filter((resource) => resource.permission === permission).map((resource) => resource.noun),
  }));
  const explained = probes.map((found) => explainProbe(found, roles));
  const operations = CATALOG.filter((operation) => resources.includes(operation.resource)).map((operation) =>
    operationIdentity(operation, explained, roles, identities, assertion),
  );
  const missing = [
    ...(token.ok ? [] : [`No token for Microsoft Graph: ${token.reason}`]),
    ...permissions
      .filter((entry) => token.ok && !entry.inToken)
      .map(
        (entry) =>
          `Grant the Microsoft Graph application permission ${entry.permission} to the function app's managed identity (needed by ${entry.neededBy.join(', ')}).`,
      ),
    ...explained.filter((entry) => entry.result !== 'access').map((entry) => `${entry.resource}: ${entry.detail}`),
    // Where callers sign in, a user-only operation that cannot work is a setup to mend; with
    // function keys it is what the mode means, said per operation (operations) but not missing.
    ...operations
      .filter((entry) => !entry.works && entry.identity === 'signed-in-user' && identities.usersSignIn)
      .map((entry) => `${entry.operation}: ${entry.detail}`),
  ];
  return {
    ready: missing.length === 0,
    checkedAt: new Date(dependencies.clock.now()).toISOString(),
    graph: { cloud: dependencies.cloud, root: new URL(dependencies.graphRoot).origin },
    token: tokenSummary(token),
    permissions,
    probes: explained,
    operations,
    missing,
  };
}

function tokenSummary(token: TokenReading): DiagnosticsReport['token'] {
  if (!token.ok) return { ok: false, reason: token.reason };
  const { audience, tenantId, appId, roles } = token.claims;
  return { ok: true, ...(audience ? { audience } : {}), ...(tenantId ? { tenantId } : {}), ...(appId ? { appId } : {}), roles };
}

type RawProbe = Omit<Probe, 'result' | 'detail'> & { readonly message: string | undefined; readonly failure: string | undefined };

async function probe(resource: Resource, graph: GraphGateway, deadlineMs: number): Promise<RawProbe> {
  // The default version, as the facade calls it: the first the resource exists in.
  const graphVersion = resource.graphVersions[0] ?? 'v1.0';
  const ids = Object.fromEntries(Object.keys(resource.exampleParameters).map((name) => [name, MADE_UP_ID]));
  const path = `/${fillRoute(resource.graphPath.replace(/^\//, ''), ids)}`;
  const exchange = await graph.send(
    { version: graphVersion, method: 'GET', path, clientRequestId: randomUUID() },
    { deadlineMs, mayRepeat: () => true },
  );
  const attempt = lastAttempt(exchange);
  const answer = attempt?.answer;
  return {
    resource: resource.noun,
    graphVersion,
    graphPath: resource.graphPath,
    permission: resource.permission,
    graphStatus: answer?.status,
    graphRequestId: answer?.requestId,
    message: answer ? graphErrorSummary(answer).message : undefined,
    failure: attempt && attempt.ending.kind !== 'answer' ? attempt.ending.kind : undefined,
  };
}

function explainProbe(found: RawProbe, roles: readonly string[]): Probe {
  const { message, failure, ...probe } = found;
  const status = found.graphStatus;
  const said = message ? `: ${message}` : '';
  const result = (resultOf: ProbeResult, detail: string): Probe => ({ ...probe, result: resultOf, detail });
  if (status === 404 || status === 200)
    return result('access', `Graph answered ${status} for a made-up id: the identity may read ${found.resource}.`);
  if (status === 403 && roles.includes(found.permission)) {
    return result(
      'refused-for-application-identities',
      `Graph refuses it for application identities although the token holds ${found.permission} (403${said}).`,
    );
  }
  if (status === 403) return result('permission-missing', `Graph refused the identity (403${said}); grant ${found.permission}.`);
  if (status === 401)
    return result('token-refused', `Graph refused the token (401${said}); check the Graph cloud and the identity.`);
  if (status === 400 && /Resource not found for the segment/i.test(message ?? '')) {
    return result('not-exposed', `Graph ${found.graphVersion} no longer exposes ${found.graphPath} (400${said}).`);
  }
  const why = status === undefined ? `no answer (${failure ?? 'unknown'})` : `${status}${said}`;
  return result('graph-unavailable', `Graph could not be asked within the time budget: ${why}.`);
}
