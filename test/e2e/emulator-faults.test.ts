import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

import { type GraphEmulator, type RecordedRequest, startGraphEmulator } from '../../dev/graph-emulator/server';
import { SEEDED_IDS } from '../../dev/graph-emulator/state';

// The emulator's faults, driven the way a reliability suite drives them: over its plain-HTTP
// control surface, with Graph called over HTTPS with tokens from its identity endpoint.

let emulator: GraphEmulator;
let certificate: Buffer;
beforeAll(async () => {
  emulator = await startGraphEmulator();
  certificate = readFileSync(emulator.certPath);
});
afterAll(() => emulator.close());
beforeEach(async () => {
  expect((await control('POST', 'reset')).status).toBe(204);
});

const configuration = `/deviceAppManagement/mobileAppConfigurations/${SEEDED_IDS.mobileAppConfiguration}`;
const summary = `${configuration}/userStatusSummary`;
const statuses = `${configuration}/userStatuses`;
const OTHER_APP = '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';

interface GraphResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions read the emulator's JSON of any shape
  readonly json: any;
}

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

function control(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${emulator.controlUrl}/${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions read the emulator's JSON of any shape
async function controlJson(method: string, path: string, body?: unknown): Promise<any> {
  const response = await control(method, path, body);
  expect(response.status).toBe(200);
  return response.json();
}

/** A managed identity token, system-assigned unless a client id names a user-assigned one. */
async function tokenFor(clientId?: string): Promise<string> {
  const url = new URL(emulator.identityEndpoint);
  url.searchParams.set('api-version', '2019-08-01');
  url.searchParams.set('resource', 'https://graph.microsoft.com');
  if (clientId) url.searchParams.set('client_id', clientId);
  const response = await fetch(url, { headers: { 'X-IDENTITY-HEADER': emulator.identityHeader } });
  return ((await response.json()) as { access_token: string }).access_token;
}

/** One Graph call on its own connection, so that a destroyed connection affects only this call. */
function graph(method: string, path: string, options: { token?: string; body?: unknown } = {}): Promise<GraphResponse> {
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string> = { 'client-request-id': `faults-${method}-${Date.now()}` };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const outgoing = httpsRequest(
      `${emulator.graphUrl}/v1.0${path}`,
      { method, headers, ca: certificate, agent: false },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('error', reject);
        incoming.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, json: text ? JSON.parse(text) : undefined });
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

const SOCKET_ERROR = /socket hang up|ECONNRESET/;
const newStatus = (userPrincipalName: string) => ({ userPrincipalName, status: 'compliant' });
const principalNames = (state: GraphEmulator['state']) =>
  [...(state.mobileAppConfigurations.get(SEEDED_IDS.mobileAppConfiguration)?.userStatuses.values() ?? [])].map(
    (status) => status.userPrincipalName,
  );
const lastRecorded = (): RecordedRequest => emulator.requests.at(-1) as RecordedRequest;

describe("Intune's throttling windows", () => {
  test('by default, Intune limits over 20 seconds are in force', async () => {
    expect(await controlJson('GET', 'throttling')).toEqual({
      enabled: true,
      windowSeconds: 20,
      writesPerApp: 100,
      requestsPerApp: 1000,
      writesPerTenant: 200,
      requestsPerTenant: 2000,
    });
  });

  test("over the limit: 429 with Retry-After and Graph's error body, not applied; after the window, served again", async () => {
    const settings = await controlJson('PUT', 'throttling', { enabled: true, windowSeconds: 1, writesPerApp: 2 });
    expect(settings).toMatchObject({ windowSeconds: 1, writesPerApp: 2, requestsPerApp: 1000, writesPerTenant: 200 });
    const token = await tokenFor();

    expect((await graph('PATCH', summary, { token, body: { pendingCount: 1 } })).status).toBe(204);
    expect((await graph('PATCH', summary, { token, body: { pendingCount: 2 } })).status).toBe(204);
    const throttled = await graph('PATCH', summary, { token, body: { pendingCount: 3 } });

    expect(throttled.status).toBe(429);
    expect(throttled.headers['retry-after']).toBe('1');
    expect(throttled.json.error).toEqual({
      code: 'TooManyRequests',
      message: expect.stringContaining('2 writes per 1 seconds'),
      innerError: {
        date: expect.any(String),
        'request-id': throttled.headers['request-id'],
        'client-request-id': expect.any(String),
      },
    });
    expect(lastRecorded()).toMatchObject({ outcome: 'throttled', applied: false });
    expect((await graph('GET', summary, { token })).json.pendingCount).toBe(2);

    await sleep(Number(throttled.headers['retry-after']) * 1000 + 50);
    expect((await graph('PATCH', summary, { token, body: { pendingCount: 4 } })).status).toBe(204);
    expect((await graph('GET', summary, { token })).json.pendingCount).toBe(4);
  });

  test('writes and all requests are counted in separate windows', async () => {
    await control('PUT', 'throttling', { enabled: true, writesPerApp: 2, requestsPerApp: 4 });
    const token = await tokenFor();
    const statuses = [
      (await graph('PATCH', summary, { token, body: { pendingCount: 1 } })).status,
      (await graph('PATCH', summary, { token, body: { pendingCount: 2 } })).status,
      (await graph('PATCH', summary, { token, body: { pendingCount: 3 } })).status,
      (await graph('GET', summary, { token })).status,
      (await graph('GET', summary, { token })).status,
      (await graph('GET', summary, { token })).status,
    ];
    // The throttled write takes no place, so two reads fit beside the two writes.
    expect(statuses).toEqual([204, 204, 429, 200, 200, 429]);
  });

  test("apps have their own windows, and the tenant's window spans them", async () => {
    await control('PUT', 'throttling', { enabled: true, writesPerApp: 2, writesPerTenant: 3 });
    const [first, second] = await Promise.all([tokenFor(), tokenFor(OTHER_APP)]);
    const write = (token: string) => graph('PATCH', summary, { token, body: { successCount: 1 } });

    expect([(await write(first)).status, (await write(first)).status, (await write(first)).status]).toEqual([204, 204, 429]);
    expect((await write(second)).status).toBe(204);
    const overTenant = await write(second);
    expect(overTenant.status).toBe(429);
    expect(overTenant.json.error.message).toContain('3 writes per 20 seconds for tenant');
    expect(lastRecorded().appId).toBe(OTHER_APP);
  });

  test('a 401 takes no place in the windows', async () => {
    await control('PUT', 'throttling', { enabled: true, requestsPerApp: 1 });
    expect((await graph('GET', summary)).status).toBe(401);
    expect((await graph('GET', summary, { token: 'not.a.token' })).status).toBe(401);
    const token = await tokenFor();
    expect((await graph('GET', summary, { token })).status).toBe(200);
    expect((await graph('GET', summary, { token })).status).toBe(429);
  });

  test('disabled, nothing is throttled; reset restores the defaults', async () => {
    await control('PUT', 'throttling', { enabled: false, writesPerApp: 1, requestsPerApp: 1 });
    const token = await tokenFor();
    for (let index = 0; index < 3; index += 1)
      expect((await graph('PATCH', summary, { token, body: { errorCount: index } })).status).toBe(204);

    await control('POST', 'reset');
    expect(await controlJson('GET', 'throttling')).toMatchObject({ enabled: true, writesPerApp: 100 });
  });

  test('a misspelt setting is refused, naming it', async () => {
    const refused = await control('PUT', 'throttling', { enabled: true, writesPerAp: 1 });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toContain('writesPerAp');
  });
});

describe('injected faults', () => {
  test('reset: the connection is destroyed without an answer, and nothing is applied', async () => {
    await control('POST', 'faults', { method: 'POST', pathIncludes: 'userStatuses', reset: true });
    const token = await tokenFor();

    await expect(graph('POST', statuses, { token, body: newStatus('lost@contoso.example') })).rejects.toThrow(SOCKET_ERROR);
    expect(principalNames(emulator.state)).not.toContain('lost@contoso.example');
    expect(lastRecorded()).toMatchObject({ method: 'POST', outcome: 'fault:reset', applied: false });
  });

  test('applyThenReset: the answer is lost, but the user status exists', async () => {
    await control('POST', 'faults', { method: 'POST', applyThenReset: true });
    const token = await tokenFor();

    await expect(graph('POST', statuses, { token, body: newStatus('applied@contoso.example') })).rejects.toThrow(SOCKET_ERROR);
    const listed = await graph('GET', statuses, { token });
    expect(listed.json.value.map((status: { userPrincipalName: string }) => status.userPrincipalName)).toContain(
      'applied@contoso.example',
    );
    expect(emulator.requests.find((request) => request.method === 'POST')).toMatchObject({
      outcome: 'fault:applyThenReset',
      applied: true,
    });
  });

  test('applyThenStatus: applied, then answered with the error status and its Retry-After', async () => {
    await control('POST', 'faults', { method: 'POST', applyThenStatus: 504, headers: { 'retry-after': '3' } });
    const token = await tokenFor();

    const answer = await graph('POST', statuses, { token, body: newStatus('timed-out@contoso.example') });
    expect(answer.status).toBe(504);
    expect(answer.headers['retry-after']).toBe('3');
    expect(answer.json.error.code).toBe('GatewayTimeout');
    expect(principalNames(emulator.state)).toContain('timed-out@contoso.example');
  });

  test('503 with and without Retry-After, refused before any work', async () => {
    await control('POST', 'faults', { method: 'PATCH', status: 503, retryAfter: '2' });
    await control('POST', 'faults', { method: 'PATCH', status: 503 });
    const token = await tokenFor();

    const withHeader = await graph('PATCH', summary, { token, body: { failedCount: 7 } });
    const without = await graph('PATCH', summary, { token, body: { failedCount: 7 } });
    expect([withHeader.status, withHeader.headers['retry-after']]).toEqual([503, '2']);
    expect([without.status, without.headers['retry-after']]).toEqual([503, undefined]);
    expect(without.json.error.code).toBe('ServiceUnavailable');
    expect((await graph('GET', summary, { token })).json.failedCount).not.toBe(7);
  });

  test('a slow answer: the delay, then the normal answer or the given status', async () => {
    await control('POST', 'faults', { method: 'GET', delayMs: 300 });
    await control('POST', 'faults', { method: 'GET', delayMs: 200, status: 503 });
    const token = await tokenFor();

    let started = Date.now();
    expect((await graph('GET', summary, { token })).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(emulator.requests.at(-1)).toMatchObject({ outcome: 'answered', delayedMs: 300 });

    started = Date.now();
    expect((await graph('GET', summary, { token })).status).toBe(503);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  test('times, method and pathIncludes still pick which requests a fault hits', async () => {
    await control('POST', 'faults', {
      method: 'GET',
      pathIncludes: 'userStatuses',
      status: 500,
      code: 'InternalServerError',
      message: 'boom',
      times: 2,
    });
    const token = await tokenFor();

    expect((await graph('GET', summary, { token })).status).toBe(200);
    const failed = await graph('GET', statuses, { token });
    expect(failed.json.error).toMatchObject({ code: 'InternalServerError', message: 'boom' });
    expect((await graph('GET', statuses, { token })).status).toBe(500);
    expect((await graph('GET', statuses, { token })).status).toBe(200);
  });

  test('a fault that asks for two things at once is refused', async () => {
    expect((await control('POST', 'faults', { status: 503, reset: true })).status).toBe(400);
    expect((await control('POST', 'faults', { method: 'GET' })).status).toBe(400);
  });

  test('faults come after the token check and the throttling windows', async () => {
    await control('PUT', 'throttling', { enabled: true, requestsPerApp: 1 });
    await control('POST', 'faults', { reset: true, times: 3 });
    const token = await tokenFor();

    expect((await graph('GET', summary)).status).toBe(401);
    await expect(graph('GET', summary, { token })).rejects.toThrow(SOCKET_ERROR);
    expect((await graph('GET', summary, { token })).status).toBe(429);
    expect(emulator.stats().faults.reset).toBe(1);
  });
});

describe('chaos', () => {
  const chaos = {
    probability: 0.5,
    seed: 42,
    outcomes: [
      { weight: 2, status: 503, retryAfter: '1' },
      { weight: 1, status: 429, retryAfter: '1' },
    ],
  };

  async function statusesOfTwentyReads(): Promise<number[]> {
    const token = await tokenFor();
    const seen: number[] = [];
    for (let index = 0; index < 20; index += 1) seen.push((await graph('GET', summary, { token })).status);
    return seen;
  }

  test('the same seed gives the same faults; the PUT answers the settings in force', async () => {
    expect(await controlJson('PUT', 'chaos', chaos)).toEqual(chaos);
    const first = await statusesOfTwentyReads();
    await control('POST', 'reset');
    await control('PUT', 'chaos', chaos);
    const second = await statusesOfTwentyReads();

    expect(second).toEqual(first);
    expect(new Set(first)).toEqual(new Set([200, 503, 429]));
    await control('PUT', 'chaos', { ...chaos, seed: 7 });
    expect(await statusesOfTwentyReads()).not.toEqual(first);
  });

  test('without a seed, one is chosen and given back so that the run can be replayed', async () => {
    const settings = await controlJson('PUT', 'chaos', { probability: 0.1, outcomes: [{ weight: 1, reset: true }] });
    expect(Number.isInteger(settings.seed)).toBe(true);
  });

  test('probability 0 turns chaos off, and so does reset', async () => {
    await control('PUT', 'chaos', { ...chaos, probability: 1 });
    expect((await statusesOfTwentyReads()).every((status) => status !== 200)).toBe(true);
    await control('PUT', 'chaos', { probability: 0 });
    expect((await statusesOfTwentyReads()).every((status) => status === 200)).toBe(true);

    await control('PUT', 'chaos', { ...chaos, probability: 1 });
    await control('POST', 'reset');
    expect(await controlJson('GET', 'chaos')).toMatchObject({ probability: 0 });
  });

  test('applyThenReset outcomes lose every answer yet apply every write', async () => {
    await control('PUT', 'chaos', { probability: 1, seed: 1, outcomes: [{ weight: 1, applyThenReset: true }] });
    const token = await tokenFor();
    for (const name of ['a@contoso.example', 'b@contoso.example', 'c@contoso.example']) {
      await expect(graph('POST', statuses, { token, body: newStatus(name) })).rejects.toThrow(SOCKET_ERROR);
    }
    expect(principalNames(emulator.state)).toEqual(
      expect.arrayContaining(['a@contoso.example', 'b@contoso.example', 'c@contoso.example']),
    );
    expect(emulator.stats()).toMatchObject({ applied: { POST: 3 }, faults: { applyThenReset: 3 } });
  });
});

describe('stats and the request record', () => {
  test('every request is counted and recorded once, with how it was answered, and no token', async () => {
    await control('PUT', 'throttling', { enabled: true, writesPerApp: 3 });
    await control('POST', 'faults', { method: 'PATCH', delayMs: 10, applyThenStatus: 503 });
    const token = await tokenFor();

    await graph('GET', summary);
    await graph('GET', summary, { token });
    const created = await graph('POST', statuses, { token, body: newStatus('counted@contoso.example') });
    await graph('PATCH', summary, { token, body: { pendingCount: 9 } });
    await graph('DELETE', `${statuses}/${created.json.id as string}`, { token });
    await graph('DELETE', `${statuses}/${created.json.id as string}`, { token });

    const stats = await controlJson('GET', 'stats');
    expect(stats).toEqual({
      requests: 6,
      applied: { POST: 1, PATCH: 1, DELETE: 1 },
      unauthorized: 1,
      throttled: 1,
      faults: { delay: 1, status: 0, reset: 0, applyThenReset: 0, applyThenStatus: 1 },
    });
    const { requests } = await controlJson('GET', 'requests');
    expect(requests.map((request: RecordedRequest) => [request.method, request.outcome])).toEqual([
      ['GET', 'unauthorized'],
      ['GET', 'answered'],
      ['POST', 'applied'],
      ['PATCH', 'fault:applyThenStatus'],
      ['DELETE', 'applied'],
      ['DELETE', 'throttled'],
    ]);
    expect(JSON.stringify(requests)).not.toContain(token.split('.')[2]);

    await control('POST', 'reset');
    expect(await controlJson('GET', 'stats')).toMatchObject({ requests: 0, applied: { POST: 0 } });
  });
});
