import type { RunningAzurite } from '../azurite';
import { type GraphEmulator, startGraphEmulator } from '../graph-emulator/server';
import { SEEDED_IDS } from '../graph-emulator/state';
import { percentile } from '../reliability/figures';
import { startFrontEnd } from '../reliability/front-end';

/**
 * A burst of asynchronous writes, sent as webhooks send them (once, never retried; a 202 is
 * delivered), spread over facade hosts that share one write budget, against Graph throttling at
 * Intune's real limit. Measures how fast each write is accepted, how long the app takes to apply
 * them all, and whether Graph ends holding exactly what was sent.
 */

export interface BurstOptions {
  readonly writes: number;
  readonly hosts: number;
  /** The writes are sent evenly over this time. */
  readonly sendSeconds: number;
  /** The run stops waiting for the writes to be applied after this long. */
  readonly applyTimeoutSeconds: number;
}

export interface BurstFigures {
  readonly writes: number;
  readonly hosts: number;
  readonly sendSeconds: number;
  readonly acceptP50Ms: number;
  readonly acceptP99Ms: number;
  /** From the first write sent until Graph held every one (null when the time-out came first). */
  readonly allAppliedSeconds: number | null;
  /** What Intune's limit allows at the least: writes / 95 × 20 s (the app's default budget). */
  readonly intuneLimitSeconds: number;
  readonly graph429: number;
  /** Writes not answered 202 (a webhook that never retries loses them), or not in Graph at the end. */
  readonly lost: number;
  readonly duplicates: number;
  /** Writes whose operation did not end in the write's success (201 with the status, 200 with the entity). */
  readonly wrongFinal: number;
  /** Answers other than 202 (each also counted lost). */
  readonly refused: number;
}

/** Distinct entities the updates spread over: a few writes each, so that entity lines are exercised but short. */
const ENTITIES = 100;
/** The app's default write budget per 20 s (config.ts GRAPH_WRITES_PER_20S). */
const BUDGET_WRITES_PER_20S = 95;

interface BurstWrite {
  readonly method: 'POST' | 'PATCH';
  readonly path: string;
  readonly body: Record<string, unknown>;
  /** Where Graph's state shows it: a created user principal name, or an entity's value. */
  readonly check: { readonly upn: string } | { readonly entity: string; readonly value: number };
}

/** The i-th write: one create in five, the rest updates over the entities, each with a value unique to it. */
function burstWrite(index: number, tag: string): BurstWrite {
  if (index % 5 === 0) {
    const upn = `burst-${tag}-${index}@contoso.example`;
    return {
      method: 'POST',
      path: `mobile-app-configurations/${SEEDED_IDS.mobileAppConfiguration}/user-statuses`,
      body: { userPrincipalName: upn, status: 'compliant', devicesCount: 1 },
      check: { upn },
    };
  }
  const entity = index % ENTITIES;
  // The two summaries an application may update (Graph takes the install summary's update only from users).
  switch (index % 2) {
    case 0:
      return {
        method: 'PATCH',
        path: `mobile-app-configurations/burst-configuration-${entity}/user-status-summary`,
        body: { pendingCount: index },
        check: { entity: `summary:${entity}`, value: index },
      };
    default:
      return {
        method: 'PATCH',
        path: `device-compliance-policies/burst-policy-${entity}/user-status-overview`,
        body: { successCount: index },
        check: { entity: `overview:${entity}`, value: index },
      };
  }
}

/** Graph's value of an entity the burst updates. */
function valueIn(emulator: GraphEmulator, entity: string): unknown {
  const [kind, index] = entity.split(':') as [string, string];
  const { state } = emulator;
  if (kind === 'summary')
    return state.mobileAppConfigurations.get(`burst-configuration-${index}`)?.userStatusSummary.pendingCount;
  return state.deviceCompliancePolicies.get(`burst-policy-${index}`)?.userStatusOverview.successCount;
}

interface Sent {
  readonly write: BurstWrite;
  readonly status: number;
  readonly location: string | null;
  readonly ms: number;
}

export async function runBurst(
  options: BurstOptions,
  azurite: RunningAzurite,
  log: (line: string) => void,
): Promise<BurstFigures> {
  const tag = Math.random().toString(36).slice(2, 8);
  const emulator = await startGraphEmulator();
  const ids = Array.from({ length: ENTITIES }, (_, index) => index);
  emulator.state.seed({
    mobileAppConfigurations: ids.map((index) => ({ id: `burst-configuration-${index}` })),
    mobileApps: ids.map((index) => ({ id: `burst-app-${index}` })),
    deviceCompliancePolicies: ids.map((index) => ({ id: `burst-policy-${index}` })),
  });
  // Intune's real limit: 100 writes per 20 s per app, sliding. The hosts run the app's defaults.
  emulator.configureThrottling({ enabled: true });
  const front = await startFrontEnd(options.hosts, {
    ...emulator.facadeEnvironment(),
    IdempotencyStorage: azurite.connectionString,
    OPERATIONS_TABLE_NAME: `burstoperations${tag}`,
    IDEMPOTENCY_TABLE_NAME: `burstkeys${tag}`,
    GRAPH_BUDGET_TABLE_NAME: `burstbudget${tag}`,
    WRITE_QUEUE_NAME: `burst-writes-${tag}`,
  });
  try {
    const writes = Array.from({ length: options.writes }, (_, index) => burstWrite(index, tag));
    const gapMs = (options.sendSeconds * 1000) / options.writes;
    log(`  ${options.hosts} hosts up; sending ${options.writes} asynchronous writes over ${options.sendSeconds} s...`);
    const started = performance.now();
    const refusals = new Map<string, number>();
    async function send(write: BurstWrite, index: number): Promise<Sent> {
      const sentAt = performance.now();
      // Half ask in the URL (a webhook that sets only a URL), half with Prefer: respond-async.
      const url = front.url(index % 2 === 0 ? `${write.path}?respond=async` : write.path);
      try {
        const response = await front.fetch(url, {
          method: write.method,
          headers: { 'content-type': 'application/json', ...(index % 2 === 0 ? {} : { prefer: 'respond-async' }) },
          body: JSON.stringify(write.body),
          signal: AbortSignal.timeout(60_000),
        });
        const text = await response.text();
        const refusal = `${response.status} ${text.slice(0, 240)}`;
        if (response.status !== 202) refusals.set(refusal, (refusals.get(refusal) ?? 0) + 1);
        return { write, status: response.status, location: response.headers.get('location'), ms: performance.now() - sentAt };
      } catch {
        return { write, status: 0, location: null, ms: performance.now() - sentAt };
      }
    }
    // A source sends an entity's next update once the last one is delivered, so that their order is defined: the order they were accepted.
    const delivered = new Map<string, Promise<unknown>>();
    const sent = await Promise.all(
      writes.map(async (write, index): Promise<Sent> => {
        const entity = 'entity' in write.check ? write.check.entity : undefined;
        const before = entity ? delivered.get(entity) : undefined;
        let settle: (value?: unknown) => void = () => undefined;
        if (entity) delivered.set(entity, new Promise((resolve) => (settle = resolve)));
        await Promise.all([new Promise((resolve) => setTimeout(resolve, index * gapMs)), before]);
        try {
          return await send(write, index);
        } finally {
          settle();
        }
      }),
    );
    const sentSeconds = (performance.now() - started) / 1000;
    for (const [refusal, count] of refusals) log(`  refused ${count}x: ${refusal}`);
    const accepted = sent.filter((one) => one.status === 202);
    log(`  sent in ${sentSeconds.toFixed(1)} s; ${accepted.length} accepted; waiting for Graph to hold them all...`);

    const lastValue = new Map<string, number>();
    for (const { write } of accepted) if ('entity' in write.check) lastValue.set(write.check.entity, write.check.value);
    const createdUpns = () => {
      const counts = new Map<string, number>();
      for (const status of emulator.state.mobileAppConfigurations.get(SEEDED_IDS.mobileAppConfiguration)?.userStatuses.values() ??
        [])
        counts.set(String(status.userPrincipalName), (counts.get(String(status.userPrincipalName)) ?? 0) + 1);
      return counts;
    };
    const missing = (): number => {
      const created = createdUpns();
      let count = 0;
      for (const { write } of accepted) {
        if ('upn' in write.check) count += created.has(write.check.upn) ? 0 : 1;
        else if (
          lastValue.get(write.check.entity) === write.check.value &&
          valueIn(emulator, write.check.entity) !== write.check.value
        )
          count += 1;
      }
      return count;
    };
    // Every accepted write applied: every create made, every entity holding its last value, and Graph's applied count reached.
    const applied = () => {
      const stats = emulator.stats();
      return missing() === 0 && stats.applied.POST + stats.applied.PATCH >= accepted.length;
    };
    const applyDeadline = started + options.applyTimeoutSeconds * 1000;
    let allAppliedSeconds: number | null = null;
    let checks = 0;
    while (performance.now() < applyDeadline) {
      if (applied()) {
        allAppliedSeconds = Math.round((performance.now() - started) / 100) / 10;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
      if (++checks % 60 === 0) {
        const stats = emulator.stats();
        log(
          `  after ${Math.round((performance.now() - started) / 1000)} s: ${stats.applied.POST + stats.applied.PATCH} applied, ${missing()} not yet in Graph, ${stats.throttled} throttled`,
        );
      }
    }
    log(
      `  ${allAppliedSeconds === null ? 'not all applied before the time-out' : `all applied after ${allAppliedSeconds} s`}; reading every operation's final answer...`,
    );

    const wrongFinal = await countWrongFinals(accepted, (url) => front.fetch(url));
    const duplicates = [...createdUpns().values()].reduce((sum, count) => sum + Math.max(0, count - 1), 0);
    const refused = sent.length - accepted.length;
    const acceptMs = sent.map((one) => one.ms);
    return {
      writes: options.writes,
      hosts: options.hosts,
      sendSeconds: Math.round(sentSeconds * 10) / 10,
      acceptP50Ms: Math.round(percentile(acceptMs, 50)),
      acceptP99Ms: Math.round(percentile(acceptMs, 99)),
      allAppliedSeconds,
      intuneLimitSeconds: Math.round((options.writes / BUDGET_WRITES_PER_20S) * 20 * 10) / 10,
      graph429: emulator.stats().throttled,
      lost: refused + missing(),
      duplicates,
      wrongFinal,
      refused,
    };
  } finally {
    await front.stop();
    await emulator.close();
  }
}

/** Reads each operation's final answer from its Location, a few at a time, and counts those that are not the write's success. */
async function countWrongFinals(accepted: readonly Sent[], fetchVia: (url: string) => Promise<Response>): Promise<number> {
  let wrong = 0;
  const queue = [...accepted];
  const reader = async () => {
    for (let one = queue.shift(); one; one = queue.shift()) {
      const response = await fetchVia(one.location ?? '').catch(() => undefined);
      const body = response ? ((await response.json().catch(() => undefined)) as Record<string, unknown> | undefined) : undefined;
      const [name, value] = Object.entries(one.write.body)[0] as [string, unknown];
      const expected = one.write.method === 'POST' ? 201 : 200;
      if (response?.status !== expected || body?.[name] !== value) wrong += 1;
    }
  };
  await Promise.all(Array.from({ length: 16 }, reader));
  return wrong;
}
