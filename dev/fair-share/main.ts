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
/** Asynchronous writes the flood hands the app, at most: more than 10 minutes of the budget. */
const ASYNC_FLOOD_WRITES = 3000;
const BUDGET_WRITES_PER_20S = 95;
const FLOODING_CALLER = '0b1e2d3c-4f5a-4b6c-8d7e-9f0a1b2c3d4e';
const QUIET_CALLER = '5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d';

interface Answered {
  readonly status: number;
  /** Until the answer; for a write accepted (202), until its operation ended. */
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

/** How callers prove who they are, and whether they ask for their writes asynchronously (as webhooks do). */
interface RunOptions {
  readonly name: string;
  readonly withTokens: boolean;
  readonly asynchronous: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

async function patch(
  front: FrontEnd,
  path: string,
  body: unknown,
  headers: Record<string, string>,
): Promise<Answered & { location: string | null }> {
  const started = performance.now();
  try {
    const response = await front.fetch(front.url(path), {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    await response.arrayBuffer();
    return { status: response.status, ms: performance.now() - started, location: response.headers.get('location') };
  } catch {
    return { status: 0, ms: performance.now() - started, location: null };
  }
}

/** A write accepted for the app to finish, followed to its end: its final status and the time from sending. */
async function followed(front: FrontEnd, sent: Answered & { location: string | null }, headers: Record<string, string>) {
  if (sent.status !== 202 || !sent.location) return sent;
  const started = performance.now() - sent.ms;
  // Bounded: at most 240 polls, half a second apart.
  for (let poll = 0; poll < 240; poll++) {
    await sleep(500);
    const response = await front.fetch(sent.location, { headers, signal: AbortSignal.timeout(30_000) }).catch(() => undefined);
    await response?.arrayBuffer();
    if (response && response.status !== 202) return { status: response.status, ms: performance.now() - started };
  }
  return { status: 202, ms: performance.now() - started };
}

async function callerToken(emulator: GraphEmulator, objectId: string): Promise<string> {
  const response = await fetch(`${emulator.controlUrl}/caller-tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ roles: ['IntuneStatus.ReadWrite'], objectId, lifetimeSeconds: 3600 }),
  });
  return ((await response.json()) as { access_token: string }).access_token;
}

async function run({ name, withTokens, asynchronous }: RunOptions, connectionString: string): Promise<RunFigures> {
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
    const asking: Record<string, string> = asynchronous ? { prefer: 'respond-async' } : {};
    const floodHeaders: Record<string, string> = withTokens
      ? { authorization: `Bearer ${await callerToken(emulator, FLOODING_CALLER)}` }
      : {};
    const quietHeaders: Record<string, string> = withTokens
      ? { authorization: `Bearer ${await callerToken(emulator, QUIET_CALLER)}` }
      : {};
    const startedMs = Date.now();
    const endMs = startedMs + DURATION_MS;
    const flood: Answered[] = [];
    // Bounded: a flooder sends at most 600 requests, and none after the run's end; asynchronous
    // writes, answered at once, stop at ASYNC_FLOOD_WRITES in all (the budget needs 10 minutes for them).
    const floodEndMs = asynchronous ? startedMs + DURATION_MS / 2 : endMs;
    const flooding = Promise.all(
      Array.from({ length: FLOODERS }, async (_, flooder) => {
        for (let sent = 0; sent < 600 && Date.now() < floodEndMs; sent++) {
          if (asynchronous && flood.length >= ASYNC_FLOOD_WRITES) return;
          const answer = await patch(
            front,
            `device-compliance-policies/policy-${(flooder * 600 + sent) % FLOOD_ENTITIES}/user-status-overview`,
            { successCount: sent },
            { ...floodHeaders, ...asking },
          );
          flood.push(answer);
          // A refused flooder comes back a quarter of a second later, whatever Retry-After said.
          if (answer.status !== 200 && answer.status !== 202) await sleep(250);
        }
      }),
    );
    // The quiet caller writes as a flow does, one write every 2 s: synchronously, the next once the
    // last is answered; asynchronously, as a webhook, each followed to its end by polling its Location.
    await sleep(QUIET_STARTS_AFTER_MS);
    const quietWrites: Promise<Answered>[] = [];
    for (let index = 0; Date.now() < endMs; index++) {
      const sentMs = Date.now();
      const sending = patch(
        front,
        `mobile-app-configurations/${SEEDED_IDS.mobileAppConfiguration}/user-status-summary`,
        { pendingCount: index },
        { ...quietHeaders, ...asking },
      ).then((sent) => followed(front, sent, quietHeaders));
      quietWrites.push(sending);
      if (!asynchronous) await sending;
      await sleep(QUIET_EVERY_MS - (Date.now() - sentMs));
    }
    const quiet = await Promise.all(quietWrites);
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
    `  quiet caller: ${quietOk.length}/${figures.quiet.length} writes applied (final answers: ${[...statuses].map(([status, count]) => `${count}x ${status}`).join(', ')})`,
  );
  console.log(
    `    ${gotPer20s.toFixed(1)} per 20 s of a fair share of ${fairShare.toFixed(1)} (${((gotPer20s / fairShare) * 100).toFixed(0)}%); time to applied p50 ${Math.round(percentile(latencies, 50) || 0)} ms, p99 ${Math.round(percentile(latencies, 99) || 0)} ms`,
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

const RUNS: readonly RunOptions[] = [
  { name: 'Waiting callers with tokens (CALLER_AUTH=entra): a budget account each', withTokens: true, asynchronous: false },
  { name: 'Waiting callers with function keys: one account, first come, first served', withTokens: false, asynchronous: false },
  { name: 'Webhooks (Prefer: respond-async) with tokens: paced per caller in the queue', withTokens: true, asynchronous: true },
  {
    name: 'Webhooks (Prefer: respond-async) with function keys: one queue, first in, first out',
    withTokens: false,
    asynchronous: true,
  },
];

async function main(): Promise<void> {
  console.log(
    `Fair share: a flood from one caller (${FLOODERS} connections) and a quiet caller writing every ${QUIET_EVERY_MS / 1000} s for ${DURATION_MS / 1000} s, through 2 hosts, four ways (about 8 minutes)...`,
  );
  const results: [RunOptions, RunFigures][] = [];
  for (const options of RUNS) {
    // Each run has a storage service of its own: what an earlier run left behind must not slow the next.
    const azurite = await startPrivateAzurite();
    try {
      results.push([options, await run(options, azurite.connectionString)]);
    } finally {
      await azurite.stop();
    }
  }
  let fair = true;
  for (const [options, figures] of results) {
    const enough = report(figures);
    if (options.withTokens) fair &&= enough;
  }
  console.log(`\nquiet caller with a token got at least half of its fair share, both ways: ${fair ? 'yes' : 'NO'}`);
  process.exitCode = fair ? 0 : 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(2);
});
