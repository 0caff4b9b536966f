import { randomBytes } from 'node:crypto';

import { TableClient } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';

import { operationNamed } from '../../src/catalog/operations';
import { systemClock } from '../../src/clock';
import { createAsyncWriteStores, operationIdFor, requestFingerprint } from '../../src/idempotency';
import { acceptWrite } from '../../src/operations/accept-write';
import { validateRequest } from '../../src/operations/validate';
import { messageQueueFor } from '../../src/storage/queue-client';
import { expectProblem, SEEDED_IDS, SEEDED_PATHS, type Stack, useStack, withStack } from '../support/stack';
import { testStorage } from '../support/storage';

/** Azurite takes its connection string's key: no token is ever asked for. */
const noCredential: TokenCredential = { getToken: () => Promise.reject(new Error('no token in this test')) };

// Graph accepts the install summary's update only from a signed-in user (its page lists no
// application permission), and the emulator refuses application tokens there, as that page says.
// A signed-in user's call goes to Graph as that user by On-Behalf-Of: the API's app registration
// trusts the app's managed identity as a federated credential, so the exchange needs no secret.

const running = useStack({ appServiceAuth: true, facadeEnvironment: { CALLER_AUTH: 'entra' } });

const USER = '5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const OTHER_USER = '6b2c3d4e-5f6a-4b7c-9d8e-0f1a2b3c4d5e';
const installSummary = `${SEEDED_PATHS.installSummary}?graphVersion=beta`;

async function token(
  stack: Stack,
  kind: 'user-tokens' | 'caller-tokens',
  options: Record<string, unknown> = {},
): Promise<string> {
  const response = await stack.control('POST', kind, { roles: ['IntuneStatus.ReadWrite'], ...options });
  return ((await response.json()) as { access_token: string }).access_token;
}
const userToken = (options: Record<string, unknown> = {}) => token(running(), 'user-tokens', { objectId: USER, ...options });
const appToken = () => token(running(), 'caller-tokens');
const bearer = (value: string) => ({ authorization: `Bearer ${value}` });
const graphWrites = () => running().emulator.requests.filter((request) => request.method !== 'GET');

test('the emulator refuses an application token on the install summary update, as its Graph page says', async () => {
  const behaviour = (await (await running().control('GET', 'behaviour')).json()) as Record<string, boolean>;
  expect(behaviour.installSummaryDelegatedOnly).toBe(true);
});

test("a signed-in user's PATCH of the install summary answers 200, and Graph saw a delegated token naming that user", async () => {
  const answer = await running().call('PATCH', installSummary, {
    body: { installedDeviceCount: 41 },
    headers: bearer(await userToken()),
  });
  expect({ status: answer.status, body: answer.json }).toMatchObject({ status: 200, body: { installedDeviceCount: 41 } });
  expect(graphWrites()).toEqual([
    expect.objectContaining({
      method: 'PATCH',
      claims: expect.objectContaining({ idtyp: 'user', oid: USER, scp: 'DeviceManagementApps.ReadWrite.All' }),
      outcome: 'applied',
    }),
  ]);
  expect(running().emulator.state.mobileApps.get(SEEDED_IDS.mobileApp)?.installSummary.installedDeviceCount).toBe(41);
  // The exchange: the API's client, the managed identity's token as its credential, for this user.
  expect(running().emulator.tokenExchanges).toEqual([
    {
      clientId: running().emulator.federation.apiClientId,
      userObjectId: USER,
      scope: expect.stringContaining('https://graph.microsoft.com/.default'),
      outcome: 'issued',
    },
  ]);
  expect(running().emulator.tokenRequests).toContainEqual({
    resource: 'api://AzureADTokenExchange',
    clientId: expect.any(String),
  });
});

test('an application caller gets the "a user must call this" problem, and nothing reaches Graph or Entra', async () => {
  const answer = await running().call('PATCH', installSummary, {
    body: { installedDeviceCount: 1 },
    headers: bearer(await appToken()),
  });
  expectProblem(answer, 403);
  expect(answer.json.type).toBe('urn:intune-status-facade:problem:caller-must-be-user');
  expect(answer.json.detail).toMatch(/signed-in user/);
  expect(running().emulator.requests).toHaveLength(0);
  expect(running().emulator.tokenExchanges).toHaveLength(0);
});

test('the other operations still go as the managed identity, for a signed-in user too', async () => {
  const headers = bearer(await userToken());
  const calls: [string, string, unknown][] = [
    ['PATCH', SEEDED_PATHS.userStatusSummary, { pendingCount: 2 }],
    ['PATCH', SEEDED_PATHS.userStatusOverview, { pendingCount: 2 }],
    [
      'POST',
      SEEDED_PATHS.userStatuses,
      {
        userDisplayName: 'A',
        userPrincipalName: 'a@contoso.example',
        devicesCount: 1,
        status: 'compliant',
        lastReportedDateTime: '2026-01-01T00:00:00Z',
      },
    ],
    ['GET', SEEDED_PATHS.installSummary, undefined],
  ];
  for (const [method, path, body] of calls) {
    const answer = await running().call(method, `${path}${path === SEEDED_PATHS.installSummary ? '?graphVersion=beta' : ''}`, {
      headers,
      ...(body ? { body } : {}),
    });
    expect({ method, path, status: answer.status, body: answer.text.slice(0, 300) }).toMatchObject({
      status: method === 'POST' ? 201 : 200,
    });
  }
  // Every request, the read-backs of updates Intune answers 204 too, carried the app's token.
  expect(running().emulator.requests.length).toBeGreaterThanOrEqual(calls.length);
  expect(new Set(running().emulator.requests.map((request) => request.claims?.idtyp))).toEqual(new Set(['app']));
  expect(running().emulator.tokenExchanges).toHaveLength(0);
});

test("what Graph refuses because of the user's own Intune role is passed on as that user's refusal", async () => {
  await running().control('PUT', 'intune-roles', { usersWithoutRole: [OTHER_USER] });
  const refused = await running().call('PATCH', installSummary, {
    body: { installedDeviceCount: 3 },
    headers: bearer(await userToken({ objectId: OTHER_USER })),
  });
  expectProblem(refused, 403);
  expect(refused.json).toMatchObject({
    type: 'urn:intune-status-facade:problem:graph-refuses-user',
    graph: { status: 403 },
    detail: expect.stringContaining('Intune role'),
  });
  // Another user, with a role, is not held to the first one's refusal.
  const allowed = await running().call('PATCH', installSummary, {
    body: { installedDeviceCount: 4 },
    headers: bearer(await userToken()),
  });
  expect(allowed.status).toBe(200);
  expect(graphWrites().map((request) => [request.claims?.oid, request.outcome])).toEqual([
    [OTHER_USER, 'refused'],
    [USER, 'applied'],
  ]);
});

test("a user's Graph token is kept per user: the next calls of the same user need no new exchange", async () => {
  const user = '9e5f6a7b-8c9d-4e0f-8a1b-3c4d5e6f7a8b';
  for (const count of [5, 6, 7]) {
    // A second apart: a caller's fair share of the writes allows a second's lead while others are at work.
    if (count > 5) await new Promise((resolve) => setTimeout(resolve, 1100));
    const answer = await running().call('PATCH', installSummary, {
      body: { installedDeviceCount: count },
      headers: bearer(await userToken({ objectId: user })),
    });
    expect(answer.status).toBe(200);
  }
  expect(running().emulator.tokenExchanges).toEqual([expect.objectContaining({ userObjectId: user, outcome: 'issued' })]);
  expect(graphWrites().map((request) => request.claims?.oid)).toEqual([user, user, user]);
});

test('without consent to the delegated Graph permission, the exchange is refused and nothing reaches Graph', async () => {
  await running().control('PUT', 'federation', { consentedScopes: [] });
  const answer = await running().call('PATCH', installSummary, {
    body: { installedDeviceCount: 8 },
    headers: bearer(await userToken({ objectId: '7c3d4e5f-6a7b-4c8d-8e9f-1a2b3c4d5e6f' })),
  });
  expectProblem(answer, 403);
  expect(answer.json).toMatchObject({
    type: 'urn:intune-status-facade:problem:on-behalf-of-failed',
    detail: expect.stringContaining('AADSTS65001'),
  });
  expect(running().emulator.requests).toHaveLength(0);
});

test('an exchange the tenant does not trust (another managed identity as subject) is the app setup: 502, nothing sent', async () => {
  await running().control('PUT', 'federation', { subject: '00000000-0000-4000-8000-000000000000' });
  const answer = await running().call('PATCH', installSummary, {
    body: { installedDeviceCount: 9 },
    headers: bearer(await userToken({ objectId: '8d4e5f6a-7b8c-4d9e-9f0a-2b3c4d5e6f7a' })),
  });
  expectProblem(answer, 502);
  expect(answer.json).toMatchObject({
    type: 'urn:intune-status-facade:problem:on-behalf-of-failed',
    detail: expect.stringContaining('AADSTS700213'),
  });
  expect(running().emulator.requests).toHaveLength(0);
});

test('a delegated write asked for asynchronously is answered in the call as the user, never queued for the app', async () => {
  const answer = await running().call('PATCH', installSummary, {
    body: { installedDeviceCount: 12 },
    headers: { ...bearer(await userToken()), prefer: 'respond-async', 'idempotency-key': 'delegated-async-1' },
  });
  expect(answer.status).toBe(200);
  expect(answer.headers.get('preference-applied')).toBeNull();
  expect(graphWrites()).toEqual([expect.objectContaining({ claims: expect.objectContaining({ idtyp: 'user', oid: USER }) })]);
  // The same key again is a replay of that answer, not a second write.
  const again = await running().call('PATCH', installSummary, {
    body: { installedDeviceCount: 12 },
    headers: { ...bearer(await userToken()), prefer: 'respond-async', 'idempotency-key': 'delegated-async-1' },
  });
  expect(again.status).toBe(200);
  expect(graphWrites()).toHaveLength(1);
});

test("the user's token and the Graph token never show up in the app's output or telemetry", async () => {
  const user = await userToken();
  await running().call('PATCH', installSummary, { body: { installedDeviceCount: 13 }, headers: bearer(user) });
  const written = running().output() + JSON.stringify(running().telemetry());
  for (const secret of [user, ...running().emulator.issuedTokens]) expect(written).not.toContain(secret.split('.')[2]);
  // The Graph dependency says who the call went as, so that the alert on Graph refusing the app leaves users out.
  const graphSpans = running()
    .telemetry()
    .filter((line) => line.type === 'dependency' && line.attributes['dependency.kind'] === 'graph');
  expect(graphSpans.filter((line) => line.attributes['http.request.method'] === 'PATCH').at(-1)?.attributes).toMatchObject({
    'graph.identity': 'user',
  });
});

test('with function keys only, the install summary update is refused as needing a user, and the app never sends it as itself', async () => {
  await withStack({}, async (stack) => {
    const answer = await stack.call('PATCH', installSummary, { body: { installedDeviceCount: 1 } });
    expectProblem(answer, 403);
    expect(answer.json.type).toBe('urn:intune-status-facade:problem:caller-must-be-user');
    // Bad input is told as such first, whoever calls: the request is checked before the identity.
    const invalid = await stack.call('PATCH', installSummary, { body: { installedDeviceCount: -1 } });
    expectProblem(invalid, 422);
    expect(stack.emulator.requests).toHaveLength(0);
  });
});

test('an install summary update found in the queue (accepted before the catalog said users only) is never sent as the app', async () => {
  const names = {
    OPERATIONS_TABLE_NAME: `legacy${randomBytes(5).toString('hex')}`,
    WRITE_QUEUE_NAME: `legacy-${randomBytes(5).toString('hex')}`,
  };
  await withStack({ facadeEnvironment: names }, async (stack) => {
    // Accepted as this app's own code accepts a write: its record, then its message.
    const operation = operationNamed('UpdateMobileAppInstallSummary');
    const valid = validateRequest(
      operation,
      { mobileAppId: SEEDED_IDS.mobileApp },
      new URLSearchParams({ graphVersion: 'beta' }),
      {
        installedDeviceCount: 77,
      },
    );
    if (!valid.ok) throw new Error('the legacy write is not valid');
    const stores = createAsyncWriteStores(
      { tableName: 'unused', operationsTableName: names.OPERATIONS_TABLE_NAME },
      { connectionString: testStorage() },
      noCredential,
    );
    const id = operationIdFor('legacy-install-summary');
    const accepted = await acceptWrite(
      {
        id,
        fingerprint: requestFingerprint(operation.name, valid.value.params, 'beta', valid.value.body ?? null),
        operation,
        request: valid.value,
        keyed: true,
        clientRequestId: 'legacy-write',
        requestUrl: `${stack.baseUrl}/${installSummary}`,
        returnMinimal: false,
        preferred: true,
      },
      {
        ...stores,
        queue: messageQueueFor({ connectionString: testStorage() }, names.WRITE_QUEUE_NAME, noCredential),
        queueName: names.WRITE_QUEUE_NAME,
        writeSpacingMs: 0,
      },
      systemClock,
    );
    expect(accepted.status).toBe(202);
    // The app's worker takes it up and settles it with the problem a user-only operation gets from an application.
    let answer = await stack.call('GET', `operations/${id}`);
    for (let poll = 0; poll < 40 && answer.status === 202; poll++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      answer = await stack.call('GET', `operations/${id}`);
    }
    expectProblem(answer, 403);
    expect(answer.json.type).toBe('urn:intune-status-facade:problem:caller-must-be-user');
    expect(stack.emulator.requests).toHaveLength(0);
  });
});

test("a call made as the user takes its turn from the app's one Graph budget, counted against that user", async () => {
  const budgetTable = `obobudget${randomBytes(5).toString('hex')}`;
  await withStack(
    { appServiceAuth: true, facadeEnvironment: { CALLER_AUTH: 'entra', GRAPH_BUDGET_TABLE_NAME: budgetTable } },
    async (stack) => {
      const user = '0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
      const answer = await stack.call('PATCH', installSummary, {
        body: { installedDeviceCount: 21 },
        headers: await stack.asUser({ objectId: user }),
      });
      expect(answer.status).toBe(200);
      const table = TableClient.fromConnectionString(testStorage(), budgetTable, { allowInsecureConnection: true });
      const row = await table.getEntity<{ accounts: string; dueAtMs: number }>('graph-budget', 'write');
      expect(Object.keys(JSON.parse(row.accounts) as object)).toEqual([user]);
    },
  );
});

test("Entra down: the user's call is a clean 502 with nothing sent, and the next call after it is back goes through", async () => {
  const user = '1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a';
  await running().control('PUT', 'federation', { outage: true });
  const down = await running().call('PATCH', installSummary, {
    body: { installedDeviceCount: 30 },
    headers: bearer(await userToken({ objectId: user })),
  });
  expectProblem(down, 502);
  expect(down.json.type).toBe('urn:intune-status-facade:problem:on-behalf-of-failed');
  expect(running().emulator.requests).toHaveLength(0);
  await running().control('PUT', 'federation', { outage: false });
  const back = await running().call('PATCH', installSummary, {
    body: { installedDeviceCount: 31 },
    headers: bearer(await userToken({ objectId: user })),
  });
  expect(back.status).toBe(200);
  expect(graphWrites()).toEqual([expect.objectContaining({ claims: expect.objectContaining({ idtyp: 'user', oid: user }) })]);
});

test("a user's first calls arriving at once share one exchange", async () => {
  await withStack({ appServiceAuth: true, facadeEnvironment: { CALLER_AUTH: 'entra' } }, async (stack) => {
    const headers = await stack.asUser({ objectId: '2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b' });
    const answers = await Promise.all(
      [40, 41, 42, 43].map((count) => stack.call('PATCH', installSummary, { body: { installedDeviceCount: count }, headers })),
    );
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
    expect(stack.emulator.tokenExchanges).toHaveLength(1);
  });
});

test("a user's write whose answer is lost is repeated as the user within the call, and the caller's retry is a replay", async () => {
  const user = '3f4a5b6c-7d8e-4f9a-8b0c-2d3e4f5a6b7c';
  await running().control('POST', 'faults', { method: 'PATCH', pathIncludes: 'installSummary', applyThenReset: true });
  const headers = { ...bearer(await userToken({ objectId: user })), 'idempotency-key': 'user-write-lost-answer' };
  // An update Graph is done with changes nothing when sent again (write-rules.ts): the call repeats it, as the same user.
  const first = await running().call('PATCH', installSummary, { body: { installedDeviceCount: 50 }, headers });
  expect(first.status).toBe(200);
  const retried = await running().call('PATCH', installSummary, { body: { installedDeviceCount: 50 }, headers });
  expect(retried.status).toBe(200);
  expect(retried.headers.get('idempotent-replayed')).toBe('true');
  const sent = graphWrites();
  expect(sent.map((request) => request.outcome)).toEqual(['fault:applyThenReset', 'applied']);
  for (const request of sent) expect(request.claims).toMatchObject({ idtyp: 'user', oid: user });
});
