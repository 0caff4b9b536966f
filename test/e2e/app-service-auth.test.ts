import { SEEDED_PATHS, type Stack, type TelemetryLine, useStack, withStack } from '../support/stack';

// The local host stands in for App Service Authentication (Easy Auth) as the platform runs it in
// front of the app: a caller's bearer token is validated (signature, issuer, audience, lifetime)
// before the app sees the request; a principal header from outside never reaches the app; the
// app gets the validated caller in X-MS-CLIENT-PRINCIPAL, which the Functions library reads as
// request.user.

const running = useStack({ appServiceAuth: true, facadeEnvironment: { CALLER_AUTH: 'entra' } });

async function callerToken(options: Record<string, unknown> = {}): Promise<string> {
  const response = await running().control('POST', 'caller-tokens', { roles: ['IntuneStatus.ReadWrite'], ...options });
  return ((await response.json()) as { access_token: string }).access_token;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A principal such as a caller might forge: base64 JSON claiming any identity it likes. */
const forged = Buffer.from(
  JSON.stringify({
    auth_typ: 'aad',
    claims: [
      { typ: 'roles', val: 'IntuneStatus.ReadWrite' },
      { typ: 'oid', val: 'forged' },
    ],
  }),
).toString('base64');

describe('refused with 401 before the app, nothing sent to Graph', () => {
  test.each<[string, () => Promise<Record<string, string>>]>([
    ['no token', async () => ({})],
    [
      'a forged X-MS-CLIENT-PRINCIPAL and no token',
      async () => ({ 'x-ms-client-principal': forged, 'x-ms-client-principal-id': 'forged' }),
    ],
    ['a token for another audience', async () => bearer(await callerToken({ audience: 'api://another-api' }))],
    ['an expired token', async () => bearer(await callerToken({ lifetimeSeconds: -3600 }))],
    ['a token whose signature does not match', async () => bearer(`${(await callerToken()).slice(0, -8)}AAAAAAAA`)],
    ['something that is not a token', async () => bearer('not-a-token')],
  ])('%s', async (_case, headers) => {
    const answer = await running().call('PATCH', SEEDED_PATHS.userStatusSummary, {
      body: { pendingCount: 1 },
      headers: await headers(),
    });
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(running().emulator.requests).toHaveLength(0);
  });
});

test('health and the API descriptions need no token', async () => {
  for (const path of ['health', 'openapi.json', 'swagger.json']) expect((await running().call('GET', path)).status).toBe(200);
});

test('a valid token passes, and the app gets the caller the token names, never one a caller sent', async () => {
  const objectId = '7d3f1a2b-0c4e-4f5a-9b6c-8d7e6f5a4b3c';
  const appId = '3c4b5a6f-7e8d-4c9b-8a7f-6e5d4c3b2a10';
  const token = await callerToken({ objectId, appId });
  const clientRequestId = '2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b';
  const answer = await running().call('GET', SEEDED_PATHS.userStatusSummary, {
    headers: {
      ...bearer(token),
      'x-ms-client-principal': forged,
      'x-ms-client-principal-id': 'forged',
      'client-request-id': clientRequestId,
    },
  });
  expect(answer.status).toBe(200);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const record = running()
    .telemetry()
    .find((line: TelemetryLine) => line.type === 'record' && line.attributes.client_request_id === clientRequestId);
  expect(record?.attributes).toMatchObject({ 'caller.object_id': objectId, 'caller.app_id': appId });
  expect(JSON.stringify(running().telemetry())).not.toContain(token);
});

test('without App Service Authentication, a principal header a caller sends is not trusted, and a malformed one breaks nothing', async () => {
  await withStack({}, async (stack) => {
    // As on the platform without authentication, the headers reach the app: the app does not read them.
    for (const path of ['health', 'openapi.json', 'no-such-route', SEEDED_PATHS.userStatusSummary])
      expect((await stack.call('GET', path, { headers: { 'x-ms-client-principal': 'e30=' } })).status).toBeLessThan(500);
    const clientRequestId = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
    const answer = await stack.call('GET', SEEDED_PATHS.userStatusSummary, {
      headers: { 'x-ms-client-principal': forged, 'x-ms-client-principal-id': 'forged', 'client-request-id': clientRequestId },
    });
    expect(answer.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const record = stack
      .telemetry()
      .find((line) => line.type === 'record' && line.attributes.client_request_id === clientRequestId);
    expect(record?.attributes).toBeDefined();
    expect(record?.attributes).not.toHaveProperty('caller.object_id');
  });
});

test('CALLER_AUTH=entra without the platform’s authentication in front: a forged principal is refused, never trusted', async () => {
  const roles = Buffer.from(
    JSON.stringify({ auth_typ: 'aad', claims: [{ typ: 'roles', val: 'IntuneStatus.ReadWrite' }] }),
  ).toString('base64');
  await withStack({ facadeEnvironment: { CALLER_AUTH: 'entra' } }, async (stack) => {
    const answer = await stack.call('PATCH', SEEDED_PATHS.userStatusSummary, {
      body: { pendingCount: 3 },
      headers: {
        'x-ms-client-principal': roles,
        'x-ms-client-principal-id': 'x',
        'x-ms-client-principal-name': 'x',
        'x-ms-client-principal-idp': 'aad',
      },
    });
    expect(answer.status).toBe(401);
    expect(answer.json.type).toContain('caller-not-authenticated');
    expect(stack.emulator.requests).toHaveLength(0);
  });
});

describe('CALLER_AUTH=entra: each operation needs an app role, from the token', () => {
  const tokenWith = async (stack: Stack, roles: string[]) => {
    const response = await stack.control('POST', 'caller-tokens', { roles });
    return bearer(((await response.json()) as { access_token: string }).access_token);
  };

  test('no role: 403 naming the role; Read: reads only; ReadWrite: reads and writes', async () => {
    await withStack({ appServiceAuth: true, facadeEnvironment: { CALLER_AUTH: 'entra' } }, async (stack) => {
      const none = await tokenWith(stack, []);
      const refused = await stack.call('GET', SEEDED_PATHS.userStatusSummary, { headers: none });
      expect(refused.status).toBe(403);
      expect(refused.headers.get('content-type')).toBe('application/problem+json');
      expect(refused.json).toMatchObject({ type: expect.stringContaining('caller-role-missing') });
      expect(refused.json.detail).toContain('IntuneStatus.Read');

      const reader = await tokenWith(stack, ['IntuneStatus.Read']);
      expect((await stack.call('GET', SEEDED_PATHS.userStatusSummary, { headers: reader })).status).toBe(200);
      const readerWrites = await stack.call('PATCH', SEEDED_PATHS.userStatusSummary, {
        body: { pendingCount: 9 },
        headers: reader,
      });
      expect(readerWrites.status).toBe(403);
      expect(readerWrites.json.detail).toContain('IntuneStatus.ReadWrite');
      expect(stack.emulator.requests.filter((request) => request.method !== 'GET')).toHaveLength(0);

      const writer = await tokenWith(stack, ['IntuneStatus.ReadWrite']);
      expect(
        (await stack.call('PATCH', SEEDED_PATHS.userStatusSummary, { body: { pendingCount: 9 }, headers: writer })).status,
      ).toBe(200);
      const created = await stack.call('POST', SEEDED_PATHS.userStatuses, {
        body: { userPrincipalName: 'entra-caller@contoso.example', status: 'compliant' },
        headers: writer,
      });
      expect(created.status).toBe(201);
      expect((await stack.call('GET', 'diagnostics', { headers: none })).status).toBe(403);
      expect((await stack.call('GET', 'health')).status).toBe(200);
    });
  });

  test('the operations are anonymous to the Functions host, so that a caller with a token and no key reaches them', async () => {
    await withStack({ appServiceAuth: true, facadeEnvironment: { CALLER_AUTH: 'entra' } }, async (stack) => {
      const listed = (await (await fetch(new URL('/admin/functions', stack.baseUrl))).json()) as {
        name: string;
        authLevel?: string;
      }[];
      const update = listed.find((fn) => fn.name === 'UpdateMobileAppConfigurationUserStatusSummary');
      expect(update?.authLevel).toBe('anonymous');
      // The descriptions, open to importers, declare the token the operations need.
      expect((await stack.call('GET', 'openapi.json')).json.security).toEqual([{ entraId: [] }]);
    });
  });
});

test('CALLER_AUTH=both: a caller with a key and no token goes on; one with a token needs the role', async () => {
  await withStack(
    { appServiceAuth: true, facadeEnvironment: { CALLER_AUTH: 'both', LOCAL_AUTH_UNAUTHENTICATED: 'allow' } },
    async (stack) => {
      expect((await stack.call('GET', SEEDED_PATHS.userStatusSummary)).status).toBe(200);
      const response = await stack.control('POST', 'caller-tokens', { roles: [] });
      const token = ((await response.json()) as { access_token: string }).access_token;
      expect((await stack.call('GET', SEEDED_PATHS.userStatusSummary, { headers: bearer(token) })).status).toBe(403);
    },
  );
});
