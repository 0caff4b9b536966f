import {
  callWithRetries,
  HONOURS_EVERY_RETRY_AFTER,
  LOGIC_APPS_DEFAULT,
  type RetryPolicy,
  scaled,
  type Seen,
} from '../../dev/reliability/callers';
import { type Stack, startStack } from '../support/stack';

// A short time budget and in-doubt window keep each case to seconds; the callers keep Logic
// Apps' default schedule at half speed (first retry after 2.5 to 4.5 s).
const BUDGET_S = 4;
const WINDOW_S = 7;
const LOGIC_APPS = scaled(LOGIC_APPS_DEFAULT, 0.5);

let stack: Stack;
beforeAll(async () => {
  // Writes answered in the call, as by an app with no queue service: what each ending says to a
  // caller that waits (test/e2e/async-writes.test.ts has the same endings with a queue: 202).
  stack = await startStack({
    writeQueue: 'none',
    facadeEnvironment: { GRAPH_TIME_BUDGET_SECONDS: String(BUDGET_S), GRAPH_IN_DOUBT_WINDOW_SECONDS: String(WINDOW_S) },
  });
});
afterAll(() => stack.stop());

let nextParent = 0;
/** A configuration of the test's own, so that its faults (matched by path) touch no other test. */
async function ownConfiguration(): Promise<string> {
  // The trailing `-end` keeps one id from being a prefix of another in path matching.
  const id = `in-doubt-${nextParent++}-end`;
  await stack.control('POST', 'seed', { mobileAppConfigurations: [{ id }] });
  return id;
}

const statusesOf = (configurationId: string) => [
  ...(stack.emulator.state.mobileAppConfigurations.get(configurationId)?.userStatuses.values() ?? []),
];

async function create(
  policy: RetryPolicy,
  configurationId: string,
  body: object,
  headers: Record<string, string>,
): Promise<Seen[]> {
  return callWithRetries(policy, () =>
    fetch(`${stack.baseUrl}/mobile-app-configurations/${configurationId}/user-statuses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    }),
  );
}

/**
 * Every answer before the last was one the caller retries, or a 202 it polls (a write the app
 * took over), and each carried a Retry-After.
 */
function expectHonestInterimAnswers(seen: readonly Seen[]): void {
  for (const interim of seen.slice(0, -1)) {
    expect(interim.status === 202 || interim.status === 408 || interim.status === 429 || interim.status >= 500).toBe(true);
    expect(Number(interim.retryAfter)).toBeGreaterThanOrEqual(1);
  }
}

// Each Graph fault a create can meet, with whether Graph applied the create.
const FAULTS: [string, Record<string, unknown>, boolean][] = [
  ['applied, then 500', { applyThenStatus: 500 }, true],
  ['applied, then 502', { applyThenStatus: 502 }, true],
  ['applied, then 503', { applyThenStatus: 503 }, true],
  ['applied, then 504', { applyThenStatus: 504 }, true],
  ['applied, then 408', { applyThenStatus: 408 }, true],
  ['applied, then the connection broke', { applyThenReset: true }, true],
  ['applied later than the time budget', { delayMs: (BUDGET_S + 1.5) * 1000 }, true],
  ['refused with 500', { status: 500 }, false],
  ['refused with 503', { status: 503 }, false],
  ['refused with 429', { status: 429, retryAfter: '1' }, false],
  ['the connection broke before Graph read it', { reset: true }, false],
];

describe.each([
  ['a Logic App with its default retry policy', LOGIC_APPS],
  ['a caller that honours every Retry-After', scaled(HONOURS_EVERY_RETRY_AFTER, 0.5)],
])('a create with an Idempotency-Key, retried by %s', (_caller, policy) => {
  test.concurrent.each(FAULTS)('%s: ends with the created status, created exactly once', async (_fault, fault, applied) => {
    const configurationId = await ownConfiguration();
    await stack.control('POST', 'faults', { method: 'POST', pathIncludes: configurationId, ...fault });
    const upn = `created-once@${configurationId}.example`;
    const seen = await create(
      policy,
      configurationId,
      { userPrincipalName: upn, status: 'compliant' },
      { 'idempotency-key': `key-${configurationId}` },
    );

    const final = seen.at(-1) as Seen;
    expect(final.status).toBe(201);
    expect(JSON.parse(final.text)).toMatchObject({ userPrincipalName: upn, status: 'compliant' });
    expectHonestInterimAnswers(seen);
    expect(statusesOf(configurationId)).toHaveLength(1);
    const posts = stack.emulator.requests.filter(
      (request) => request.method === 'POST' && request.path.includes(configurationId),
    );
    expect(posts).toHaveLength(applied ? 1 : 2);
  });
});

describe('a create without an Idempotency-Key', () => {
  test('applied, then 500: found in the same call, not sent again', async () => {
    const configurationId = await ownConfiguration();
    await stack.control('POST', 'faults', { method: 'POST', pathIncludes: configurationId, applyThenStatus: 500 });
    const seen = await create(LOGIC_APPS, configurationId, { userPrincipalName: 'keyless@contoso.example', status: 'error' }, {});
    expect(seen.map((answer) => answer.status)).toEqual([201]);
    expect(statusesOf(configurationId)).toHaveLength(1);
  });

  test('no answer within the budget: 504 saying it may have been applied, with Retry-After, and no look-up', async () => {
    const configurationId = await ownConfiguration();
    await stack.control('POST', 'faults', { method: 'POST', pathIncludes: configurationId, delayMs: (BUDGET_S + 1) * 1000 });
    const response = await fetch(`${stack.baseUrl}/mobile-app-configurations/${configurationId}/user-statuses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userPrincipalName: 'keyless-slow@contoso.example', status: 'error' }),
    });
    expect(response.status).toBe(504);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await response.json()) as { detail: string }).detail).toMatch(/may have been applied.*Idempotency-Key/);
  });
});

describe('a look-up that cannot finish keeps the key in doubt', () => {
  test('throttled: 429 with Graph’s Retry-After (seconds or a date); the attempt after it finds the create', async () => {
    const configurationId = await ownConfiguration();
    const headers = { 'idempotency-key': `look-${configurationId}` };
    const body = { userPrincipalName: 'look-throttled@contoso.example', status: 'compliant' };
    await stack.control('POST', 'faults', { method: 'POST', pathIncludes: configurationId, applyThenStatus: 500 });
    await stack.control('POST', 'faults', {
      method: 'GET',
      pathIncludes: configurationId,
      status: 429,
      retryAfter: '3',
      times: 1,
    });
    const first = await stack.call('POST', `mobile-app-configurations/${configurationId}/user-statuses`, { body, headers });
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('3');

    // Graph's Retry-After as an HTTP date, honoured; the caller comes back when it said.
    await new Promise((resolve) => setTimeout(resolve, 3100));
    await stack.control('POST', 'faults', {
      method: 'GET',
      pathIncludes: configurationId,
      status: 429,
      // Longer than the whole time budget, whatever the date's rounding to the second: the look-up cannot try again in this call.
      headers: { 'retry-after': new Date(Date.now() + (BUDGET_S + 2) * 1000).toUTCString() },
      times: 1,
    });
    const second = await stack.call('POST', `mobile-app-configurations/${configurationId}/user-statuses`, { body, headers });
    expect(second.status).toBe(429);
    const secondWaitS = Number(second.headers.get('retry-after'));
    expect(secondWaitS).toBeGreaterThanOrEqual(BUDGET_S - 1);
    expect(secondWaitS).toBeLessThanOrEqual(BUDGET_S + 2);
    await new Promise((resolve) => setTimeout(resolve, secondWaitS * 1000 + 100));

    const third = await stack.call('POST', `mobile-app-configurations/${configurationId}/user-statuses`, { body, headers });
    expect(third.status).toBe(201);
    expect(statusesOf(configurationId)).toHaveLength(1);
  });

  test('unreachable: 503 with Retry-After; nothing is created twice', async () => {
    const configurationId = await ownConfiguration();
    const headers = { 'idempotency-key': `down-${configurationId}` };
    const body = { userPrincipalName: 'look-down@contoso.example', status: 'compliant' };
    await stack.control('POST', 'faults', { method: 'POST', pathIncludes: configurationId, applyThenStatus: 500 });
    await stack.control('POST', 'faults', { method: 'GET', pathIncludes: configurationId, reset: true, times: 20 });
    const first = await stack.call('POST', `mobile-app-configurations/${configurationId}/user-statuses`, { body, headers });
    expect(first.status).toBe(503);
    expect(Number(first.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    await stack.control('DELETE', 'faults');
    const second = await stack.call('POST', `mobile-app-configurations/${configurationId}/user-statuses`, { body, headers });
    expect(second.status).toBe(201);
    expect(statusesOf(configurationId)).toHaveLength(1);
  });
});

describe('a retry arriving while the first attempt still runs', () => {
  test('waits for it and answers with its result, instead of a 409 that would fail a Logic App run', async () => {
    const configurationId = await ownConfiguration();
    await stack.control('POST', 'faults', { method: 'POST', pathIncludes: configurationId, delayMs: 1500 });
    const headers = { 'idempotency-key': `concurrent-${configurationId}` };
    const body = { userPrincipalName: 'concurrent@contoso.example', status: 'compliant' };
    const path = `mobile-app-configurations/${configurationId}/user-statuses`;
    const first = stack.call('POST', path, { body, headers });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = await stack.call('POST', path, { body, headers });
    expect((await first).status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.json).toEqual((await first).json);
    expect(statusesOf(configurationId)).toHaveLength(1);
  });
});

describe('an update that may still be under way in Graph', () => {
  test('is not repeated before the in-doubt window ends, so a late landing cannot undo a later update', async () => {
    const configurationId = await ownConfiguration();
    const path = `mobile-app-configurations/${configurationId}/user-status-summary`;
    // Graph applies the first PATCH after the facade has stopped waiting for it.
    await stack.control('POST', 'faults', { method: 'PATCH', pathIncludes: configurationId, delayMs: (BUDGET_S + 1.5) * 1000 });
    const headers = { 'idempotency-key': `late-${configurationId}` };
    const first = await stack.call('PATCH', path, { body: { pendingCount: 1 }, headers });
    expect(first.status).toBe(504);
    const waitS = Number(first.headers.get('retry-after'));
    expect(waitS).toBeGreaterThanOrEqual(1);

    const tooSoon = await stack.call('PATCH', path, { body: { pendingCount: 1 }, headers });
    expect(tooSoon.status).toBe(503);
    expect(tooSoon.json.type).toBe('urn:intune-status-facade:problem:write-in-doubt');
    await new Promise((resolve) => setTimeout(resolve, Number(tooSoon.headers.get('retry-after')) * 1000));

    const retried = await stack.call('PATCH', path, { body: { pendingCount: 1 }, headers });
    expect(retried.status).toBe(200);
    const later = await stack.call('PATCH', path, {
      body: { pendingCount: 2 },
      headers: { 'idempotency-key': `later-${configurationId}` },
    });
    expect(later.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(stack.emulator.state.mobileAppConfigurations.get(configurationId)?.userStatusSummary.pendingCount).toBe(2);
  });
});
