import { startPrivateAzurite } from '../azurite';
import { type GraphEmulator, startGraphEmulator } from '../graph-emulator/server';
import { SEEDED_IDS } from '../graph-emulator/state';
import { percentile } from '../reliability/figures';
import { type FrontEnd, startFrontEnd } from '../reliability/front-end';

/**
 * `npm run test:fair-share`: one caller floods while another writes now and then, at the app's
 * default write budget (95 per 20 s) and Intune's real limit in the emulator, through two hosts
 * sharing one budget. Run twice: callers with tokens (App Service Authentication in front, each
 * caller its own budget account) and callers with function keys (one account, first come, first
 * served), so that the figures show what the fair share changes. Prints the figures; exits
 * non-zero only when the harness fails or the quiet caller with a token got less than half of
 * its fair share.
 */

const DURATION_MS = 60_000;
const FLOODERS = 60;
/** The quiet caller's pace: one write every 2 s, 10 per 20 s, far below half the budget. */
const QUIET_EVERY_MS = 2_000;
const QUIET_STARTS_AFTER_MS = 5_000;
const FLOOD_ENTITIES = 500;
const BUDGET_WRITES_PER_20S = 95;
const FLOODING_CALLER = '0b1e2d3c-4f5a-4b6c-8d7e-9f0a1b2c3d4e';
const QUIET_CALLER = '5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d';

interface Answered {
  readonly status: number;
  readonly ms: number;
}

interface RunFigures {
  readonly name: string;
  readonly quiet: readonly Answered[];
  readonly flood: readonly Answered[];
  readonly graphWrites: number;
  /** From the first request until the last answer (s): the writes handed to the app are applied after the run, and not counted. */
  readonly seconds: number;
  readonly graph429: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function patch(front: FrontEnd, path: string, body: unknown, authorization: string | undefined): Promise<Answered> {
  const started = performance.now();
  try {
    const response = await front.fetch(front.url(path), {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    await response.arrayBuffer();
    return { status: response.status, ms: performance.now() - started };
  } catch {
    return { status: 0, ms: performance.now() - started };
  }
}

async function callerToken(emulator: GraphEmulator, objectId: string): Promise<string> {
  const response = await fetch(`${emulator.controlUrl}/caller-tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ roles: ['IntuneStatus.ReadWrite'], objectId, lifetimeSeconds: 3600 }),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

async function run(name: string, withTokens: boolean, connectionString: string): Promise<RunFigures> {
  const tag = Math.random().toString(36).slice(2, 8);
  const emulator = await startGraphEmulator();
  emulator.configureThrottling({ enabled: true });
  // The flood spreads over many entities: writes to one entity take turns in its line, which would hide the budget.
  emulator.state.seed({
    deviceCompliancePolicies: Array.from({ length: FLOOD_ENTITIES }, (_, index) => ({ id: `policy-${index}` })),
  });
  const front = await startFrontEnd(2, {
    ...emulator.facadeEnvironment(),
    ...(withTokens ? { ...emulator.callerAuthEnvironment(), CALLER_AUTH: 'entra' } : {}),
    IdempotencyStorage: connectionString,
    OPERATIONS_TABLE_NAME: `fairoperations${tag}`,
    IDEMPOTENCY_TABLE_NAME: `fairkeys${tag}`,
    GRAPH_BUDGET_TABLE_NAME: `fairbudget${tag}`,
    WRITE_QUEUE_NAME: `fair-writes-${tag}`,
  });
  try {
    const floodAuth = withTokens ? `Bearer ${await callerToken(emulator, FLOODING_CALLER)}` : undefined;
    const quietAuth = withTokens ? `Bearer ${await callerToken(emulator, QUIET_CALLER)}` : undefined;
    const startedMs = Date.now();
    const endMs = startedMs + DURATION_MS;
    const flood: Answered[] = [];
    const flooding = Promise.all(
      Array.from({ length: FLOODERS }, async (_, flooder) => {
        // Bounded: a flooder sends at most 600 requests, and none after the run's end.
        for (let sent = 0; sent < 600 && Date.now() < endMs; sent++) {
          const answer = await patch(
            front,
            `device-compliance-policies/policy-${(flooder * 600 + sent) % FLOOD_ENTITIES}/user-status-overview`,
            { successCount: sent },
            floodAuth,
          );
          flood.push(answer);
          // A refused flooder comes back a quarter of a second later, whatever Retry-After said.
          if (answer.status !== 200) await sleep(250);
        }
      }),
    );
    // The quiet caller writes as a flow does: the next write once the last is answered, at most one every 2 s.
    await sleep(QUIET_STARTS_AFTER_MS);
    const quiet: Answered[] = [];
    for (let index = 0; Date.now() < endMs; index++) {
      const sentMs = Date.now();
      quiet.push(
        await patch(
          front,
          `mobile-app-configurations/${SEEDED_IDS.mobileAppConfiguration}/user-status-summary`,
          { pendingCount: index },
          quietAuth,
        ),
      );
      await sleep(QUIET_EVERY_MS - (Date.now() - sentMs));
    }
    await flooding;
    return {
      name,
      quiet,
      flood,
      graphWrites: emulator.stats().applied.PATCH,
      seconds: (Date.now() - startedMs) / 1000,
      graph429: emulator.stats().throttled,
    };
  } finally {
    await front.stop();
    await emulator.close();
  }
}

function report(figures: RunFigures): boolean {
  const quietOk = figures.quiet.filter((answer) => answer.status === 200);
  const floodOk = figures.flood.filter((answer) => answer.status === 200).length;
  // What it asks for at its pace, one write every 2 s; it may ask less when its writes take longer.
  const asksPer20s = 20_000 / QUIET_EVERY_MS;
  // Max-min fairness: two callers at work, the quiet one's share is what it asks, up to half the budget.
  const fairShare = Math.min(asksPer20s, BUDGET_WRITES_PER_20S / 2);
  const gotPer20s = (quietOk.length * 20_000) / (DURATION_MS - QUIET_STARTS_AFTER_MS);
  const latencies = quietOk.map((answer) => answer.ms);
  const statuses = new Map<number, number>();
  for (const answer of figures.quiet) statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
  console.log(`\n${figures.name}`);
  console.log(
    `  quiet caller: ${quietOk.length}/${figures.quiet.length} writes answered 200 (${[...statuses].map(([status, count]) => `${count}x ${status}`).join(', ')})`,
  );
  console.log(
    `    ${gotPer20s.toFixed(1)} per 20 s of a fair share of ${fairShare.toFixed(1)} (${((gotPer20s / fairShare) * 100).toFixed(0)}%); time to 200 p50 ${Math.round(percentile(latencies, 50) || 0)} ms, p99 ${Math.round(percentile(latencies, 99) || 0)} ms`,
  );
  const floodStatuses = new Map<number, number>();
  for (const answer of figures.flood) floodStatuses.set(answer.status, (floodStatuses.get(answer.status) ?? 0) + 1);
  console.log(
    `  flood (${FLOODERS} connections): ${figures.flood.length} requests, ${floodOk} answered 200 (${[...floodStatuses].map(([status, count]) => `${count}x ${status}`).join(', ')})`,
  );
  console.log(
    `  Graph: ${figures.graphWrites} writes applied in ${figures.seconds.toFixed(0)} s (${((figures.graphWrites * 20) / figures.seconds).toFixed(1)} per 20 s; budget ${BUDGET_WRITES_PER_20S} + burst 4), ${figures.graph429} answered 429`,
  );
  return gotPer20s >= fairShare / 2;
}

async function main(): Promise<void> {
  const azurite = await startPrivateAzurite();
  try {
    console.log(
      `Fair share: a flood of ${FLOODERS} connections from one caller and a quiet caller writing every ${QUIET_EVERY_MS / 1000} s, for ${DURATION_MS / 1000} s, through 2 hosts (about ${Math.round((2 * DURATION_MS) / 60_000) + 1} minutes)...`,
    );
    const tokens = await run('Callers with tokens (CALLER_AUTH=entra): a budget account each', true, azurite.connectionString);
    const keys = await run('Callers with function keys: one account, first come, first served', false, azurite.connectionString);
    const fair = report(tokens);
    report(keys);
    console.log(`\nquiet caller with a token got at least half of its fair share: ${fair ? 'yes' : 'NO'}`);
    process.exitCode = fair ? 0 : 1;
  } finally {
    await azurite.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(2);
});
