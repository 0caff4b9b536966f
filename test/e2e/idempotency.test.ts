import { SEEDED_IDS, SEEDED_PATHS, startStack, useStack, withStack } from '../support/stack';

const running = useStack();

const statuses = SEEDED_PATHS.userStatuses;
const summary = SEEDED_PATHS.userStatusSummary;
const status = (upn: string) => ({ userPrincipalName: upn, status: 'compliant', devicesCount: 1 });
const key = (name: string) => ({ 'idempotency-key': `${name}-${Math.random().toString(36).slice(2)}` });
const graphPosts = () => running().emulator.requests.filter((request) => request.method === 'POST');
const storedStatuses = (upn: string) =>
  [
    ...(running().emulator.state.mobileAppConfigurations.get(SEEDED_IDS.mobileAppConfiguration)?.userStatuses.values() ?? []),
  ].filter((entity) => entity.userPrincipalName === upn);

describe('Idempotency-Key', () => {
  test('the same key and body within 24 h replays the stored answer and sends nothing to Graph', async () => {
    const headers = key('replay');
    const first = await running().call('POST', statuses, { body: status('replay@contoso.example'), headers });
    const second = await running().call('POST', statuses, {
      body: { devicesCount: 1, status: 'compliant', userPrincipalName: 'replay@contoso.example' },
      headers,
    });

    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.json).toEqual(first.json);
    expect(second.headers.get('location')).toBe(first.headers.get('location'));
    expect(graphPosts()).toHaveLength(1);
    expect(storedStatuses('replay@contoso.example')).toHaveLength(1);
  });

  test('the same key with a different body is refused with 422', async () => {
    const headers = key('mismatch');
    await running().call('POST', statuses, { body: status('one@contoso.example'), headers });
    const second = await running().call('POST', statuses, { body: status('two@contoso.example'), headers });
    expect(second.status).toBe(422);
    expect(second.json.type).toBe('urn:intune-status-facade:problem:idempotency-key-reused');
    expect(graphPosts()).toHaveLength(1);
  });

  test('a retry that only adds the entity’s own @odata.type or id is the same request: replayed, not refused', async () => {
    const headers = key('annotations');
    const body = status('annotated@contoso.example');
    const first = await running().call('POST', statuses, { body, headers });
    const withType = await running().call('POST', statuses, {
      body: { '@odata.type': '#microsoft.graph.managedDeviceMobileAppConfigurationUserStatus', ...body },
      headers,
    });
    const withId = await running().call('POST', statuses, { body: { ...body, id: 'any-id', '@odata.etag': 'W/"1"' }, headers });
    expect([first.status, withType.status, withId.status]).toEqual([201, 201, 201]);
    expect([withType.headers.get('idempotent-replayed'), withId.headers.get('idempotent-replayed')]).toEqual(['true', 'true']);
    expect(graphPosts()).toHaveLength(1);
  });

  test.each([
    ['256 characters', 'k'.repeat(256)],
    ['non-ASCII', 'clé-é'],
    ['empty', ''],
  ])('a key of %s is refused with 400 before anything is sent', async (_name, value) => {
    const answer = await running().call('POST', statuses, {
      body: status('bad-key@contoso.example'),
      headers: { 'idempotency-key': value },
    });
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toBe('application/problem+json');
    expect(running().emulator.requests).toHaveLength(0);
  });

  test('a key of 255 characters is accepted', async () => {
    const answer = await running().call('POST', statuses, {
      body: status('long-key@contoso.example'),
      headers: { 'idempotency-key': 'k'.repeat(255) },
    });
    expect(answer.status).toBe(201);
  });

  test('PATCH and DELETE accept keys and replay too', async () => {
    const patchKey = key('patch');
    const patched = await running().call('PATCH', summary, { body: { pendingCount: 9 }, headers: patchKey });
    const replayedPatch = await running().call('PATCH', summary, { body: { pendingCount: 9 }, headers: patchKey });
    expect([patched.status, replayedPatch.status]).toEqual([200, 200]);
    expect(replayedPatch.headers.get('idempotent-replayed')).toBe('true');

    const created = await running().call('POST', statuses, { body: status('delete-me@contoso.example') });
    const item = `${statuses}/${created.json.id as string}`;
    const deleteKey = key('delete');
    const deleted = await running().call('DELETE', item, { headers: deleteKey });
    const replayedDelete = await running().call('DELETE', item, { headers: deleteKey });
    expect([deleted.status, replayedDelete.status]).toEqual([204, 204]);
    expect(running().emulator.requests.filter((request) => request.method !== 'GET' && request.method !== 'POST')).toHaveLength(
      2,
    );
  });

  test('a key on a GET changes nothing: reads are sent every time', async () => {
    const headers = key('read');
    const first = await running().call('GET', summary, { headers });
    const second = await running().call('GET', summary, { headers });
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.headers.get('idempotent-replayed')).toBeNull();
    expect(running().emulator.requests).toHaveLength(2);
  });

  test('a write Graph throttles past its budget is handed over under its key: a retry names the same operation, applied once', async () => {
    await running().control('POST', 'faults', { method: 'PATCH', status: 429, headers: { 'retry-after': '1' }, times: 20 });
    const headers = key('handed-over');
    const throttled = await running().call('PATCH', summary, { body: { pendingCount: 4 }, headers });
    expect(throttled.status).toBe(202);
    const location = throttled.headers.get('location') as string;
    const retried = await running().call('PATCH', summary, { body: { pendingCount: 4 }, headers });
    expect({ status: retried.status, location: retried.headers.get('location') }).toEqual({ status: 202, location });
    await running().control('DELETE', 'faults');
    let final = await fetch(location);
    for (let poll = 0; final.status === 202 && poll < 60; poll++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      final = await fetch(location);
    }
    expect(final.status).toBe(200);
    const applied = running().emulator.requests.filter((request) => request.method === 'PATCH' && request.applied);
    expect(applied).toHaveLength(1);
  });

  test('without a queue service, a throttled attempt frees the key, so the retry is sent afresh', async () => {
    await withStack({ writeQueue: 'none' }, async (stack) => {
      // Graph throttles every attempt the facade makes within the call.
      await stack.control('POST', 'faults', { method: 'PATCH', status: 429, headers: { 'retry-after': '1' }, times: 20 });
      const headers = key('free');
      const throttled = await stack.call('PATCH', summary, { body: { pendingCount: 4 }, headers });
      expect(throttled.status).toBe(429);
      await stack.control('DELETE', 'faults');
      // The retry comes after Graph's Retry-After, as a caller honouring it sends it: the app holds every write until then.
      await new Promise((resolve) => setTimeout(resolve, Number(throttled.headers.get('retry-after')) * 1000 + 100));
      const retried = await stack.call('PATCH', summary, { body: { pendingCount: 4 }, headers });
      expect(retried.status).toBe(200);
      expect(retried.headers.get('idempotent-replayed')).toBeNull();
    });
  });
});

describe('where the records live', () => {
  test('an unreachable store answers 503 with Retry-After and sends nothing to Graph', async () => {
    await withStack(
      {
        facadeEnvironment: { IdempotencyStorage__tableServiceUri: 'https://127.0.0.1:9/devstoreaccount1' },
      },
      async (noStore) => {
        const answer = await noStore.call('POST', statuses, {
          body: status('no-store@contoso.example'),
          headers: key('no-store'),
        });
        expect(answer.status).toBe(503);
        expect(answer.json.type).toBe('urn:intune-status-facade:problem:idempotency-store-unavailable');
        expect(answer.headers.get('retry-after')).toBeTruthy();
        expect(noStore.emulator.requests).toHaveLength(0);
      },
    );
  });

  test('in Azure Table Storage (Azurite here): a replay survives a restart of the facade', async () => {
    const table = `keys${Date.now()}`;
    const headers = key('restart');
    const before = await startStack({ facadeEnvironment: { IDEMPOTENCY_TABLE_NAME: table } });
    let first;
    try {
      expect((await before.call('GET', 'health')).json.idempotencyStore).toMatch(
        /^table storage \(http:\/\/127\.0\.0\.1:\d+, table /,
      );
      first = await before.call('POST', statuses, { body: status('restart@contoso.example'), headers });
    } finally {
      await before.stop();
    }
    await withStack({ facadeEnvironment: { IDEMPOTENCY_TABLE_NAME: table } }, async (after) => {
      const replayed = await after.call('POST', statuses, { body: status('restart@contoso.example'), headers });
      expect(replayed.status).toBe(201);
      expect(replayed.headers.get('idempotent-replayed')).toBe('true');
      expect(replayed.json).toEqual(first.json);
      expect(after.emulator.requests).toHaveLength(0);
    });
  });

  test('a connection string that is not one stops the app with a message naming the setting', async () => {
    await expect(
      startStack({ facadeEnvironment: { IdempotencyStorage: 'AccountName=x;SharedAccessSignature=' } }),
    ).rejects.toThrow(/IdempotencyStorage is not a usable connection string/);
  });

  test('in memory when no storage is configured, and the health route says so', async () => {
    await withStack({ idempotencyStore: 'memory' }, async (memory) => {
      expect((await memory.call('GET', 'health')).json.idempotencyStore).toMatch(/^in-memory/);
      const headers = key('memory');
      await memory.call('POST', statuses, { body: status('memory@contoso.example'), headers });
      const replayed = await memory.call('POST', statuses, { body: status('memory@contoso.example'), headers });
      expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    });
  });
});
