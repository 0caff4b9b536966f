import { apiDocuments } from '../../src/api-description/documents';
import { SEED_EXAMPLES } from '../../src/catalog/examples';
import { acceptsApplication, CATALOG, examplePath, type Operation, operationNamed } from '../../src/catalog/operations';
import { openApiSchemas, pointerSegment } from '../support/api-schemas';
import { type FacadeResponse, SEEDED_PATHS, USERS_SIGN_IN, useStack, withStack } from '../support/stack';

// The contract: what the running host answers (success and every error class it can be led to)
// is what its served OpenAPI document says, status, media type, schema and problem type.

// Callers sign in or not: operations Graph accepts only from users are called as the emulator's demo user.
const running = useStack({
  ...USERS_SIGN_IN,
  facadeEnvironment: {
    ...USERS_SIGN_IN.facadeEnvironment,
    GRAPH_TIME_BUDGET_SECONDS: '3',
    GRAPH_IN_DOUBT_WINDOW_SECONDS: '60',
  },
});

/** The caller an operation needs: a signed-in user where Graph accepts no application, else a key caller. */
const callerFor = async (operation: Operation) => (acceptsApplication(operation) ? {} : await running().asUser());

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the served description is read as plain JSON
type Json = any;

async function servedDescription(baseUrl = running().baseUrl): Promise<Json> {
  const response = await fetch(`${baseUrl}/openapi.json`);
  expect(response.status).toBe(200);
  return response.json();
}

/** Checks one real answer of an operation against the served description. */
async function expectInContract(operation: Operation, answer: FacadeResponse, baseUrl?: string): Promise<void> {
  const description = await servedDescription(baseUrl);
  const validate = openApiSchemas(description);
  const method = operation.method.toLowerCase();
  const described: Json = description.paths[`/${operation.route}`][method];
  const at = `${operation.name} ${answer.status}`;
  const documentedStatus = String(answer.status) in described.responses ? String(answer.status) : 'default';
  const response: Json = described.responses[documentedStatus];
  expect({ at, documented: response !== undefined }).toEqual({ at, documented: true });
  expect(answer.headers.get('client-request-id')).toBeTruthy();
  // Every header of the API's own that the answer carries is one the description names for it.
  const describedHeaders = Object.keys(response.headers ?? {}).map((name) => name.toLowerCase());
  for (const name of ['retry-after', 'x-graph-request-id', 'idempotent-replayed', 'location', 'client-request-id']) {
    if (answer.headers.has(name))
      expect({ at, header: name, described: describedHeaders.includes(name) }).toEqual({ at, header: name, described: true });
  }
  if (!response.content) {
    expect({ at, body: answer.text }).toEqual({ at, body: '' });
    return;
  }
  const [mediaType] = Object.keys(response.content) as [string];
  expect(answer.headers.get('content-type')?.split(';')[0]).toBe(mediaType);
  const pointer = `/paths/${pointerSegment(`/${operation.route}`)}/${method}/responses/${documentedStatus}/content/${pointerSegment(mediaType)}/schema`;
  expect({ at, errors: validate(pointer, answer.json) }).toEqual({ at, errors: [] });
  if (mediaType === 'application/problem+json') {
    const kind = String(answer.json.type).split(':').pop();
    expect(response.description).toContain(kind);
  }
}

const pathOf = (operation: Operation, id = 'a1') => examplePath(operation).replace(/\{[A-Za-z]+\}$/, id);

test('the descriptions are served anonymously and name the host that serves them', async () => {
  const expected = apiDocuments(running().baseUrl, 'both');
  for (const [route, document] of [
    ['openapi.json', expected.openApi],
    ['swagger.json', expected.swagger],
  ] as const) {
    const response = await fetch(`${running().baseUrl}/${route}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual(document);
  }
  const served = await servedDescription();
  expect(served.servers).toEqual([{ url: running().baseUrl }]);
});

test('every example of the description is accepted by the host, and its answer is in the contract', async () => {
  for (const example of SEED_EXAMPLES) {
    const operation = operationNamed(example.operation);
    const answer = await running().call(operation.method, `${example.path}?graphVersion=${example.graphVersion}`, {
      body: example.body,
      headers: await callerFor(operation),
    });
    expect({ example: example.title, status: answer.status }).toEqual({
      example: example.title,
      status: operation.kind === 'create' ? 201 : 200,
    });
    await expectInContract(operation, answer);
  }
});

test('a success of every operation is in the contract', async () => {
  const created = await running().call('POST', SEEDED_PATHS.userStatuses, {
    body: { userPrincipalName: 'contract@contoso.example', status: 'compliant' },
  });
  const id = String(created.json.id);
  for (const operation of CATALOG) {
    const seed = SEED_EXAMPLES.find(
      (example) => example.operation === operation.name && example.graphVersion === operation.graphVersions[0],
    );
    const body =
      operation.kind === 'create'
        ? { userPrincipalName: 'another@contoso.example', status: 'compliant' }
        : operation.kind === 'update'
          ? (seed?.body ?? { status: 'error' })
          : undefined;
    const answer = await running().call(operation.method, pathOf(operation, id), {
      ...(body ? { body } : {}),
      headers: await callerFor(operation),
    });
    expect({ operation: operation.name, status: answer.status }).toEqual({
      operation: operation.name,
      status: { read: 200, list: 200, update: 200, create: 201, delete: 204 }[operation.kind],
    });
    await expectInContract(operation, answer);
  }
});

test('Prefer: return=minimal answers 204 with no body, as described', async () => {
  const operation = operationNamed('UpdateDeviceCompliancePolicyUserStatusOverview');
  const answer = await running().call('PATCH', pathOf(operation), {
    body: { pendingCount: 2 },
    headers: { prefer: 'return=minimal' },
  });
  expect(answer.status).toBe(204);
  await expectInContract(operation, answer);
});

describe('every error class the host can be led to is in the contract', () => {
  const summary = operationNamed('UpdateMobileAppConfigurationUserStatusSummary');
  const readSummary = operationNamed('GetMobileAppConfigurationUserStatusSummary');
  const create = operationNamed('CreateMobileAppConfigurationUserStatus');
  const newStatus = { userPrincipalName: 'errors@contoso.example', status: 'compliant' };

  test.each<[string, Operation, () => Promise<FacadeResponse>]>([
    ['validation-failed', readSummary, () => running().call('GET', `${pathOf(readSummary)}?graphVersion=v2`)],
    [
      'validation-failed (body)',
      summary,
      () => running().call('PATCH', pathOf(summary), { body: { pendingCount: -1, nonsense: true } }),
    ],
    [
      'invalid-idempotency-key',
      create,
      () => running().call('POST', pathOf(create), { body: newStatus, headers: { 'idempotency-key': 'k'.repeat(300) } }),
    ],
    [
      'invalid-body',
      summary,
      () => running().call('PATCH', pathOf(summary), { rawBody: '[1, 2]', headers: { 'content-type': 'application/json' } }),
    ],
    [
      'unsupported-media-type',
      summary,
      () => running().call('PATCH', pathOf(summary), { rawBody: 'x', headers: { 'content-type': 'text/plain' } }),
    ],
    [
      'body-too-large',
      summary,
      () =>
        running().call('PATCH', pathOf(summary), {
          rawBody: JSON.stringify({ pendingCount: 1, pad: 'x'.repeat(2_000_000) }),
          headers: { 'content-type': 'application/json' },
        }),
    ],
    [
      'graph-rejected',
      readSummary,
      () => running().call('GET', pathOf(readSummary).replace(/[0-9a-f-]{36}/, 'no-such-configuration')),
    ],
    [
      'graph-throttled',
      readSummary,
      async () => {
        await running().control('POST', 'faults', { method: 'GET', status: 429, retryAfter: '100' });
        return running().call('GET', pathOf(readSummary));
      },
    ],
    [
      'graph-rejected (408, retried until the budget ends)',
      readSummary,
      async () => {
        await running().control('POST', 'faults', { method: 'GET', status: 408, times: 50 });
        return running().call('GET', pathOf(readSummary));
      },
    ],
    [
      'graph-failed',
      readSummary,
      async () => {
        await running().control('POST', 'faults', { method: 'GET', status: 500, times: 50 });
        return running().call('GET', pathOf(readSummary));
      },
    ],
    [
      'graph-timeout',
      readSummary,
      async () => {
        await running().control('POST', 'faults', { method: 'GET', delayMs: 6000, times: 5 });
        return running().call('GET', pathOf(readSummary));
      },
    ],
    [
      'graph-unreachable',
      readSummary,
      async () => {
        await running().control('POST', 'faults', { method: 'GET', reset: true, times: 50 });
        return running().call('GET', pathOf(readSummary));
      },
    ],
    [
      'graph-permission-missing',
      readSummary,
      async () => {
        await running().control('PUT', 'roles', { roles: [] });
        return running().call('GET', pathOf(readSummary));
      },
    ],
  ])('%s', async (_kind, operation, send) => {
    const answer = await send();
    expect(answer.status).toBeGreaterThanOrEqual(400);
    await expectInContract(operation, answer);
  });

  test('idempotency-key-reused and write-in-doubt', async () => {
    const first = await running().call('POST', pathOf(create), { body: newStatus, headers: { 'idempotency-key': 'contract-1' } });
    expect(first.status).toBe(201);
    const reused = await running().call('POST', pathOf(create), {
      body: { ...newStatus, status: 'error' },
      headers: { 'idempotency-key': 'contract-1' },
    });
    expect(reused.status).toBe(422);
    await expectInContract(create, reused);

    // Graph's final refusal is kept with the key and replayed, marked as such.
    await running().control('POST', 'faults', { method: 'POST', status: 409, code: 'Conflict', message: 'exists' });
    const refused = await running().call('POST', pathOf(create), {
      body: newStatus,
      headers: { 'idempotency-key': 'contract-3' },
    });
    const replayed = await running().call('POST', pathOf(create), {
      body: newStatus,
      headers: { 'idempotency-key': 'contract-3' },
    });
    expect([refused.status, replayed.status, replayed.headers.get('idempotent-replayed')]).toEqual([409, 409, 'true']);
    await expectInContract(create, replayed);

    // A create Graph does not answer within the budget may land later: the app takes it over (202),
    // and its retry is given the same operation.
    await running().control('POST', 'faults', { method: 'POST', delayMs: 6000 });
    const handedOver = await running().call('POST', pathOf(create), {
      body: newStatus,
      headers: { 'idempotency-key': 'contract-2' },
    });
    expect(handedOver.status).toBe(202);
    await expectInContract(create, handedOver);
    const sameOperation = await running().call('POST', pathOf(create), {
      body: newStatus,
      headers: { 'idempotency-key': 'contract-2' },
    });
    expect(sameOperation.headers.get('location')).toBe(handedOver.headers.get('location'));
    await expectInContract(create, sameOperation);
  });

  test('graph-timeout and write-in-doubt, where the app has no queue service to take a write over', async () => {
    const create = operationNamed('CreateMobileAppConfigurationUserStatus');
    const newStatus = { userPrincipalName: 'in-doubt@contoso.example', status: 'compliant' };
    await withStack(
      { writeQueue: 'none', facadeEnvironment: { GRAPH_TIME_BUDGET_SECONDS: '3', GRAPH_IN_DOUBT_WINDOW_SECONDS: '60' } },
      async (stack) => {
        await stack.control('POST', 'faults', { method: 'POST', delayMs: 6000 });
        const timedOut = await stack.call('POST', pathOf(create), {
          body: newStatus,
          headers: { 'idempotency-key': 'contract-2' },
        });
        expect(timedOut.status).toBe(504);
        await expectInContract(create, timedOut, stack.baseUrl);
        const retried = await stack.call('POST', pathOf(create), {
          body: newStatus,
          headers: { 'idempotency-key': 'contract-2' },
        });
        expect(retried.json?.type).toBe('urn:intune-status-facade:problem:write-in-doubt');
        await expectInContract(create, retried, stack.baseUrl);
      },
    );
  });
});

test('the reference page serves its own assets and nothing else under /api/docs', async () => {
  const base = running().baseUrl;
  const page = await fetch(`${base}/docs`);
  expect(page.status).toBe(200);
  expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
  const html = await page.text();
  const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1] as string);
  expect(assets.length).toBeGreaterThan(0);
  for (const asset of assets) {
    expect(asset.startsWith('/api/docs/')).toBe(true);
    const answer = await fetch(new URL(asset, base));
    expect({ asset, status: answer.status }).toEqual({ asset, status: 200 });
  }
  for (const hostile of [
    '..%2F..%2Fpackage.json',
    '%2e%2e',
    '__proto__',
    'constructor',
    'toString',
    'index.html',
    'swagger-ui-bundle.js.map',
  ]) {
    const answer = await fetch(`${base}/docs/${hostile}`);
    expect({ hostile, status: answer.status, type: answer.headers.get('content-type') }).toEqual({
      hostile,
      status: 404,
      type: 'application/problem+json',
    });
  }
});

test.each([
  ['without a queue service, a 429 of its own', 'none', 429],
  ['with one, a 202: the app finishes the write when its turn comes', 'queue', 202],
] as const)("a turn the app's budget cannot give in time: %s, in the contract", async (_case, writeQueue, status) => {
  const overview = operationNamed('UpdateDeviceCompliancePolicyUserStatusOverview');
  await withStack(
    { writeQueue, facadeEnvironment: { GRAPH_WRITES_PER_20S: '1', GRAPH_WRITE_BURST: '1', GRAPH_TIME_BUDGET_SECONDS: '3' } },
    async (stack) => {
      const first = await stack.call('PATCH', pathOf(overview), { body: { pendingCount: 1 } });
      const second = await stack.call('PATCH', pathOf(overview), { body: { pendingCount: 2 } });
      expect(first.status).toBe(200);
      expect(second.status).toBe(status);
      if (status === 429) {
        expect(second.json.type).toBe('urn:intune-status-facade:problem:request-budget-exhausted');
        expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(3);
      } else {
        expect(second.json).toMatchObject({ state: 'queued' });
        expect(second.headers.get('location')).toMatch(/\/operations\//);
        expect(Number(second.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      }
      await expectInContract(overview, second, stack.baseUrl);
    },
  );
});
