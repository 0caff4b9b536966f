import { expectProblem, type FacadeResponse, SEEDED_PATHS, USERS_SIGN_IN, useStack } from '../support/stack';

// Callers sign in or not: the install summary's update, which Graph takes only from users, is sent as one.
const running = useStack(USERS_SIGN_IN);

const summary = SEEDED_PATHS.userStatusSummary;
const statuses = SEEDED_PATHS.userStatuses;
const installSummary = SEEDED_PATHS.installSummary;
const overview = SEEDED_PATHS.userStatusOverview;

const validStatus = { userPrincipalName: 'megan.bowen@contoso.example', status: 'compliant' };

/** A refusal (problem+json with `status`) that sent nothing to Graph. */
function expectRefused(answer: FacadeResponse, status: number): void {
  expectProblem(answer, status);
  expect(running().emulator.requests).toHaveLength(0);
}

const pointers = (answer: FacadeResponse) => (answer.json.errors as { pointer?: string }[]).map((error) => error.pointer);
const parameters = (answer: FacadeResponse) => (answer.json.errors as { parameter?: string }[]).map((error) => error.parameter);

describe('bodies that are not JSON objects: 400', () => {
  test.each([
    ['malformed JSON', '{"pendingCount": 1'],
    ['an array', '[{"pendingCount": 1}]'],
    ['null', 'null'],
    ['a number', '42'],
    ['a string', '"pendingCount"'],
    ['empty', ''],
  ])('%s', async (_name, rawBody) => {
    expectRefused(await running().call('PATCH', summary, { rawBody, headers: { 'content-type': 'application/json' } }), 400);
  });

  test('invalid UTF-8', async () => {
    const rawBody = new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]);
    expectRefused(await running().call('PATCH', summary, { rawBody, headers: { 'content-type': 'application/json' } }), 400);
  });
});

describe('wrong Content-Type on a body: 415', () => {
  test.each([
    ['text/plain', 'text/plain'],
    ['form encoded', 'application/x-www-form-urlencoded'],
    ['JSON in another charset', 'application/json; charset=utf-16'],
  ])('%s', async (_name, contentType) => {
    expectRefused(
      await running().call('PATCH', summary, { rawBody: '{"pendingCount":1}', headers: { 'content-type': contentType } }),
      415,
    );
  });

  test('no Content-Type', async () => {
    expectRefused(await running().call('POST', statuses, { rawBody: JSON.stringify(validStatus) }), 415);
  });

  test('application/json with charset=utf-8 and +json types are accepted', async () => {
    const plain = await running().call('PATCH', summary, {
      rawBody: '{"pendingCount":1}',
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    const merge = await running().call('PATCH', summary, {
      rawBody: '{"pendingCount":2}',
      headers: { 'content-type': 'application/merge-patch+json' },
    });
    expect([plain.status, merge.status]).toEqual([200, 200]);
  });
});

test('a body over the size limit: 413', async () => {
  const rawBody = JSON.stringify({ pendingCount: 1, padding: 'x'.repeat(70 * 1024) });
  expectRefused(await running().call('PATCH', summary, { rawBody, headers: { 'content-type': 'application/json' } }), 413);
});

describe('PATCH takes any non-empty subset', () => {
  test('an empty object is refused with the root pointer', async () => {
    const answer = await running().call('PATCH', summary, { body: {} });
    expectRefused(answer, 422);
    expect(pointers(answer)).toEqual(['']);
  });

  test('a body of nothing but id and annotations changes nothing, so it is refused too', async () => {
    const answer = await running().call('PATCH', summary, {
      body: { id: 'abc', '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#x' },
    });
    expectRefused(answer, 422);
    expect(pointers(answer)).toEqual(['']);
  });

  test('a single property is enough', async () => {
    const answer = await running().call('PATCH', overview, { body: { failedCount: 3 } });
    expect(answer.status).toBe(200);
    expect(answer.json.failedCount).toBe(3);
    expect(running().emulator.requests[0]?.body).toEqual({ failedCount: 3 });
  });
});

describe('unknown properties are rejected, all of them named', () => {
  test('three unknown properties give three pointers', async () => {
    const answer = await running().call('PATCH', summary, {
      body: { pendingCount: 1, pendingcount: 2, colour: 'red', 'a/b~c': 1 },
    });
    expectRefused(answer, 422);
    expect(pointers(answer)).toEqual(['/pendingcount', '/colour', '/a~1b~0c']);
  });

  test('__proto__ and constructor are unknown properties, not object internals', async () => {
    const answer = await running().call('PATCH', summary, {
      rawBody: '{"__proto__":{"pendingCount":1},"constructor":{"x":1}}',
      headers: { 'content-type': 'application/json' },
    });
    expectRefused(answer, 422);
    expect(pointers(answer)).toEqual(['/__proto__', '/constructor']);
  });

  test('conflictCount with v1.0 names graphVersion=beta', async () => {
    const answer = await running().call('PATCH', summary, { body: { conflictCount: 1 } });
    expectRefused(answer, 422);
    expect(answer.json.errors).toEqual([{ pointer: '/conflictCount', detail: expect.stringContaining('graphVersion=beta') }]);
  });

  test('conflictCount with beta is accepted', async () => {
    const answer = await running().call('PATCH', `${summary}?graphVersion=beta`, { body: { conflictCount: 1 } });
    expect(answer.status).toBe(200);
    expect(answer.json.conflictCount).toBe(1);
  });
});

describe('id and @odata annotations are dropped; a foreign @odata.type is refused', () => {
  test('a body read with GET can be sent back', async () => {
    const read = await running().call('GET', statuses);
    const [first] = read.json.value as Record<string, unknown>[];
    const graphShaped = {
      ...first,
      '@odata.type': '#microsoft.graph.managedDeviceMobileAppConfigurationUserStatus',
      '@odata.etag': 'W/"1"',
      devicesCount: 5,
    };
    const answer = await running().call('PATCH', `${statuses}/${first?.id as string}`, { body: graphShaped });
    expect(answer.status).toBe(200);
    const sent = running().emulator.requests.find((request) => request.method === 'PATCH')?.body as Record<string, unknown>;
    expect(sent).not.toHaveProperty('id');
    expect(Object.keys(sent).filter((name) => name.startsWith('@odata'))).toEqual([]);
    expect(sent.devicesCount).toBe(5);
  });

  test('@odata.type of another entity', async () => {
    const answer = await running().call('PATCH', overview, {
      body: { '@odata.type': '#microsoft.graph.managedDeviceMobileAppConfigurationUserSummary', failedCount: 1 },
    });
    expectRefused(answer, 422);
    expect(pointers(answer)).toEqual(['/@odata.type']);
  });
});

describe('counts are Int32 from 0 to 2147483647', () => {
  test.each([
    ['negative', -1],
    ['past Int32', 2147483648],
    ['fractional', 1.5],
    ['a numeric string', '5'],
    ['null', null],
    ['a boolean', true],
    ['huge', 1e308],
  ])('%s is refused with its pointer', async (_name, value) => {
    const answer = await running().call('PATCH', summary, { body: { failedCount: value } });
    expectRefused(answer, 422);
    expect(pointers(answer)).toEqual(['/failedCount']);
  });

  test.each([0, 2147483647])('%s is accepted', async (value) => {
    const answer = await running().call('PATCH', `${installSummary}`, {
      body: { installedDeviceCount: value },
      headers: await running().asUser(),
    });
    expect(answer.status).toBe(200);
    expect(answer.json.installedDeviceCount).toBe(value);
  });

  test('every bad count in one body is reported', async () => {
    const answer = await running().call('PATCH', summary, { body: { pendingCount: -1, successCount: 'x', errorCount: 0.5 } });
    expectRefused(answer, 422);
    expect(pointers(answer)).toEqual(['/pendingCount', '/successCount', '/errorCount']);
  });
});

describe('timestamps are ISO 8601 with Z or an offset', () => {
  test.each([
    ['no offset', '2016-12-31T23:58:21'],
    ['a date only', '2016-12-31'],
    ['not a date', 'yesterday'],
    ['a number', 1483257501],
    ['a space for T', '2016-12-31 23:58:21Z'],
    ['an offset without a colon', '2016-12-31T23:58:21+0100'],
    ['an hour-only offset', '2016-12-31T23:58:21+01'],
    ['31 April', '2016-04-31T23:58:21Z'],
    ['8 fraction digits', '2016-12-31T23:58:21.12345678Z'],
  ])('%s is refused', async (_name, value) => {
    const answer = await running().call('PATCH', summary, { body: { lastUpdateDateTime: value } });
    expectRefused(answer, 422);
    expect(pointers(answer)).toEqual(['/lastUpdateDateTime']);
  });

  test.each(['2016-12-31T23:58:21Z', '2016-12-31T23:58:21.6459442-08:00', '2016-12-31T23:58:21.123+05:30'])(
    '%s is accepted',
    async (value) => {
      const answer = await running().call('PATCH', summary, { body: { lastUpdateDateTime: value } });
      expect(answer.status).toBe(200);
    },
  );
});

describe('POST user-statuses requires userPrincipalName and status', () => {
  test('both missing: both named', async () => {
    const answer = await running().call('POST', statuses, { body: { devicesCount: 1 } });
    expectRefused(answer, 422);
    expect(pointers(answer).sort()).toEqual(['/status', '/userPrincipalName']);
  });

  test('userPrincipalName null', async () => {
    const answer = await running().call('POST', statuses, { body: { ...validStatus, userPrincipalName: null } });
    expectRefused(answer, 422);
    expect(pointers(answer)).toEqual(['/userPrincipalName']);
  });

  test('a status outside complianceStatus', async () => {
    const answer = await running().call('POST', statuses, { body: { ...validStatus, status: 'Compliant' } });
    expectRefused(answer, 422);
    expect(answer.json.errors[0]).toMatchObject({ pointer: '/status', detail: expect.stringContaining('notApplicable') });
  });

  test('a PATCH of a user status needs neither', async () => {
    const created = await running().call('POST', statuses, { body: validStatus });
    const answer = await running().call('PATCH', `${statuses}/${created.json.id as string}`, { body: { devicesCount: 4 } });
    expect(answer.status).toBe(200);
  });
});

describe('strings are free text as Graph types them', () => {
  test('unicode, quotes and markup are stored as sent', async () => {
    const userDisplayName = 'Zoë "Ω" <b>O\'Brien</b> 山田 🚀';
    const answer = await running().call('POST', statuses, { body: { ...validStatus, userDisplayName } });
    expect(answer.status).toBe(201);
    expect(answer.json.userDisplayName).toBe(userDisplayName);
  });

  test('userDisplayName may be null', async () => {
    const answer = await running().call('POST', statuses, { body: { ...validStatus, userDisplayName: null } });
    expect(answer.status).toBe(201);
  });

  test('1024 characters pass, 1025 do not', async () => {
    const ok = await running().call('POST', statuses, { body: { ...validStatus, userDisplayName: 'a'.repeat(1024) } });
    expect(ok.status).toBe(201);
    await running().control('DELETE', 'requests');
    const answer = await running().call('POST', statuses, { body: { ...validStatus, userDisplayName: 'a'.repeat(1025) } });
    expectRefused(answer, 422);
    expect(pointers(answer)).toEqual(['/userDisplayName']);
  });
});

describe('graphVersion', () => {
  test('v1.0 on a beta-only operation is refused, naming beta', async () => {
    const answer = await running().call('PATCH', `${installSummary}?graphVersion=v1.0`, { body: { installedDeviceCount: 1 } });
    expectRefused(answer, 422);
    expect(answer.json.errors).toEqual([{ parameter: 'graphVersion', detail: expect.stringContaining('graphVersion=beta') }]);
  });

  test('an unknown version is refused', async () => {
    const answer = await running().call('GET', `${summary}?graphVersion=v2.0`);
    expectRefused(answer, 422);
    expect(parameters(answer)).toEqual(['graphVersion']);
  });

  test('the default is v1.0 where it exists, beta otherwise', async () => {
    await running().call('GET', summary);
    await running().call('GET', installSummary);
    expect(running().emulator.requests.map((request) => request.version)).toEqual(['v1.0', 'beta']);
  });
});

describe('path ids cannot change the Graph URL', () => {
  test.each([
    ['a dot segment', '..'],
    ['a single dot', '.'],
    ['an encoded slash', 'abc%2Fdef'],
    ['an encoded question mark', 'abc%3F%24top%3D1'],
    ['an encoded hash', 'abc%23frag'],
    ['a percent sign', '100%25'],
    ['unicode', '%C3%A9t%C3%A9'],
    ['a space', 'a%20b'],
    ['an encoded dot segment', '%2E%2E'],
    ['too long', 'a'.repeat(201)],
  ])('%s is refused before Graph is called', async (_name, id) => {
    const answer = await running().call('GET', `mobile-apps/${id}/install-summary`);
    expectRefused(answer, answer.status === 404 ? 404 : 422);
    if (answer.status === 422) expect(parameters(answer)).toEqual(['mobileAppId']);
  });

  test('a raw slash makes an unknown route: problem+json 404', async () => {
    const answer = await running().call('GET', 'mobile-apps/a/b/install-summary');
    expectRefused(answer, 404);
  });

  test('path and body problems are reported together', async () => {
    const answer = await running().call('PATCH', 'mobile-app-configurations/bad%20id/user-status-summary', {
      body: { colour: 1, failedCount: -1 },
    });
    expectRefused(answer, 422);
    expect(answer.json.errors).toEqual([
      { parameter: 'configurationId', detail: expect.any(String) },
      { pointer: '/colour', detail: expect.any(String) },
      { pointer: '/failedCount', detail: expect.any(String) },
    ]);
  });
});

describe('routes and methods', () => {
  test('an unknown route is a problem+json 404', async () => {
    expectRefused(await running().call('GET', 'mobile-apps'), 404);
  });

  test('a wrong method is 405 with Allow', async () => {
    const answer = await running().call('PUT', summary, { body: { pendingCount: 1 } });
    expectRefused(answer, 405);
    expect(answer.headers.get('allow')).toBe('GET, PATCH');
  });

  test('POST on health is 405 with Allow', async () => {
    const answer = await running().call('POST', 'health', { body: {} });
    expectRefused(answer, 405);
    expect(answer.headers.get('allow')).toBe('GET');
  });

  test('DELETE on a collection is 405 with Allow', async () => {
    const answer = await running().call('DELETE', statuses);
    expectRefused(answer, 405);
    expect(answer.headers.get('allow')).toBe('GET, POST');
  });

  test('list paging parameters are validated', async () => {
    const answer = await running().call('GET', `${statuses}?top=0&skipToken=${'t'.repeat(4097)}`);
    expectRefused(answer, 422);
    expect(parameters(answer)).toEqual(['top', 'skipToken']);
  });
});
