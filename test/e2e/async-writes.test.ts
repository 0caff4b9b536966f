import { setTimeout as sleep } from 'node:timers/promises';

import { callWithRetries, LOGIC_APPS_DEFAULT, POWER_AUTOMATE_LOW, scaled } from '../../dev/reliability/callers';
import { SEEDED_PATHS, type Stack, startStack, withStack } from '../support/stack';

// Writes the app finishes itself: asked for with `Prefer: respond-async` or `?respond=async`,
// answered 202 with the operation's Location, finished by the queue-triggered worker on the run's
// Azurite queue, and polled to their final answer, as a Logic App polls. A short time budget and
// in-doubt window keep the cases to seconds.
const BUDGET_S = 4;
// The window outlasts the slowest fault below (applied 5.5 s after it was sent), as the real one outlasts Graph.
const WINDOW_S = 7;
/** A poll loop ends after this, whatever it saw. */
const POLL_LIMIT_MS = 60_000;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    facadeEnvironment: { GRAPH_TIME_BUDGET_SECONDS: String(BUDGET_S), GRAPH_IN_DOUBT_WINDOW_SECONDS: String(WINDOW_S) },
  });
});
afterAll(() => stack.stop());

let nextParent = 0;
/** A configuration of the test's own, so that its faults (matched by path) touch no other test. */
async function ownConfiguration(): Promise<string> {
  const id = `async-${nextParent++}-end`;
  await stack.control('POST', 'seed', { mobileAppConfigurations: [{ id }] });
  return id;
}

const statusesOf = (configurationId: string) => [
  ...(stack.emulator.state.mobileAppConfigurations.get(configurationId)?.userStatuses.values() ?? []),
];
const postsTo = (configurationId: string) =>
  stack.emulator.requests.filter((request) => request.method === 'POST' && request.path.includes(configurationId));

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

async function send(method: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${stack.baseUrl}/${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** Polls a Location as Logic Apps does: while 202, again after Retry-After; the first other answer is the result. */
async function pollToFinal(location: string): Promise<{ final: Answer; polls: Answer[] }> {
  const polls: Answer[] = [];
  const until = Date.now() + POLL_LIMIT_MS;
  for (;;) {
    const response = await fetch(location);
    const answer = { status: response.status, headers: response.headers, text: await response.text() };
    if (answer.status !== 202 || Date.now() > until) return { final: answer, polls };
    polls.push(answer);
    const retryAfterS = Number(answer.headers.get('retry-after'));
    expect(retryAfterS).toBeGreaterThanOrEqual(1);
    await sleep(Math.min(retryAfterS, 2) * 1000);
  }
}

function expectAccepted(answer: Answer): string {
  expect({ status: answer.status, text: answer.text.slice(0, 300) }).toMatchObject({ status: 202 });
  expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  const location = answer.headers.get('location') as string;
  expect(location).toMatch(new RegExp(`^${stack.baseUrl}/operations/[A-Za-z0-9_-]{22}$`));
  expect(JSON.parse(answer.text)).toMatchObject({ state: expect.any(String), acceptedAt: expect.any(String) });
  return location;
}

describe('a write asked for asynchronously', () => {
  test('Prefer: respond-async on a create: 202 at once, and the Location ends with 201 and the created status', async () => {
    const configurationId = await ownConfiguration();
    const body = { userPrincipalName: 'async-create@contoso.example', status: 'compliant', devicesCount: 3 };
    const accepted = await send('POST', `mobile-app-configurations/${configurationId}/user-statuses`, body, {
      prefer: 'respond-async',
    });
    const location = expectAccepted(accepted);
    expect(accepted.headers.get('preference-applied')).toBe('respond-async');

    const { final } = await pollToFinal(location);
    expect(final.status).toBe(201);
    const created = JSON.parse(final.text) as { id: string };
    expect(created).toMatchObject(body);
    expect(final.headers.get('location')).toBe(
      `${stack.baseUrl}/mobile-app-configurations/${configurationId}/user-statuses/${created.id}`,
    );
    expect(statusesOf(configurationId)).toHaveLength(1);
    // The final answer stays: polling again gives it again.
    expect((await pollToFinal(location)).final.text).toBe(final.text);
  });

  test('?respond=async on an update, for callers that set only a URL: 202, then 200 with the entity', async () => {
    const configurationId = await ownConfiguration();
    const accepted = await send('PATCH', `mobile-app-configurations/${configurationId}/user-status-summary?respond=async`, {
      pendingCount: 7,
    });
    const location = expectAccepted(accepted);
    expect(accepted.headers.get('preference-applied')).toBeNull();
    const { final } = await pollToFinal(location);
    expect(final.status).toBe(200);
    expect(JSON.parse(final.text)).toMatchObject({ pendingCount: 7 });
  });

  test('an invalid write is refused at once (422) and nothing is accepted', async () => {
    const configurationId = await ownConfiguration();
    const answer = await send(
      'POST',
      `mobile-app-configurations/${configurationId}/user-statuses`,
      { status: 'compliant' },
      {
        prefer: 'respond-async',
      },
    );
    expect(answer.status).toBe(422);
    expect(answer.headers.get('location')).toBeNull();
    await sleep(1500);
    expect(postsTo(configurationId)).toHaveLength(0);
  });

  test('respond=async on a read, or with another value, is a 422 naming the parameter', async () => {
    const configurationId = await ownConfiguration();
    const read = await fetch(`${stack.baseUrl}/mobile-app-configurations/${configurationId}/user-status-summary?respond=async`);
    expect(read.status).toBe(422);
    const other = await send('PATCH', `mobile-app-configurations/${configurationId}/user-status-summary?respond=later`, {
      pendingCount: 1,
    });
    expect(other.status).toBe(422);
    expect(JSON.parse(other.text)).toMatchObject({ errors: [{ parameter: 'respond' }] });
  });

  test('with an Idempotency-Key, every retry names the same operation, and the write is made once', async () => {
    const configurationId = await ownConfiguration();
    const body = { userPrincipalName: 'async-keyed@contoso.example', status: 'error' };
    const headers = { prefer: 'respond-async', 'idempotency-key': `async-key-${configurationId}` };
    const path = `mobile-app-configurations/${configurationId}/user-statuses`;
    const first = expectAccepted(await send('POST', path, body, headers));
    const second = expectAccepted(await send('POST', path, body, headers));
    expect(second).toBe(first);
    expect((await pollToFinal(first)).final.status).toBe(201);
    // Finished: a retry of the key is answered with the write's answer, as a synchronous retry is.
    const afterward = await send('POST', path, body, headers);
    expect([afterward.status, afterward.headers.get('idempotent-replayed')]).toEqual([201, 'true']);
    expect(statusesOf(configurationId)).toHaveLength(1);
    expect(postsTo(configurationId)).toHaveLength(1);

    const reused = await send('POST', path, { ...body, status: 'compliant' }, headers);
    expect(reused.status).toBe(422);
  });

  test('an operation id that names nothing is a 404 problem', async () => {
    for (const id of ['AAAAAAAAAAAAAAAAAAAAAA', 'not-an-id', '..%2F..%2Fhealth']) {
      const response = await fetch(`${stack.baseUrl}/operations/${id}`);
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
    }
  });
});

// Each Graph fault a create can meet, with whether Graph applied it: a webhook that sends once and
// never polls loses nothing, and nothing is created twice.
const FAULTS: [string, Record<string, unknown>, boolean][] = [
  ['applied, then 500', { applyThenStatus: 500 }, true],
  ['applied, then 504', { applyThenStatus: 504 }, true],
  ['applied, then the connection broke', { applyThenReset: true }, true],
  ['applied later than the time budget', { delayMs: (BUDGET_S + 1.5) * 1000 }, true],
  ['refused with 503', { status: 503 }, false],
  ['refused with 429', { status: 429, retryAfter: '1' }, false],
  ['the connection broke before Graph read it', { reset: true }, false],
];

describe('a webhook that sends a create once and never retries', () => {
  test.concurrent.each(FAULTS)('%s: the status is created exactly once', async (_fault, fault, applied) => {
    const configurationId = await ownConfiguration();
    await stack.control('POST', 'faults', { method: 'POST', pathIncludes: configurationId, ...fault });
    const upn = `webhook@${configurationId}.example`;
    const accepted = await send(
      'POST',
      `mobile-app-configurations/${configurationId}/user-statuses`,
      {
        userPrincipalName: upn,
        status: 'compliant',
      },
      { prefer: 'respond-async' },
    );
    const location = expectAccepted(accepted);

    // The caller is gone; the test only looks at the end.
    const { final } = await pollToFinal(location);
    expect(final.status).toBe(201);
    expect(statusesOf(configurationId)).toHaveLength(1);
    expect(postsTo(configurationId)).toHaveLength(applied ? 1 : 2);
  });
});

describe('a write a caller waits for, left in doubt, is handed over to the app: 202, never a failure', () => {
  const inDoubt: [string, Record<string, unknown>][] = [
    ['applied, then 504', { applyThenStatus: 504 }],
    ['applied, then the connection broke', { applyThenReset: true }],
    ['applied later than the time budget', { delayMs: (BUDGET_S + 1.5) * 1000 }],
  ];

  test.concurrent.each(inDoubt)('%s, without a key: 202, and the Location ends with 201, created once', async (_fault, fault) => {
    const configurationId = await ownConfiguration();
    await stack.control('POST', 'faults', { method: 'POST', pathIncludes: configurationId, ...fault });
    const answer = await send('POST', `mobile-app-configurations/${configurationId}/user-statuses`, {
      userPrincipalName: `handed-over@${configurationId}.example`,
      status: 'compliant',
    });
    const location = expectAccepted(answer);
    expect(JSON.parse(answer.text)).toMatchObject({ state: 'in-doubt' });
    const { final } = await pollToFinal(location);
    expect(final.status).toBe(201);
    expect(statusesOf(configurationId)).toHaveLength(1);
    expect(postsTo(configurationId)).toHaveLength(1);
  });

  test('with a key, a retry while the app finishes it gets the same 202 and Location', async () => {
    const configurationId = await ownConfiguration();
    await stack.control('POST', 'faults', { method: 'POST', pathIncludes: configurationId, applyThenStatus: 504 });
    const path = `mobile-app-configurations/${configurationId}/user-statuses`;
    const body = { userPrincipalName: `retried@${configurationId}.example`, status: 'error' };
    const headers = { 'idempotency-key': `handed-over-${configurationId}` };
    const location = expectAccepted(await send('POST', path, body, headers));
    expect(expectAccepted(await send('POST', path, body, headers))).toBe(location);
    const { final } = await pollToFinal(location);
    expect(final.status).toBe(201);
    // Finished: the key's retry is answered with the created status itself.
    const replay = await send('POST', path, body, headers);
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(statusesOf(configurationId)).toHaveLength(1);
  });

  test('a Logic App with its default retry policy follows the 202 and its run ends with the created status', async () => {
    const configurationId = await ownConfiguration();
    await stack.control('POST', 'faults', { method: 'POST', pathIncludes: configurationId, applyThenReset: true });
    const seen = await callWithRetries(scaled(LOGIC_APPS_DEFAULT, 0.5), () =>
      fetch(`${stack.baseUrl}/mobile-app-configurations/${configurationId}/user-statuses`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userPrincipalName: `logic-app@${configurationId}.example`, status: 'compliant' }),
      }),
    );
    expect(seen[0]?.status).toBe(202);
    expect(seen.at(-1)?.status).toBe(201);
    for (const interim of seen.slice(0, -1)) expect(Number(interim.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(statusesOf(configurationId)).toHaveLength(1);
  });
});

describe('a write a caller waits for that is only delayed is handed over too: 202, never a refusal it may not retry', () => {
  test('Graph throttles an update past the time budget: 202, and the Location ends with 200 and the value', async () => {
    const configurationId = await ownConfiguration();
    const summary = `mobile-app-configurations/${configurationId}/user-status-summary`;
    await stack.control('POST', 'faults', {
      method: 'PATCH',
      pathIncludes: configurationId,
      status: 429,
      retryAfter: '1',
      times: BUDGET_S + 2,
    });
    const answer = await send('PATCH', summary, { pendingCount: 7 });
    const location = expectAccepted(answer);
    expect(answer.headers.get('preference-applied')).toBeNull();
    const { final } = await pollToFinal(location);
    expect({ status: final.status, body: JSON.parse(final.text) }).toMatchObject({ status: 200, body: { pendingCount: 7 } });
    expect(stack.emulator.state.mobileAppConfigurations.get(configurationId)?.userStatusSummary.pendingCount).toBe(7);
  });

  test('Graph throttles a create without a key past the time budget: 202, and the Location ends with 201, created once', async () => {
    const configurationId = await ownConfiguration();
    await stack.control('POST', 'faults', {
      method: 'POST',
      pathIncludes: configurationId,
      status: 429,
      retryAfter: '1',
      times: BUDGET_S + 2,
    });
    const location = expectAccepted(
      await send('POST', `mobile-app-configurations/${configurationId}/user-statuses`, {
        userPrincipalName: `throttled@${configurationId}.example`,
        status: 'compliant',
      }),
    );
    expect((await pollToFinal(location)).final.status).toBe(201);
    expect(statusesOf(configurationId)).toHaveLength(1);
  });

  test('a retry that finds its key still held by an earlier attempt past its own budget: 202, and the Location ends with that attempt’s answer', async () => {
    const configurationId = await ownConfiguration();
    const summary = `mobile-app-configurations/${configurationId}/user-status-summary`;
    // The first attempt is answered just inside its budget; its retry, sent a second later, cannot wait for it inside its own.
    await stack.control('POST', 'faults', { method: 'PATCH', pathIncludes: configurationId, delayMs: (BUDGET_S - 0.7) * 1000 });
    const headers = { 'idempotency-key': `held-${configurationId}` };
    const first = send('PATCH', summary, { pendingCount: 5 }, headers);
    await sleep(1000);
    const retry = await send('PATCH', summary, { pendingCount: 5 }, headers);
    const location = expectAccepted(retry);
    expect((await first).status).toBe(200);
    const { final } = await pollToFinal(location);
    expect({ status: final.status, body: JSON.parse(final.text) }).toMatchObject({ status: 200, body: { pendingCount: 5 } });
    const patches = stack.emulator.requests.filter(
      (request) => request.method === 'PATCH' && request.path.includes(configurationId),
    );
    expect(patches).toHaveLength(1);
  });

  test('Power Automate on its low profile, writes beyond the budget: each run ends with its write made, once', async () => {
    // One write every 4 s: of four updates at once, three have no turn within the 4 s budget.
    await withStack(
      {
        facadeEnvironment: {
          GRAPH_TIME_BUDGET_SECONDS: String(BUDGET_S),
          GRAPH_WRITES_PER_20S: '5',
          GRAPH_WRITE_BURST: '1',
        },
      },
      async (slow) => {
        const ids = ['pa-0', 'pa-1', 'pa-2', 'pa-3'];
        await slow.control('POST', 'seed', { deviceCompliancePolicies: ids.map((id) => ({ id })) });
        const runs = await Promise.all(
          ids.map((id, index) =>
            callWithRetries(scaled(POWER_AUTOMATE_LOW, 0.2), () =>
              fetch(`${slow.baseUrl}/device-compliance-policies/${id}/user-status-overview`, {
                method: 'PATCH',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({ successCount: 10 + index }),
              }),
            ),
          ),
        );
        const firstAnswers = runs.map((seen) => seen[0]?.status).sort();
        expect(firstAnswers).toEqual([200, 202, 202, 202]);
        for (const [index, seen] of runs.entries()) {
          expect({ status: seen.at(-1)?.status, body: JSON.parse(seen.at(-1)?.text ?? '{}') }).toMatchObject({
            status: 200,
            body: { successCount: 10 + index },
          });
        }
        const patches = slow.emulator.requests.filter((request) => request.method === 'PATCH');
        expect(patches).toHaveLength(ids.length);
      },
    );
  }, 120_000);

  test('a full waiting room still refuses a caller that waits (429), and accepts one that asked for 202', async () => {
    // One write every 4 s and room for one waiting write: the third at once finds the room full.
    await withStack(
      {
        facadeEnvironment: {
          GRAPH_BUDGET: 'per-instance',
          GRAPH_WRITES_PER_20S: '5',
          GRAPH_WRITE_BURST: '1',
          GRAPH_MAX_WAITING_PER_INSTANCE: '1',
        },
      },
      async (slow) => {
        const ids = ['room-0', 'room-1', 'room-2'];
        await slow.control('POST', 'seed', { deviceCompliancePolicies: ids.map((id) => ({ id })) });
        const answers = await Promise.all(
          ids.map((id) =>
            slow.call('PATCH', `device-compliance-policies/${id}/user-status-overview`, { body: { successCount: 1 } }),
          ),
        );
        expect(answers.map((answer) => answer.status).sort()).toEqual([200, 200, 429]);
        const refused = answers.find((answer) => answer.status === 429);
        expect(refused?.json.type).toBe('urn:intune-status-facade:problem:request-budget-exhausted');
        expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        const asked = await slow.call('PATCH', 'device-compliance-policies/room-2/user-status-overview', {
          body: { successCount: 2 },
          headers: { prefer: 'respond-async' },
        });
        expect(asked.status).toBe(202);
      },
    );
  }, 120_000);
});

describe('writes to one entity are applied in the order they were accepted', () => {
  test('a PATCH that times out and lands late cannot undo a later caller’s PATCH: the later value stands', async () => {
    const configurationId = await ownConfiguration();
    const summary = `mobile-app-configurations/${configurationId}/user-status-summary`;
    // The first update reaches Graph only after the caller stopped waiting for it.
    await stack.control('POST', 'faults', { method: 'PATCH', pathIncludes: configurationId, delayMs: (BUDGET_S + 1.5) * 1000 });
    const first = await send('PATCH', summary, { pendingCount: 1 });
    const firstLocation = expectAccepted(first);
    expect(JSON.parse(first.text)).toMatchObject({ state: 'in-doubt' });

    // Another caller updates the same entity while the first may still land: it waits its turn.
    const second = await send('PATCH', summary, { pendingCount: 2 });
    const secondLocation = expectAccepted(second);
    expect(JSON.parse(second.text)).toMatchObject({ state: 'queued' });

    expect((await pollToFinal(firstLocation)).final.status).toBe(200);
    const { final } = await pollToFinal(secondLocation);
    expect(final.status).toBe(200);
    expect(JSON.parse(final.text)).toMatchObject({ pendingCount: 2 });
    expect(stack.emulator.state.mobileAppConfigurations.get(configurationId)?.userStatusSummary.pendingCount).toBe(2);
    // Once the line is empty, an update is answered in the call again.
    expect((await send('PATCH', summary, { pendingCount: 3 })).status).toBe(200);
  });

  test('an update a caller is still waiting for holds its place: a later caller’s update waits behind it', async () => {
    const configurationId = await ownConfiguration();
    const summary = `mobile-app-configurations/${configurationId}/user-status-summary`;
    await stack.control('POST', 'faults', { method: 'PATCH', pathIncludes: configurationId, delayMs: (BUDGET_S + 1.5) * 1000 });
    const first = send('PATCH', summary, { pendingCount: 1 });
    await sleep(1000);
    // The first is still running in its call: the second is accepted behind it, not sent.
    const secondLocation = expectAccepted(await send('PATCH', summary, { pendingCount: 2 }));
    const firstLocation = expectAccepted(await first);

    expect((await pollToFinal(firstLocation)).final.status).toBe(200);
    expect((await pollToFinal(secondLocation)).final.status).toBe(200);
    expect(stack.emulator.state.mobileAppConfigurations.get(configurationId)?.userStatusSummary.pendingCount).toBe(2);
    const patches = stack.emulator.requests.filter(
      (request) => request.method === 'PATCH' && request.path.includes(configurationId),
    );
    expect(patches.map((request) => (request.body as { pendingCount: number }).pendingCount).at(-1)).toBe(2);
  });

  test('updates accepted one after another are applied in that order', async () => {
    const configurationId = await ownConfiguration();
    const summary = `mobile-app-configurations/${configurationId}/user-status-summary`;
    const locations: string[] = [];
    for (let value = 1; value <= 5; value++) {
      locations.push(expectAccepted(await send('PATCH', summary, { pendingCount: value }, { prefer: 'respond-async' })));
    }
    for (const location of locations) expect((await pollToFinal(location)).final.status).toBe(200);
    const patches = stack.emulator.requests.filter(
      (request) => request.method === 'PATCH' && request.path.includes(configurationId),
    );
    expect(patches.map((request) => (request.body as { pendingCount: number }).pendingCount)).toEqual([1, 2, 3, 4, 5]);
    expect(stack.emulator.state.mobileAppConfigurations.get(configurationId)?.userStatusSummary.pendingCount).toBe(5);
  });
});

test("a 202's Retry-After estimates the wait from the writes queued before it, as the budget spaces them", async () => {
  // One write every 10 s: the fifth accepted write has about four before it.
  await withStack({ facadeEnvironment: { GRAPH_WRITES_PER_20S: '2', GRAPH_WRITE_BURST: '1' } }, async (slow) => {
    const waits: number[] = [];
    for (let index = 0; index < 5; index++) {
      const response = await fetch(`${slow.baseUrl}/${SEEDED_PATHS.userStatuses}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', prefer: 'respond-async' },
        body: JSON.stringify({ userPrincipalName: `queued-${index}@contoso.example`, status: 'compliant' }),
      });
      expect(response.status).toBe(202);
      waits.push(Number(response.headers.get('retry-after')));
    }
    expect(waits[0]).toBeGreaterThanOrEqual(2);
    expect(waits.at(-1)).toBeGreaterThanOrEqual(30);
  });
});
