import type { RunningAzurite } from '../azurite';
import { startGraphEmulator } from '../graph-emulator/server';
import { peakOpenAfter, type TimedRequest } from '../local-host/request-times';
import { startFrontEnd } from '../reliability/front-end';

/**
 * Many requests at once to one instance, callers that wait for their answer: half reads, half
 * updates of distinct entities. An instance holds a bounded number of calls waiting for a budget
 * turn and refuses the rest at once (429 with Retry-After), so the requests it keeps open past
 * the first second stay under the instance's concurrency (infra: httpPerInstanceConcurrency,
 * 100), and waiting does not make the platform add instances that bring no Graph capacity.
 */

export interface ConnectionFigures {
  readonly concurrent: number;
  /** The most requests the instance held open at any moment from one second after the first reached it. */
  readonly heldAfter1sPeak: number;
  /** The most requests the callers still waited for at any moment from one second after they were sent. */
  readonly callersWaitingAfter1sPeak: number;
  /** The instance's HTTP concurrency in the Bicep (requests per instance before scale-out). */
  readonly cap: number;
  readonly answered429: number;
  readonly answered5xx: number;
  readonly unanswered: number;
}

const HTTP_PER_INSTANCE_CONCURRENCY = 100;
const SAMPLE_EVERY_MS = 10;

export async function runConnections(
  concurrent: number,
  azurite: RunningAzurite,
  log: (line: string) => void,
): Promise<ConnectionFigures> {
  const tag = Math.random().toString(36).slice(2, 8);
  const emulator = await startGraphEmulator();
  const updates = Math.floor(concurrent / 2);
  emulator.state.seed({
    mobileAppConfigurations: Array.from({ length: updates }, (_, index) => ({ id: `held-configuration-${index}` })),
  });
  emulator.configureThrottling({ enabled: true });
  const front = await startFrontEnd(1, {
    ...emulator.facadeEnvironment(),
    IdempotencyStorage: azurite.connectionString,
    OPERATIONS_TABLE_NAME: `heldoperations${tag}`,
    IDEMPOTENCY_TABLE_NAME: `heldkeys${tag}`,
    GRAPH_BUDGET_TABLE_NAME: `heldbudget${tag}`,
    WRITE_QUEUE_NAME: `held-writes-${tag}`,
  });
  try {
    log(`  one host up; ${concurrent} requests at once (${concurrent - updates} reads, ${updates} updates)...`);
    let open = 0;
    let callersWaitingAfter1sPeak = 0;
    const started = performance.now();
    const sampler = setInterval(() => {
      if (performance.now() - started >= 1000) callersWaitingAfter1sPeak = Math.max(callersWaitingAfter1sPeak, open);
    }, SAMPLE_EVERY_MS);
    const statuses = await Promise.all(
      Array.from({ length: concurrent }, async (_, index) => {
        const update = index < updates;
        const path = update
          ? `mobile-app-configurations/held-configuration-${index}/user-status-summary`
          : `mobile-app-configurations/held-configuration-${index % updates}/user-status-summary`;
        open += 1;
        try {
          const response = await front.fetch(front.url(path), {
            method: update ? 'PATCH' : 'GET',
            ...(update ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pendingCount: index }) } : {}),
            signal: AbortSignal.timeout(120_000),
          });
          await response.arrayBuffer();
          return response.status;
        } catch {
          return 0;
        } finally {
          open -= 1;
        }
      }),
    );
    clearInterval(sampler);
    const held = (await (await front.fetch(new URL('/admin/host/requests', front.url('')).toString())).json()) as TimedRequest[];
    return {
      concurrent,
      heldAfter1sPeak: peakOpenAfter(held, 1000),
      callersWaitingAfter1sPeak,
      cap: HTTP_PER_INSTANCE_CONCURRENCY,
      answered429: statuses.filter((status) => status === 429).length,
      answered5xx: statuses.filter((status) => status >= 500).length,
      unanswered: statuses.filter((status) => status === 0).length,
    };
  } finally {
    await front.stop();
    await emulator.close();
  }
}
