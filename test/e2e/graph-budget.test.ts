import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';

import { TableClient } from '@azure/data-tables';

import { startGraphEmulator } from '../../dev/graph-emulator/server';
import { startHostProcess } from '../../dev/host-process';
import type { RateShape } from '../../src/budget/gcra';
import { type BudgetLog, TableBudget } from '../../src/budget/table-budget';
import { SEEDED_PATHS, withoutQueueService, withStack } from '../support/stack';

// The shared budget against a real table service (the run's Azurite): turns taken by several
// instances at once, ETag races, the pause after Graph's 429 seen by every instance, and the
// fallback to a local share when the store is unreachable or too slow.

const SHAPES: Record<'read' | 'write', RateShape> = {
  write: { requestsPer20Seconds: 100, burst: 5 },
  read: { requestsPer20Seconds: 800, burst: 40 },
};

function storage(): string {
  const connectionString = process.env.FACADE_TEST_STORAGE;
  if (!connectionString) throw new Error('no Azurite for this run');
  return connectionString;
}

/** A table client that counts the conditional writes and the ones another instance won. */
function countingTable(tableName: string, connectionString = storage()) {
  const table = TableClient.fromConnectionString(connectionString, tableName, {
    allowInsecureConnection: true,
    retryOptions: { maxRetries: 0 },
  });
  const counts = { updates: 0, lostRaces: 0 };
  const update = table.updateEntity.bind(table);
  table.updateEntity = async (...args: Parameters<typeof table.updateEntity>) => {
    counts.updates++;
    try {
      return await update(...args);
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 412) counts.lostRaces++;
      throw error;
    }
  };
  return { table, counts };
}

function budgetOn(table: TableClient, log: BudgetLog = () => undefined): TableBudget {
  return new TableBudget({ table, description: 'test table', shapes: SHAPES, instanceCap: 40, log });
}

const tableName = () => `budget${randomBytes(6).toString('hex')}`;

test('three instances taking turns at once share one budget: every turn is distinct and no 20 s holds more than rate + burst', async () => {
  const name = tableName();
  const instances = [countingTable(name), countingTable(name), countingTable(name)];
  const logs: string[] = [];
  const budgets = instances.map(({ table }) => budgetOn(table, (_level, event) => logs.push(event)));
  const startedMs = Date.now();
  const turns = await Promise.all(
    budgets.flatMap((budget) =>
      Array.from({ length: 60 }, async () => {
        const turn = await budget.reserve('write', Date.now() + 600_000);
        if (!turn.granted) throw new Error('refused with a wait of ten minutes allowed');
        return turn.atMs;
      }),
    ),
  );
  // 180 turns at 100 per 20 s with a burst of 5: the last is about 35 s after the first.
  const sorted = turns.sort((a, b) => a - b);
  const mostInAWindow = Math.max(...sorted.map((start) => sorted.filter((at) => at >= start && at < start + 20_000).length));
  expect(mostInAWindow).toBeLessThanOrEqual(105);
  expect((sorted.at(-1) as number) - startedMs).toBeGreaterThan(30_000);
  // Instances raced for the row and lost: each loss was resolved by reading the row again, never by sharing a turn.
  const lostRaces = instances.reduce((sum, { counts }) => sum + counts.lostRaces, 0);
  expect(lostRaces).toBeGreaterThan(0);
  // Never more than the burst due at one instant, and never a fall back to a local share.
  for (let i = 5; i < sorted.length; i++) expect((sorted[i] as number) - (sorted[i - 5] as number)).toBeGreaterThan(0);
  expect(logs).toEqual([]);
});

test("Graph's 429 on one instance pauses writes on every instance until its Retry-After", async () => {
  const name = tableName();
  const [first, second] = [budgetOn(countingTable(name).table), budgetOn(countingTable(name).table)];
  expect(await first.reserve('write', Date.now() + 2000)).toMatchObject({ granted: true });
  const pauseEndsMs = Date.now() + 3000;
  await first.pause('write', pauseEndsMs);
  const turn = await second.reserve('write', Date.now() + 10_000);
  expect(turn.granted && turn.atMs).toBeGreaterThanOrEqual(pauseEndsMs);
  // Reads have their own budget and are not paused by a write's 429.
  const read = await second.reserve('read', Date.now() + 2000);
  expect(read.granted && read.atMs).toBeLessThanOrEqual(Date.now());
  // A caller who cannot wait that long is told when to come back, and nothing is taken.
  const refused = await second.reserve('write', Date.now() + 100);
  expect(refused.granted).toBe(false);
});

test('a store that is slow to record a turn never grants one later than the caller can start it', async () => {
  // Every store operation takes 300 ms: the turn is computed after that wait, against the absolute instant.
  const table = countingTable(tableName()).table;
  for (const operation of ['getEntity', 'createEntity', 'updateEntity', 'createTable'] as const) {
    const original = (table[operation] as (...args: unknown[]) => Promise<unknown>).bind(table);
    (table as unknown as Record<string, unknown>)[operation] = async (...args: unknown[]) => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      return original(...args);
    };
  }
  const budget = new TableBudget({
    table,
    description: 'slow table',
    shapes: { write: { requestsPer20Seconds: 100, burst: 1 }, read: SHAPES.read },
    instanceCap: 40,
    log: () => undefined,
  });
  const latestAtMs = Date.now() + 500;
  const turns = await Promise.all(Array.from({ length: 8 }, () => budget.reserve('write', latestAtMs)));
  for (const turn of turns) if (turn.granted) expect(turn.atMs).toBeLessThanOrEqual(latestAtMs);
  expect(turns.some((turn) => !turn.granted)).toBe(true);
});

describe('when the store cannot be reached, an instance keeps to a local share and says so', () => {
  let silent: Server;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    // A table service that accepts connections and never answers: the slow store.
    silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  const accountKey = Buffer.from('not-a-real-key').toString('base64');
  const unreachable = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${accountKey};TableEndpoint=http://127.0.0.1:1/devstoreaccount1;`;
  const slow = () =>
    `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${accountKey};TableEndpoint=http://127.0.0.1:${(silent.address() as { port: number }).port}/devstoreaccount1;`;

  test.each([
    ['unreachable', () => unreachable],
    ['too slow', slow],
  ])(
    '%s: the first turn comes from the local share at once, the next is a full share-interval away',
    async (_case, connection) => {
      const logs: unknown[] = [];
      const budget = budgetOn(countingTable(tableName(), connection()).table, (level, event, attributes) =>
        logs.push({ level, event, ...attributes }),
      );
      const startedMs = Date.now();
      const first = await budget.reserve('write', Date.now() + 3000);
      expect(first.granted && first.atMs).toBeLessThanOrEqual(Date.now());
      expect(Date.now() - startedMs).toBeLessThan(2500);
      // The share is (100 + 5) / 40 - 1 = 1.625 writes per 20 s, one at a time: the next turn is 12 s away.
      const next = await budget.reserve('write', Date.now() + 1000);
      expect(next.granted).toBe(false);
      expect(!next.granted && next.retryAfterMs).toBeGreaterThan(7000);
      expect(logs).toHaveLength(1);
      expect(logs[0]).toMatchObject({
        level: 'warn',
        event: 'facade.budget.fallback',
        detail: expect.stringContaining('1.63 writes'),
      });
    },
  );
});

test('through two hosts on one emulator: a 429 answered to one host holds the other back', async () => {
  const emulator = await startGraphEmulator();
  // Tables only: the two updates of one entity are answered in their calls, and what holds the
  // second back is the shared budget (with a queue service, it would wait its turn behind the first: 202).
  const shared = {
    ...emulator.facadeEnvironment(),
    IdempotencyStorage: withoutQueueService(storage()),
    IDEMPOTENCY_TABLE_NAME: `keys${randomBytes(6).toString('hex')}`,
    GRAPH_BUDGET_TABLE_NAME: tableName(),
    GRAPH_TIME_BUDGET_SECONDS: '20',
  };
  const hosts = await Promise.all([startHostProcess(shared), startHostProcess(shared)]);
  try {
    const [one, two] = hosts;
    const patch = (host: typeof one) =>
      fetch(`${host.baseUrl}/${SEEDED_PATHS.userStatusOverview}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', prefer: 'return=minimal' },
        body: JSON.stringify({ pendingCount: 1 }),
      });
    await fetch(`${emulator.controlUrl}/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'PATCH', status: 429, retryAfter: '4' }),
    });
    const startedMs = Date.now();
    // Host one meets the 429 and waits for its turn after the pause; host two's write, sent a moment later, waits too.
    const first = patch(one);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const secondStartedMs = Date.now();
    const second = await patch(two);
    expect(second.status).toBe(204);
    expect(Date.now() - secondStartedMs).toBeGreaterThan(2500);
    expect((await first).status).toBe(204);
    expect(Date.now() - startedMs).toBeGreaterThan(3500);
  } finally {
    await Promise.all(hosts.map((host) => host.stop()));
    await emulator.close();
  }
});

test('an instance holds a bounded number of calls waiting for their turn: beyond it, 429 at once with when to come back', async () => {
  // One write every 4 s after a burst of one, and room for two waiting writes: of six at once,
  // one goes now, two wait their turn, three are refused before taking a turn.
  await withStack(
    {
      writeQueue: 'none',
      facadeEnvironment: {
        GRAPH_BUDGET: 'per-instance',
        GRAPH_WRITES_PER_20S: '5',
        GRAPH_WRITE_BURST: '1',
        GRAPH_MAX_WAITING_PER_INSTANCE: '2',
      },
    },
    async (stack) => {
      const answers = await Promise.all(
        Array.from({ length: 6 }, (_, index) =>
          stack.call('PATCH', SEEDED_PATHS.userStatusOverview, { body: { successCount: index } }),
        ),
      );
      const refused = answers.filter((answer) => answer.status === 429);
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 200, 200, 429, 429, 429]);
      for (const answer of refused) {
        expect(answer.json.type).toBe('urn:intune-status-facade:problem:request-budget-exhausted');
        // The last waiting write is due 8 s after the first: nobody is told to come back sooner than that.
        expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(7);
      }
      expect(stack.emulator.requests.filter((request) => request.method === 'PATCH')).toHaveLength(3);
    },
  );
});

test('an instance answers a bounded number of calls for callers that wait: beyond it, 429 at once, before any store or Graph call; writes asked for asynchronously are still accepted', async () => {
  await withStack({ facadeEnvironment: { MAX_CALLS_PER_INSTANCE: '2' } }, async (stack) => {
    const ids = ['busy-0', 'busy-1', 'busy-2', 'busy-3'];
    await stack.control('POST', 'seed', { deviceCompliancePolicies: ids.map((id) => ({ id })) });
    // Graph holds each update 2 s: the first two calls hold the instance's two places meanwhile.
    await stack.control('POST', 'faults', { method: 'PATCH', delayMs: 2000, times: 4 });
    const overview = (id: string) => `device-compliance-policies/${id}/user-status-overview`;
    const holding = ids.slice(0, 2).map((id) => stack.call('PATCH', overview(id), { body: { successCount: 1 } }));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const started = Date.now();
    const [refusedWrite, refusedRead, asked] = await Promise.all([
      stack.call('PATCH', overview('busy-2'), { body: { successCount: 2 } }),
      stack.call('GET', overview('busy-3')),
      stack.call('PATCH', overview('busy-3'), { body: { successCount: 3 }, headers: { prefer: 'respond-async' } }),
    ]);
    expect(Date.now() - started).toBeLessThan(1500);
    for (const refused of [refusedWrite, refusedRead]) {
      expect(refused.status).toBe(429);
      expect(refused.json.type).toBe('urn:intune-status-facade:problem:instance-busy');
      expect(refused.headers.get('retry-after')).toBe('1');
    }
    expect(asked.status).toBe(202);
    expect((await Promise.all(holding)).map((answer) => answer.status)).toEqual([200, 200]);
    // Nothing of the refused calls reached Graph.
    expect(stack.emulator.requests.filter((request) => request.path.includes('busy-2'))).toHaveLength(0);
    // Places are given back: the instance answers again.
    expect((await stack.call('GET', overview('busy-2'))).status).toBe(200);
  });
});
