import { CATALOG } from '../../src/catalog/operations';
import { SEEDED_IDS, SEEDED_PATHS, startHostProcess, useStack, withStack } from '../support/stack';

const running = useStack();

const summary = SEEDED_PATHS.userStatusSummary;
const statuses = SEEDED_PATHS.userStatuses;
const overview = SEEDED_PATHS.userStatusOverview;
const validStatus = { userPrincipalName: 'megan.bowen@contoso.example', status: 'compliant' };

describe('over real sockets: host -> ManagedIdentityCredential -> identity endpoint -> HTTPS Graph', () => {
  test('the call carries a managed identity token for the Graph audience, and correlation both ways', async () => {
    const answer = await running().call('GET', summary, { headers: { 'client-request-id': 'logic-app-run-42' } });

    expect(answer.status).toBe(200);
    expect(answer.headers.get('client-request-id')).toBe('logic-app-run-42');
    const [graphCall] = running().emulator.requests;
    expect(graphCall).toMatchObject({ method: 'GET', version: 'v1.0', bearerToken: true, clientRequestId: 'logic-app-run-42' });
    expect(graphCall?.path).toBe(
      `/deviceAppManagement/mobileAppConfigurations/${SEEDED_IDS.mobileAppConfiguration}/userStatusSummary`,
    );
    // The user-assigned identity the emulator's settings name, as the Bicep sets AZURE_CLIENT_ID.
    expect(running().emulator.tokenRequests.at(-1)).toEqual({
      resource: 'https://graph.microsoft.com',
      clientId: running().emulator.facadeEnvironment().AZURE_CLIENT_ID,
    });
    expect(answer.headers.get('x-graph-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.json).not.toHaveProperty('@odata.context');
  });

  test('x-ms-client-request-id is accepted too; without either, one is generated', async () => {
    const given = await running().call('GET', summary, { headers: { 'x-ms-client-request-id': 'flow-7' } });
    const generated = await running().call('GET', summary);
    expect(given.headers.get('client-request-id')).toBe('flow-7');
    expect(generated.headers.get('client-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(running().emulator.requests[1]?.clientRequestId).toBe(generated.headers.get('client-request-id'));
  });

  test('a PATCH asks Graph for the representation and answers 200 with it', async () => {
    const answer = await running().call('PATCH', overview, { body: { successCount: 30 } });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ successCount: 30, failedCount: 2 });
    expect(running().emulator.requests[0]?.prefer).toBe('return=representation');
  });

  test('when Graph answers a PATCH with 204 (its default here, as in Intune), the facade reads the entity back: 200 with it', async () => {
    const answer = await running().call('PATCH', overview, { body: { successCount: 31 } });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ successCount: 31, failedCount: 2 });
    expect(running().emulator.requests.map((request) => request.method)).toEqual(['PATCH', 'GET']);
  });

  test('Prefer: return=minimal answers 204 and reads nothing back', async () => {
    const answer = await running().call('PATCH', overview, { body: { successCount: 32 }, headers: { prefer: 'return=minimal' } });
    expect(answer.status).toBe(204);
    expect(answer.text).toBe('');
    expect(running().emulator.requests.map((request) => request.method)).toEqual(['PATCH']);
    expect((await running().call('GET', overview)).json.successCount).toBe(32);
  });

  // RFC 7240: a preference's value may be quoted, and parameters may follow it after `;`.
  test.each(['return="minimal"', 'return=minimal; foo=bar', 'handling=lenient, Return = Minimal'])(
    'Prefer: %s is read as return=minimal',
    async (prefer) => {
      const answer = await running().call('PATCH', overview, { body: { successCount: 33 }, headers: { prefer } });
      expect(answer.status).toBe(204);
      expect(running().emulator.requests.map((request) => request.method)).toEqual(['PATCH']);
    },
  );

  test('a user status lives through create, list, get, update and delete', async () => {
    const created = await running().call('POST', statuses, { body: { ...validStatus, devicesCount: 2 } });
    expect(created.status).toBe(201);
    const location = created.headers.get('location') as string;
    expect(location).toBe(`${running().baseUrl}/${statuses}/${created.json.id as string}`);

    const listed = await running().call('GET', statuses);
    expect(listed.json.value.map((status: { id: string }) => status.id)).toContain(created.json.id);
    expect(listed.json).not.toHaveProperty('nextLink');

    const itemPath = new URL(location).pathname.replace(/^\/api\//, '');
    expect((await running().call('PATCH', itemPath, { body: { status: 'error' } })).json.status).toBe('error');
    expect((await running().call('GET', itemPath)).json).toMatchObject({ ...validStatus, status: 'error', devicesCount: 2 });
    const deleted = await running().call('DELETE', itemPath);
    expect(deleted.status).toBe(204);
    const gone = await running().call('GET', itemPath);
    expect(gone.status).toBe(404);
    expect(gone.json.graph.code).toBe('ResourceNotFound');
  });

  test("a list pages with facade nextLinks that carry Graph's paging token", async () => {
    const many = Array.from({ length: 7 }, (_, index) => ({
      userPrincipalName: `user${index}@contoso.example`,
      status: 'compliant',
    }));
    await running().control('POST', 'seed', { mobileAppConfigurations: [{ id: 'paged-configuration', userStatuses: many }] });
    const seen: string[] = [];
    let next: string | undefined = `${running().baseUrl}/mobile-app-configurations/paged-configuration/user-statuses?top=3`;
    let pages = 0;
    while (next && pages < 10) {
      expect(next.startsWith(`${running().baseUrl}/mobile-app-configurations/paged-configuration/user-statuses?`)).toBe(true);
      const page = await running().call('GET', next.slice(running().baseUrl.length + 1));
      expect(page.status).toBe(200);
      seen.push(...page.json.value.map((status: { userPrincipalName: string }) => status.userPrincipalName));
      next = page.json.nextLink;
      pages += 1;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(many.map((status) => status.userPrincipalName));
  });
});

describe('a DELETE repeated after an attempt that may have been applied', () => {
  test('answers 204 when the repeat finds the item already gone', async () => {
    const created = await running().call('POST', statuses, { body: validStatus });
    const item = `${statuses}/${created.json.id as string}`;
    await running().control('POST', 'faults', { method: 'DELETE', applyThenStatus: 503 });
    const deleted = await running().call('DELETE', item);
    expect(deleted.status).toBe(204);
    expect(running().emulator.requests.filter((request) => request.method === 'DELETE')).toHaveLength(2);
    expect((await running().call('GET', item)).status).toBe(404);
  });
});

describe("Graph's refusals are passed on, never masked", () => {
  test('an unknown parent id: 404 with Graph code and request id', async () => {
    const answer = await running().call(
      'GET',
      'mobile-app-configurations/00000000-0000-0000-0000-000000000000/user-status-summary',
    );
    expect(answer.status).toBe(404);
    expect(answer.headers.get('content-type')).toBe('application/problem+json');
    expect(answer.json.graph).toMatchObject({
      status: 404,
      code: 'ResourceNotFound',
      requestId: answer.headers.get('x-graph-request-id'),
    });
    expect(answer.json.graph.date).toEqual(expect.any(String));
  });

  test('a Graph 400 passes through with its code and message', async () => {
    await running().control('POST', 'faults', {
      method: 'PATCH',
      status: 400,
      code: 'ModelValidationFailure',
      message: 'configurationVersion cannot decrease',
    });
    const answer = await running().call('PATCH', summary, { body: { configurationVersion: 1 } });
    expect(answer.status).toBe(400);
    expect(answer.json.graph).toMatchObject({
      status: 400,
      code: 'ModelValidationFailure',
      message: 'configurationVersion cannot decrease',
    });
  });

  test('a Graph 409 passes through', async () => {
    await running().control('POST', 'faults', { method: 'POST', status: 409, code: 'Conflict', message: 'exists' });
    const answer = await running().call('POST', statuses, { body: validStatus });
    expect(answer.status).toBe(409);
    expect(answer.json.graph.code).toBe('Conflict');
  });

  test.each([
    [summary, 'DeviceManagementApps.ReadWrite.All'],
    [overview, 'DeviceManagementConfiguration.ReadWrite.All'],
  ])('without the role, %s answers 502 naming %s', async (path, permission) => {
    await running().control('PUT', 'roles', { roles: [] });
    const answer = await running().call('GET', path);
    expect(answer.status).toBe(502);
    expect(answer.json.detail).toContain(permission);
    expect(answer.json.graph).toMatchObject({ status: 403, code: 'Forbidden' });
  });

  test('a read-only role reads but cannot write', async () => {
    await running().control('PUT', 'roles', { roles: ['DeviceManagementApps.Read.All'] });
    expect((await running().call('GET', summary)).status).toBe(200);
    const write = await running().call('PATCH', summary, { body: { pendingCount: 1 } });
    expect(write.status).toBe(502);
    expect(write.json.detail).toContain('DeviceManagementApps.ReadWrite.All');
  });
});

describe('retries toward Graph', () => {
  test('a GET after a 503 is retried and succeeds', async () => {
    await running().control('POST', 'faults', { method: 'GET', status: 503, headers: { 'retry-after': '0' } });
    const answer = await running().call('GET', summary);
    expect(answer.status).toBe(200);
    expect(running().emulator.requests).toHaveLength(2);
  });

  test('a POST after a 503 is never sent again blindly: the facade looks for it first', async () => {
    await running().control('POST', 'faults', { method: 'POST', status: 503, headers: { 'retry-after': '0' } });
    const notApplied = await running().call('POST', statuses, { body: validStatus });
    expect(notApplied.status).toBe(201);
    expect(running().emulator.requests.map((request) => request.method)).toEqual(['POST', 'GET', 'POST']);

    await running().control('POST', 'reset');
    await running().control('POST', 'faults', { method: 'POST', applyThenStatus: 503 });
    const applied = await running().call('POST', statuses, { body: validStatus });
    expect(applied.status).toBe(201);
    expect(running().emulator.requests.map((request) => request.method)).toEqual(['POST', 'GET']);
    const upns = [
      ...(running().emulator.state.mobileAppConfigurations.get(SEEDED_IDS.mobileAppConfiguration)?.userStatuses.values() ?? []),
    ].map((entity) => entity.userPrincipalName);
    expect(upns.filter((upn) => upn === validStatus.userPrincipalName)).toHaveLength(1);
  });

  test('a POST after a 429 is retried: a throttled request was not applied', async () => {
    await running().control('POST', 'faults', { method: 'POST', status: 429, headers: { 'retry-after': '0' } });
    const answer = await running().call('POST', statuses, { body: validStatus });
    expect(answer.status).toBe(201);
    expect(running().emulator.requests.filter((request) => request.method === 'POST')).toHaveLength(2);
  });

  test('a long Retry-After does not hold the call: the write is handed over to the app, due when Graph said', async () => {
    await running().control('POST', 'faults', { method: 'PATCH', status: 429, headers: { 'retry-after': '120' } });
    const startedMs = Date.now();
    const answer = await running().call('PATCH', summary, { body: { pendingCount: 1 } });
    expect(Date.now() - startedMs).toBeLessThan(60_000);
    expect(answer.status).toBe(202);
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(119);
    expect(answer.json).toMatchObject({ state: 'queued', notBefore: expect.any(String) });
    expect(Date.parse(answer.json.notBefore) - startedMs).toBeGreaterThanOrEqual(119_000);
  });

  test('without a queue service, a long Retry-After is handed to the caller as 429 instead of holding the call', async () => {
    await withStack({ writeQueue: 'none' }, async (stack) => {
      await stack.control('POST', 'faults', { method: 'PATCH', status: 429, headers: { 'retry-after': '120' } });
      const answer = await stack.call('PATCH', summary, { body: { pendingCount: 1 } });
      expect(answer.status).toBe(429);
      expect(answer.headers.get('retry-after')).toBe('120');
      expect(answer.json.graph.code).toBe('TooManyRequests');
    });
  });
});

describe('when Graph cannot be asked', () => {
  test('no token (the identity endpoint refuses): 503 with Retry-After, and nothing sent to Graph', async () => {
    await withStack({ facadeEnvironment: { IDENTITY_HEADER: 'not-the-header' } }, async (noToken) => {
      const answer = await noToken.call('GET', summary);
      expect(answer.status).toBe(503);
      expect(answer.json.type).toBe('urn:intune-status-facade:problem:token-unavailable');
      expect(answer.headers.get('retry-after')).toBeTruthy();
      expect(noToken.emulator.requests).toHaveLength(0);
    });
  });

  test('Graph unreachable: 502', async () => {
    await withStack({ facadeEnvironment: { GRAPH_BASE_URL: 'https://localhost:9' } }, async (unreachable) => {
      const answer = await unreachable.call('GET', summary);
      expect(answer.status).toBe(502);
      expect(answer.json.type).toBe('urn:intune-status-facade:problem:graph-unreachable');
    });
  });

  test('a Graph 500 on a read is asked again; one that persists is a 502 that carries what Graph said', async () => {
    await running().control('POST', 'faults', {
      method: 'GET',
      status: 500,
      code: 'InternalServerError',
      message: 'boom',
      retryAfter: '0',
    });
    expect((await running().call('GET', summary)).status).toBe(200);

    await running().control('POST', 'faults', {
      method: 'GET',
      status: 500,
      code: 'InternalServerError',
      message: 'boom',
      retryAfter: '0',
      times: 10,
    });
    const answer = await running().call('GET', summary);
    expect(answer.status).toBe(502);
    expect(answer.json.graph).toMatchObject({ status: 500, code: 'InternalServerError' });
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });
});

describe('logs', () => {
  test('one telemetry record per call, with operation, status, Graph request id and duration', async () => {
    const answer = await running().call('GET', summary, { headers: { 'client-request-id': 'log-check-1' } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const records = running()
      .telemetry()
      .filter((line) => line.type === 'record' && line.attributes.client_request_id === 'log-check-1');
    expect(records).toHaveLength(1);
    expect(records[0]?.attributes).toMatchObject({
      event: 'facade.call',
      operation: 'GetMobileAppConfigurationUserStatusSummary',
      'http.response.status_code': 200,
      'graph.status': 200,
      'graph.request_id': answer.headers.get('x-graph-request-id'),
      duration_ms: expect.any(Number),
    });
  });

  test('no token ever appears in the output of the host', async () => {
    await running().call('GET', summary);
    await running().call('PATCH', summary, { body: { pendingCount: 5 } });
    expect(running().emulator.issuedTokens.length).toBeGreaterThan(0);
    const output = running().output();
    for (const token of running().emulator.issuedTokens) expect(output).not.toContain(token.split('.')[2]);
    expect(output).not.toContain(running().emulator.identityHeader);
    expect(output).not.toMatch(/Bearer\s+ey/);
  });
});

describe('settings', () => {
  test('a user-assigned identity is asked for by client id', async () => {
    await withStack({ facadeEnvironment: { AZURE_CLIENT_ID: '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0' } }, async (userAssigned) => {
      expect((await userAssigned.call('GET', summary)).status).toBe(200);
      expect(userAssigned.emulator.tokenRequests).toEqual([
        { resource: 'https://graph.microsoft.com', clientId: '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0' },
      ]);
      expect((await userAssigned.call('GET', 'health')).json.credential).toContain('user-assigned');
    });
  });

  test('a national cloud gets its own audience; a token for another cloud is refused', async () => {
    await withStack({ emulator: { cloud: 'USGov' } }, async (usGov) => {
      expect((await usGov.call('GET', summary)).status).toBe(200);
      expect(usGov.emulator.tokenRequests.at(-1)?.resource).toBe('https://graph.microsoft.us');
    });
    await withStack({ emulator: { cloud: 'USGov' }, facadeEnvironment: { GRAPH_CLOUD: 'Global' } }, async (mismatched) => {
      const answer = await mismatched.call('GET', summary);
      expect(answer.status).toBe(502);
      expect(answer.json.graph).toMatchObject({ status: 401, code: 'InvalidAuthenticationToken' });
    });
  });

  test('a bad setting stops the app with a message naming it and the accepted values', async () => {
    await expect(startHostProcess({ GRAPH_CLOUD: 'Mars' })).rejects.toThrow(
      /GRAPH_CLOUD must be one of Global, USGov, USGovDoD, China/,
    );
    await expect(startHostProcess({ GRAPH_BASE_URL: 'http://localhost:1' })).rejects.toThrow(/GRAPH_BASE_URL must use https/);
  });

  test('the health route shows configuration and no secret', async () => {
    const health = await running().call('GET', 'health');
    expect(health.status).toBe(200);
    expect(health.json).toMatchObject({
      status: 'ok',
      graphCloud: 'Global',
      graphRootOverridden: true,
      credential: 'ManagedIdentityCredential (user-assigned)',
      operations: CATALOG.length,
    });
    expect(health.json.node).toMatch(/^v22\./);
    expect(health.text).not.toContain(running().emulator.identityHeader);
  });
});

describe('headers every answer carries', () => {
  test('never sniffed as another type; tenant data never kept by a cache; the descriptions and reference page say how they may be', async () => {
    const url = (path: string) => `${running().baseUrl}/${path}`;
    const entity = await fetch(url(SEEDED_PATHS.userStatusSummary));
    const problem = await fetch(url(`${SEEDED_PATHS.userStatusSummary}?graphVersion=v9`));
    const notFound = await fetch(url('no-such-route'));
    const accepted = await fetch(url(SEEDED_PATHS.userStatusOverview), {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', prefer: 'respond-async' },
      body: JSON.stringify({ successCount: 3 }),
    });
    const operation = await fetch(accepted.headers.get('location') as string);
    const health = await fetch(url('health'));
    const description = await fetch(url('openapi.json'));
    const page = await fetch(url('docs'));
    const answers = { entity, problem, notFound, accepted, operation, health, description, page };
    const seen = Object.fromEntries(
      Object.entries(answers).map(([name, answer]) => [
        name,
        {
          status: answer.status,
          nosniff: answer.headers.get('x-content-type-options'),
          cache: answer.headers.get('cache-control'),
        },
      ]),
    );
    expect(seen).toEqual({
      entity: { status: 200, nosniff: 'nosniff', cache: 'no-store' },
      problem: { status: 422, nosniff: 'nosniff', cache: 'no-store' },
      notFound: { status: 404, nosniff: 'nosniff', cache: 'no-store' },
      accepted: { status: 202, nosniff: 'nosniff', cache: 'no-store' },
      operation: { status: expect.any(Number), nosniff: 'nosniff', cache: 'no-store' },
      health: { status: 200, nosniff: 'nosniff', cache: 'no-store' },
      description: { status: 200, nosniff: 'nosniff', cache: 'no-cache' },
      page: { status: 200, nosniff: 'nosniff', cache: 'no-cache' },
    });
  });
});
