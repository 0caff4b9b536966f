import { TableClient } from '@azure/data-tables';

import { SEEDED_IDS, SEEDED_PATHS, type Stack, withStack } from '../support/stack';

// A fair share of the Graph budget per caller (src/budget/fair-share.ts), through the local host
// with App Service Authentication in front and the shared budget in Azurite: one caller floods,
// another writes now and then to another entity, both with tokens. The rate is one write a second
// so that the flood outruns the budget many times over within the test.

const FLOOD_MS = 16_000;
const FLOODERS = 60;
const QUIET_EVERY_MS = 2_500;

const SETTINGS = {
  CALLER_AUTH: 'entra',
  GRAPH_WRITES_PER_20S: '20',
  GRAPH_WRITE_BURST: '1',
};

async function tokenFor(stack: Stack, objectId: string): Promise<string> {
  const response = await stack.control('POST', 'caller-tokens', { roles: ['IntuneStatus.ReadWrite'], objectId });
  return ((await response.json()) as { access_token: string }).access_token;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The flood: callers that send again as soon as they are answered, for FLOOD_MS; their statuses. */
async function flood(stack: Stack, token: string): Promise<number[]> {
  const statuses: number[] = [];
  const endMs = Date.now() + FLOOD_MS;
  await Promise.all(
    Array.from({ length: FLOODERS }, async (_, flooder) => {
      for (let sent = 0; Date.now() < endMs && sent < 100; sent++) {
        const answer = await stack.call('PATCH', SEEDED_PATHS.userStatusOverview, {
          body: { successCount: flooder },
          headers: { authorization: `Bearer ${token}` },
        });
        statuses.push(answer.status);
        // A refused flooder comes back after a quarter of a second: it honours no Retry-After.
        if (answer.status === 429) await sleep(250);
      }
    }),
  );
  return statuses;
}

/** The quiet caller: one write every QUIET_EVERY_MS, starting once the flood holds the budget; its statuses. */
async function quiet(stack: Stack, token: string): Promise<number[]> {
  await sleep(3_000);
  const tries = Math.floor((FLOOD_MS - 3_000) / QUIET_EVERY_MS);
  const answers = await Promise.all(
    Array.from({ length: tries }, async (_, index) => {
      await sleep(index * QUIET_EVERY_MS);
      return stack.call('PATCH', SEEDED_PATHS.userStatusSummary, {
        body: { pendingCount: index },
        headers: { authorization: `Bearer ${token}` },
      });
    }),
  );
  return answers.map((answer) => answer.status);
}

const FLOODING = '0b1e2d3c-4f5a-4b6c-8d7e-9f0a1b2c3d4e';
const QUIET = '5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d';

test('a flood from one caller leaves a quiet caller its share: every quiet write is answered, and the budget still holds', async () => {
  await withStack({ appServiceAuth: true, writeQueue: 'none', facadeEnvironment: SETTINGS }, async (stack) => {
    const floodToken = await tokenFor(stack, FLOODING);
    const [flooded, quietStatuses] = await Promise.all([flood(stack, floodToken), quiet(stack, await tokenFor(stack, QUIET))]);

    // The quiet caller asks for far less than half the rate, its fair share: it gets all of it.
    expect(quietStatuses).toEqual(quietStatuses.map(() => 200));
    expect(quietStatuses.length).toBeGreaterThanOrEqual(5);
    // The flood was refused most of the time, with the budget's problem, and still had every turn the quiet caller left.
    const floodWrites = flooded.filter((status) => status === 200).length;
    expect(flooded.filter((status) => status === 429).length).toBeGreaterThan(FLOODERS);
    expect(flooded.every((status) => status === 200 || status === 429)).toBe(true);
    expect(floodWrites).toBeGreaterThanOrEqual(8);

    // Graph saw no more than the budget allows: one write a second after a burst of one.
    const patches = stack.emulator.requests.filter((request) => request.method === 'PATCH');
    expect(patches.length).toBe(floodWrites + quietStatuses.length);
    expect(patches.length).toBeLessThanOrEqual(Math.ceil((FLOOD_MS + 6_000) / 1000) + 1);
  });
});

test('a caller refused for its share is told so, and when to come back', async () => {
  await withStack({ appServiceAuth: true, writeQueue: 'none', facadeEnvironment: SETTINGS }, async (stack) => {
    const token = await tokenFor(stack, FLOODING);
    // Alone, a caller may be promised turns 5 s ahead: at one a second, a dozen at once overrun it.
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, index) =>
        stack.call('PATCH', SEEDED_PATHS.userStatusOverview, {
          body: { successCount: index },
          headers: { authorization: `Bearer ${token}` },
        }),
      ),
    );
    const refused = answers.filter((answer) => answer.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    expect(answers.filter((answer) => answer.status === 200).length).toBeGreaterThanOrEqual(5);
    for (const answer of refused) {
      expect(answer.json.type).toBe('urn:intune-status-facade:problem:request-budget-exhausted');
      expect(answer.json.detail).toMatch(/already holds its share/);
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
  });
});

test('a write the app finishes from its queue is counted against the caller who asked for it', async () => {
  const budgetTable = `fairbudget${Date.now().toString(36)}`;
  await withStack(
    { appServiceAuth: true, facadeEnvironment: { CALLER_AUTH: 'entra', GRAPH_BUDGET_TABLE_NAME: budgetTable } },
    async (stack) => {
      const accepted = await stack.call('PATCH', SEEDED_PATHS.userStatusOverview, {
        body: { successCount: 7 },
        headers: { authorization: `Bearer ${await tokenFor(stack, QUIET)}`, prefer: 'respond-async' },
      });
      expect(accepted.status).toBe(202);
      const location = new URL(accepted.headers.get('location') ?? '').pathname.replace(/^\/api\//, '');
      let status = 202;
      for (let poll = 0; poll < 100 && status === 202; poll++) {
        await sleep(200);
        status = (await stack.call('GET', location, { headers: { authorization: `Bearer ${await tokenFor(stack, QUIET)}` } }))
          .status;
      }
      expect(status).toBe(200);
      const table = TableClient.fromConnectionString(process.env.FACADE_TEST_STORAGE ?? '', budgetTable, {
        allowInsecureConnection: true,
      });
      const row = await table.getEntity<{ accounts: string }>('graph-budget', 'write');
      expect(Object.keys(JSON.parse(row.accounts) as object)).toEqual([QUIET]);
    },
  );
});

test("a quiet caller's asynchronous write is not queued behind another caller's flood of them", async () => {
  await withStack({ appServiceAuth: true, facadeEnvironment: SETTINGS }, async (stack) => {
    const flood = await tokenFor(stack, FLOODING);
    // 30 writes at one a second: half a minute of the budget, handed to the app at once.
    const floodIds = Array.from({ length: 30 }, (_, index) => `fair-policy-${index}`);
    await stack.control('POST', 'seed', { deviceCompliancePolicies: floodIds.map((id) => ({ id })) });
    const accepted = await Promise.all(
      floodIds.map((id, index) =>
        stack.call('PATCH', `device-compliance-policies/${id}/user-status-overview`, {
          body: { successCount: index },
          headers: { authorization: `Bearer ${flood}`, prefer: 'respond-async' },
        }),
      ),
    );
    expect(accepted.map((answer) => answer.status)).toEqual(floodIds.map(() => 202));

    const quietToken = await tokenFor(stack, QUIET);
    const quietWrite = await stack.call('PATCH', SEEDED_PATHS.userStatusSummary, {
      body: { pendingCount: 42 },
      headers: { authorization: `Bearer ${quietToken}`, prefer: 'respond-async' },
    });
    expect(quietWrite.status).toBe(202);
    const location = new URL(quietWrite.headers.get('location') ?? '').pathname.replace(/^\/api\//, '');
    let status = 202;
    for (let poll = 0; poll < 300 && status === 202; poll++) {
      await sleep(200);
      status = (await stack.call('GET', location, { headers: { authorization: `Bearer ${quietToken}` } })).status;
    }
    expect(status).toBe(200);
    // When the quiet write was applied, the flood's writes were still coming up one a second, at its pace.
    const floodApplied = stack.emulator.requests.filter(
      (request) => request.method === 'PATCH' && request.path.includes('fair-policy-') && request.applied,
    ).length;
    // Unpaced, the flood's messages all came up first: about 9 of them were applied by then.
    expect(floodApplied).toBeLessThan(6);
  });
});

test('a caller with one call at a time is paced to its share, not refused, while another caller is at work', async () => {
  await withStack({ appServiceAuth: true, writeQueue: 'none', facadeEnvironment: SETTINGS }, async (stack) => {
    // Another caller at work: the sequential caller's share is then half the rate, with a second's lead.
    const other = await stack.call('PATCH', SEEDED_PATHS.userStatusSummary, {
      body: { pendingCount: 1 },
      headers: { authorization: `Bearer ${await tokenFor(stack, QUIET)}` },
    });
    expect(other.status).toBe(200);
    const token = await tokenFor(stack, FLOODING);
    const statuses: number[] = [];
    // Each write waits for the answer to the one before: eight in a row, at a rate of one a second.
    for (let index = 0; index < 8; index++) {
      const answer = await stack.call('PATCH', SEEDED_PATHS.userStatusOverview, {
        body: { successCount: index },
        headers: { authorization: `Bearer ${token}` },
      });
      statuses.push(answer.status);
    }
    expect(statuses).toEqual(Array.from({ length: 8 }, () => 200));
    expect(
      stack.emulator.state.deviceCompliancePolicies.get(SEEDED_IDS.deviceCompliancePolicy)?.userStatusOverview.successCount,
    ).toBe(7);
  });
});
