import { randomBytes } from 'node:crypto';

import { startPrivateAzurite } from '../azurite';
import type { ChaosRequest, ThrottlingRequest } from '../graph-emulator/server';
import { startGraphEmulator } from '../graph-emulator/server';
import { SEEDED_IDS } from '../graph-emulator/state';
import { startHostProcess } from '../host-process';
import { callWithRetries, HONOURS_EVERY_RETRY_AFTER, LOGIC_APPS_DEFAULT, type RetryPolicy, scaled, type Seen } from './callers';
import { type Figures, formatFigures, percentile } from './figures';

/** How hard to push: the short profile runs inside `npm test`, the full one at Intune's real windows. */
export interface ReliabilityProfile {
  readonly name: string;
  readonly callers: number;
  readonly operationsPerCaller: number;
  /** The emulator's throttling: Intune's limits, or the same rates over a shorter window. */
  readonly throttling: ThrottlingRequest;
  readonly chaos: ChaosRequest;
  /** Facade settings: time budget, in-doubt window and write limiter. */
  readonly facade: Record<string, string>;
  /** The callers' retry schedules (Logic Apps' default, and a caller that honours every Retry-After), times scaled by this factor. */
  readonly callerTimeScale: number;
}

/** Faults of every kind the write rules sort: refused, applied then failed, and slower than the time budget. */
function faults(budgetSeconds: number): ChaosRequest['outcomes'] {
  return [
    { weight: 3, status: 503, retryAfter: '1' },
    { weight: 2, status: 503 },
    { weight: 2, status: 504 },
    { weight: 1, status: 500 },
    { weight: 1, status: 429, retryAfter: '1' },
    { weight: 2, reset: true },
    { weight: 2, applyThenReset: true },
    { weight: 1, applyThenStatus: 500 },
    { weight: 1, applyThenStatus: 502 },
    { weight: 1, applyThenStatus: 504 },
    { weight: 1, applyThenStatus: 408 },
    { weight: 2, delayMs: 300 },
    // Graph applying a create after the facade stopped waiting for it.
    { weight: 2, method: 'POST', delayMs: (budgetSeconds + 1) * 1000 },
  ];
}

export const SHORT_PROFILE: ReliabilityProfile = {
  name: 'short',
  callers: 8,
  operationsPerCaller: 6,
  // Intune's rates (100 writes and 1000 requests per 20 s per app) over a 2 s window.
  throttling: {
    enabled: true,
    windowSeconds: 2,
    writesPerApp: 10,
    requestsPerApp: 100,
    writesPerTenant: 20,
    requestsPerTenant: 200,
  },
  chaos: { probability: 0.25, seed: 20261125, outcomes: faults(4) },
  facade: {
    GRAPH_TIME_BUDGET_SECONDS: '4',
    GRAPH_IN_DOUBT_WINDOW_SECONDS: '7',
    GRAPH_WRITES_PER_20S: '90',
    GRAPH_WRITE_BURST: '5',
  },
  callerTimeScale: 0.2,
};

export const FULL_PROFILE: ReliabilityProfile = {
  name: 'full',
  callers: 30,
  operationsPerCaller: 12,
  throttling: { enabled: true },
  chaos: { probability: 0.25, seed: 20261125, outcomes: faults(30) },
  facade: {
    GRAPH_TIME_BUDGET_SECONDS: '30',
    GRAPH_IN_DOUBT_WINDOW_SECONDS: '100',
    GRAPH_WRITES_PER_20S: '90',
    GRAPH_WRITE_BURST: '10',
  },
  callerTimeScale: 1,
};

/** One write a caller means to make, sent with the same Idempotency-Key on every retry. */
interface Intent {
  readonly method: 'POST' | 'PATCH';
  readonly path: string;
  readonly body: Record<string, unknown>;
  readonly key: string;
  /** A check of Graph's final state that the write took effect. */
  readonly resource: string;
}

/**
 * Concurrent callers against the built facade host, with the emulator throttling at Intune's
 * rates and injecting faults, half retrying as Logic Apps does by default (4 retries on
 * timeouts, 408, 429 and 5xx, Retry-After honoured on 429 only) and half honouring every
 * Retry-After. Then Graph's final state is compared with what the callers meant to write, and
 * every caller's last answer with the write's success.
 */
export async function runReliabilitySuite(
  profile: ReliabilityProfile,
  log: (line: string) => void = () => undefined,
): Promise<Figures> {
  const started = Date.now();
  const azurite = await startPrivateAzurite();
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
    const counters = {
      updatesWithoutEntity: 0,
      requestsSent: 0,
      interimAnswers: 0,
      interimWithoutRetryAfter: 0,
      interim5xx: 0,
      interim409: 0,
      idempotentReplays: 0,
    };
    const outcomes: { intent: Intent; final: Seen }[] = [];
    // Half the callers retry as Logic Apps does by default; half wait for every Retry-After,
    // which proves each one the facade gave was honest.
    const policies: RetryPolicy[] = [LOGIC_APPS_DEFAULT, HONOURS_EVERY_RETRY_AFTER].map((policy) =>
      scaled(policy, profile.callerTimeScale),
    );

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
            return {
              method: 'PATCH',
              path: `mobile-app-configurations/configuration-${caller}/user-status-summary`,
              body: { pendingCount: step },
              key,
              resource: `summary:${caller}`,
            };
          case 2:
            return {
              method: 'PATCH',
              path: `mobile-apps/app-${caller}/install-summary`,
              body: { installedDeviceCount: step },
              key,
              resource: `install:${caller}`,
            };
          default:
            return {
              method: 'PATCH',
              path: `device-compliance-policies/policy-${caller}/user-status-overview`,
              body: { successCount: step },
              key,
              resource: `overview:${caller}`,
            };
        }
      });

    /** One caller action: the request and its retries, on the caller's schedule, with the same key. */
    const perform = async (intent: Intent, policy: RetryPolicy): Promise<Seen> => {
      const operationStarted = performance.now();
      const seen = await callWithRetries(policy, () =>
        fetch(`${host.baseUrl}/${intent.path}`, {
          method: intent.method,
          headers: { 'content-type': 'application/json', 'idempotency-key': intent.key },
          body: JSON.stringify(intent.body),
        }),
      );
      operationLatencies.push(performance.now() - operationStarted);
      counters.requestsSent += seen.length;
      for (const answer of seen) latencies.push(answer.ms);
      const final = seen.at(-1) as Seen;
      if (final.replayed) counters.idempotentReplays += 1;
      for (const interim of seen.slice(0, -1)) {
        counters.interimAnswers += 1;
        if (!interim.retryAfter) counters.interimWithoutRetryAfter += 1;
        if (interim.status >= 500) counters.interim5xx += 1;
        if (interim.status === 409) counters.interim409 += 1;
      }
      return final;
    };

    await Promise.all(
      callerIds.map(async (caller) => {
        const policy = policies[caller % policies.length] as RetryPolicy;
        for (const intent of intentsOf(caller)) outcomes.push({ intent, final: await perform(intent, policy) });
      }),
    );

    // Compare Graph's final state with what the callers meant to write.
    const statuses = [
      ...(emulator.state.mobileAppConfigurations.get(SEEDED_IDS.mobileAppConfiguration)?.userStatuses.values() ?? []),
    ];
    const countByUpn = new Map<string, number>();
    for (const status of statuses)
      countByUpn.set(String(status.userPrincipalName), (countByUpn.get(String(status.userPrincipalName)) ?? 0) + 1);
    const finalValue = (resource: string): unknown => {
      const [kind, caller] = resource.split(':') as [string, string];
      if (kind === 'summary')
        return emulator.state.mobileAppConfigurations.get(`configuration-${caller}`)?.userStatusSummary.pendingCount;
      if (kind === 'install') return emulator.state.mobileApps.get(`app-${caller}`)?.installSummary.installedDeviceCount;
      return emulator.state.deviceCompliancePolicies.get(`policy-${caller}`)?.userStatusOverview.successCount;
    };
    const lastIntent = new Map<string, Intent>();
    for (const { intent } of outcomes) if (intent.method === 'PATCH') lastIntent.set(intent.resource, intent);
    // A write is lost when Graph does not hold it; an answer is wrong when it is not the write's success showing what was written.
    let writesLost = 0;
    let wrongFinalAnswers = 0;
    for (const { intent, final } of outcomes) {
      const [name, value] = Object.entries(intent.body)[0] as [string, unknown];
      const answered =
        final.status >= 200 && final.status < 300 ? (JSON.parse(final.text || '{}') as Record<string, unknown>) : undefined;
      if (intent.method === 'POST') {
        if (!countByUpn.has(String(intent.body.userPrincipalName))) writesLost += 1;
        if (final.status !== 201 || answered?.userPrincipalName !== intent.body.userPrincipalName) {
          wrongFinalAnswers += 1;
          log(`wrong final answer to POST ${intent.path}: ${final.status} ${final.text.slice(0, 300)}`);
        }
      } else {
        if (lastIntent.get(intent.resource) === intent && finalValue(intent.resource) !== value) writesLost += 1;
        // 204: applied, but the entity could not be read back within the budget (counted apart).
        if (final.status === 204) counters.updatesWithoutEntity += 1;
        else if (final.status !== 200 || answered?.[name] !== value) {
          wrongFinalAnswers += 1;
          log(`wrong final answer to PATCH ${intent.path}: ${final.status} ${final.text.slice(0, 300)}`);
        }
      }
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
      wrongFinalAnswers,
      updatesWithoutEntity: counters.updatesWithoutEntity,
      interimAnswers: counters.interimAnswers,
      interimWithoutRetryAfter: counters.interimWithoutRetryAfter,
      interim5xx: counters.interim5xx,
      interim409: counters.interim409,
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
