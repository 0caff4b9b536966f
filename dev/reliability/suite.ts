import { randomBytes } from 'node:crypto';
import { startPrivateAzuriteTables } from '../azurite';
import type { ChaosRequest, ThrottlingRequest } from '../graph-emulator/server';
import { startGraphEmulator } from '../graph-emulator/server';
import { SEEDED_IDS } from '../graph-emulator/state';
import { startHostProcess } from '../host-process';

/** How hard to push: the short profile runs inside `npm test`, the full one at Intune's real windows. */
export interface ReliabilityProfile {
  readonly name: string;
  readonly callers: number;
  readonly operationsPerCaller: number;
  /** The emulator's throttling: Intune's limits, or the same rates over a shorter window. */
  readonly throttling: ThrottlingRequest;
  readonly chaos: ChaosRequest;
  /** Facade settings: time budget and write limiter. */
  readonly facade: Record<string, string>;
  /** The callers' own retry policy (Logic Apps: 4 retries, exponential), scaled by this base interval. */
  readonly callerRetryBaseMs: number;
}

const FAULTS: ChaosRequest['outcomes'] = [
  { weight: 3, status: 503, retryAfter: '1' },
  { weight: 2, status: 503 },
  { weight: 2, status: 504 },
  { weight: 1, status: 429, retryAfter: '1' },
  { weight: 2, reset: true },
  { weight: 2, applyThenReset: true },
  { weight: 1, applyThenStatus: 504 },
  { weight: 2, delayMs: 300 },
];

export const SHORT_PROFILE: ReliabilityProfile = {
  name: 'short',
  callers: 8,
  operationsPerCaller: 6,
  // Intune's rates (100 writes and 1000 requests per 20 s per app) over a 2 s window.
  throttling: { enabled: true, windowSeconds: 2, writesPerApp: 10, requestsPerApp: 100, writesPerTenant: 20, requestsPerTenant: 200 },
  chaos: { probability: 0.25, seed: 20261125, outcomes: FAULTS },
  facade: { GRAPH_TIME_BUDGET_SECONDS: '20', GRAPH_WRITES_PER_20S: '90', GRAPH_WRITE_BURST: '5' },
  callerRetryBaseMs: 300,
};

export const FULL_PROFILE: ReliabilityProfile = {
  name: 'full',
  callers: 30,
  operationsPerCaller: 12,
  throttling: { enabled: true },
  chaos: { probability: 0.25, seed: 20261125, outcomes: FAULTS },
  facade: { GRAPH_TIME_BUDGET_SECONDS: '30', GRAPH_WRITES_PER_20S: '90', GRAPH_WRITE_BURST: '10' },
  callerRetryBaseMs: 1000,
};

export interface Figures {
  readonly profile: string;
  readonly operations: number;
  readonly requestsSent: number;
  readonly graphRequests: number;
  readonly writesApplied: number;
  readonly writesLost: number;
  readonly duplicateCreates: number;
  readonly answers5xx: number;
  readonly throttledWithRetryAfter: number;
  readonly throttledWithoutRetryAfter: number;
  readonly graphThrottled: number;
  readonly faultsInjected: number;
  readonly idempotentReplays: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly operationP99Ms: number;
  readonly seconds: number;
}

/** One write a caller means to make, sent with the same Idempotency-Key on every retry. */
interface Intent {
  readonly method: 'POST' | 'PATCH';
  readonly path: string;
  readonly body: Record<string, unknown>;
  readonly key: string;
  /** A check of Graph's final state that the write took effect. */
  readonly resource: string;
}

const RETRIABLE = (status: number) => status === 408 || status === 429 || status >= 500;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/**
 * Concurrent callers against the built facade host, with the emulator throttling at Intune's
 * rates and injecting faults, each caller retrying the way Logic Apps does (up to 4 retries on
 * timeouts, 408, 429 and 5xx, honouring Retry-After on 429). Then Graph's final state is
 * compared with what the callers meant to write.
 */
export async function runReliabilitySuite(profile: ReliabilityProfile, log: (line: string) => void = () => undefined): Promise<Figures> {
  const started = Date.now();
  const azurite = await startPrivateAzuriteTables();
  const emulator = await startGraphEmulator();
  const host = await startHostProcess({
    ...emulator.facadeEnvironment(),
    IdempotencyStorage: azurite.connectionString,
    IDEMPOTENCY_TABLE_NAME: `reliability${randomBytes(4).toString('hex')}`,
    ...profile.facade,
  });
  try {
    const callerIds = Array.from({ length: profile.callers }, (_, index) => index);
    emulator.state.seed({
      mobileAppConfigurations: callerIds.map((caller) => ({ id: `configuration-${caller}` })),
      mobileApps: callerIds.map((caller) => ({ id: `app-${caller}` })),
      deviceCompliancePolicies: callerIds.map((caller) => ({ id: `policy-${caller}` })),
    });
    emulator.configureThrottling(profile.throttling);
    emulator.configureChaos(profile.chaos);

    const latencies: number[] = [];
    const operationLatencies: number[] = [];
    const counters = { requestsSent: 0, answers5xx: 0, throttledWithRetryAfter: 0, throttledWithoutRetryAfter: 0, idempotentReplays: 0 };
    const outcomes: { intent: Intent; succeeded: boolean }[] = [];

    const intentsOf = (caller: number): Intent[] =>
      Array.from({ length: profile.operationsPerCaller }, (_, step): Intent => {
        const key = `run-${caller}-${step}-${randomBytes(4).toString('hex')}`;
        switch (step % 4) {
          case 0:
            return {
              method: 'POST',
              path: `mobile-app-configurations/${SEEDED_IDS.mobileAppConfiguration}/user-statuses`,
              body: { userPrincipalName: `caller${caller}.step${step}@contoso.example`, status: 'compliant', devicesCount: step },
              key,
              resource: `status:caller${caller}.step${step}@contoso.example`,
            };
          case 1:
            return { method: 'PATCH', path: `mobile-app-configurations/configuration-${caller}/user-status-summary`, body: { pendingCount: step }, key, resource: `summary:${caller}` };
          case 2:
            return { method: 'PATCH', path: `mobile-apps/app-${caller}/install-summary`, body: { installedDeviceCount: step }, key, resource: `install:${caller}` };
          default:
            return { method: 'PATCH', path: `device-compliance-policies/policy-${caller}/user-status-overview`, body: { successCount: step }, key, resource: `overview:${caller}` };
        }
      });

    /** One Logic Apps style action: the request, then up to 4 retries. */
    const perform = async (intent: Intent): Promise<boolean> => {
      const operationStarted = performance.now();
      for (let attempt = 0; attempt <= 4; attempt++) {
        const requestStarted = performance.now();
        counters.requestsSent += 1;
        let status = 0;
        let retryAfter: string | null = null;
        try {
          const response = await fetch(`${host.baseUrl}/${intent.path}`, {
            method: intent.method,
            headers: { 'content-type': 'application/json', 'idempotency-key': intent.key },
            body: JSON.stringify(intent.body),
            signal: AbortSignal.timeout(120_000),
          });
          await response.arrayBuffer();
          status = response.status;
          retryAfter = response.headers.get('retry-after');
          if (response.headers.get('idempotent-replayed') === 'true') counters.idempotentReplays += 1;
        } catch {
          status = 0;
        }
        latencies.push(performance.now() - requestStarted);
        if (status >= 500) counters.answers5xx += 1;
        if (status === 429) {
          if (retryAfter) counters.throttledWithRetryAfter += 1;
          else counters.throttledWithoutRetryAfter += 1;
        }
        if (status >= 200 && status < 300) {
          operationLatencies.push(performance.now() - operationStarted);
          return true;
        }
        if (status !== 0 && !RETRIABLE(status)) break;
        const honoured = status === 429 && retryAfter ? Number(retryAfter) * 1000 : 0;
        await sleep(Math.max(honoured, profile.callerRetryBaseMs * 2 ** attempt * (0.8 + Math.random() * 0.4)));
      }
      operationLatencies.push(performance.now() - operationStarted);
      return false;
    };

    await Promise.all(
      callerIds.map(async (caller) => {
        for (const intent of intentsOf(caller)) outcomes.push({ intent, succeeded: await perform(intent) });
      }),
    );

    // Compare Graph's final state with what the callers meant to write.
    const statuses = [...(emulator.state.mobileAppConfigurations.get(SEEDED_IDS.mobileAppConfiguration)?.userStatuses.values() ?? [])];
    const countByUpn = new Map<string, number>();
    for (const status of statuses) countByUpn.set(String(status.userPrincipalName), (countByUpn.get(String(status.userPrincipalName)) ?? 0) + 1);
    const finalValue = (resource: string): unknown => {
      const [kind, caller] = resource.split(':') as [string, string];
      if (kind === 'summary') return emulator.state.mobileAppConfigurations.get(`configuration-${caller}`)?.userStatusSummary.pendingCount;
      if (kind === 'install') return emulator.state.mobileApps.get(`app-${caller}`)?.installSummary.installedDeviceCount;
      return emulator.state.deviceCompliancePolicies.get(`policy-${caller}`)?.userStatusOverview.successCount;
    };
    const lastIntent = new Map<string, Intent>();
    for (const { intent } of outcomes) if (intent.method === 'PATCH') lastIntent.set(intent.resource, intent);
    let writesLost = outcomes.filter((outcome) => !outcome.succeeded).length;
    for (const { intent, succeeded } of outcomes) {
      if (!succeeded) continue;
      if (intent.method === 'POST' && !countByUpn.has(String(intent.body.userPrincipalName))) writesLost += 1;
      if (intent.method === 'PATCH' && lastIntent.get(intent.resource) === intent && finalValue(intent.resource) !== Object.values(intent.body)[0]) writesLost += 1;
    }
    const duplicateCreates = [...countByUpn.values()].reduce((sum, count) => sum + Math.max(0, count - 1), 0);
    const stats = emulator.stats();

    const figures: Figures = {
      profile: profile.name,
      operations: outcomes.length,
      requestsSent: counters.requestsSent,
      graphRequests: stats.requests,
      writesApplied: stats.applied.POST + stats.applied.PATCH + stats.applied.DELETE,
      writesLost,
      duplicateCreates,
      answers5xx: counters.answers5xx,
      throttledWithRetryAfter: counters.throttledWithRetryAfter,
      throttledWithoutRetryAfter: counters.throttledWithoutRetryAfter,
      graphThrottled: stats.throttled,
      faultsInjected: Object.values(stats.faults).reduce((sum, count) => sum + count, 0),
      idempotentReplays: counters.idempotentReplays,
      latencyP50Ms: Math.round(percentile(latencies, 50)),
      latencyP99Ms: Math.round(percentile(latencies, 99)),
      operationP99Ms: Math.round(percentile(operationLatencies, 99)),
      seconds: Math.round((Date.now() - started) / 100) / 10,
    };
    log(formatFigures(figures));
    return figures;
  } finally {
    await host.stop();
    await emulator.close();
    await azurite.stop();
  }
}

/** The figures as the README shows them. */
export function formatFigures(figures: Figures): string {
  const rows: [string, string | number][] = [
    ['profile', figures.profile],
    ['caller operations (writes meant)', figures.operations],
    ['requests sent by callers (retries included)', figures.requestsSent],
    ['requests Graph received', figures.graphRequests],
    ['writes Graph applied', figures.writesApplied],
    ['writes lost (must be 0)', figures.writesLost],
    ['duplicate creates (must be 0)', figures.duplicateCreates],
    ['5xx answers (must be 0)', figures.answers5xx],
    ['429 passed on with Retry-After', figures.throttledWithRetryAfter],
    ['429 without Retry-After (must be 0)', figures.throttledWithoutRetryAfter],
    ['429s Graph sent (absorbed or passed on)', figures.graphThrottled],
    ['faults Graph injected', figures.faultsInjected],
    ['answers replayed from Idempotency-Key', figures.idempotentReplays],
    ['latency per request p50 / p99 (ms)', `${figures.latencyP50Ms} / ${figures.latencyP99Ms}`],
    ['latency per operation p99, caller retries included (ms)', figures.operationP99Ms],
    ['run time (s)', figures.seconds],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}
