import { SEEDED_PATHS, useStack, withStack } from '../support/stack';

// Each test here changes what Graph grants, so reports are not kept between calls (DIAGNOSTICS_CACHE_SECONDS 0).
const running = useStack({ facadeEnvironment: { DIAGNOSTICS_CACHE_SECONDS: '0' } });
const APPS = 'DeviceManagementApps.ReadWrite.All';
const CONFIGURATION = 'DeviceManagementConfiguration.ReadWrite.All';

interface Report {
  ready: boolean;
  token: { ok: boolean; roles?: string[]; audience?: string };
  permissions: { permission: string; inToken: boolean }[];
  probes: { resource: string; result: string; graphStatus?: number }[];
  operations: { operation: string; graphAccepts: string[]; identity: string; works: boolean; detail: string }[];
  missing: string[];
}

const resultsOf = (report: Report) => Object.fromEntries(report.probes.map((probe) => [probe.resource, probe.result]));

test('with every grant in place: ready, with the token’s audience and roles, every probe proving access, no write sent', async () => {
  const answer = await running().call('GET', 'diagnostics');
  expect(answer.status).toBe(200);
  const report = answer.json as Report;
  expect(report.ready).toBe(true);
  expect(report.token).toMatchObject({
    ok: true,
    audience: 'https://graph.microsoft.com',
    roles: expect.arrayContaining([APPS, CONFIGURATION]),
  });
  expect(new Set(Object.values(resultsOf(report)))).toEqual(new Set(['access']));
  expect(report.missing).toEqual([]);
  expect(running().emulator.requests.every((request) => request.method === 'GET')).toBe(true);
  // Claims only: the token itself is never shown.
  for (const token of running().emulator.issuedTokens) expect(answer.text).not.toContain(token);
});

test.each([
  [
    APPS,
    CONFIGURATION,
    ['MobileAppConfigurationUserStatusSummary', 'MobileAppConfigurationUserStatus', 'MobileAppInstallSummary'],
  ],
  [CONFIGURATION, APPS, ['DeviceCompliancePolicyUserStatusOverview']],
])('without %s: not ready, the grant named, its resources’ probes refused', async (removed, kept, refusedResources) => {
  await withStack({}, async (stack) => {
    await stack.control('PUT', 'roles', { roles: [kept] });
    const report = (await stack.call('GET', 'diagnostics')).json as Report;
    expect(report.ready).toBe(false);
    expect(report.permissions).toContainEqual(expect.objectContaining({ permission: removed, inToken: false }));
    expect(report.missing.join('\n')).toContain(`Grant the Microsoft Graph application permission ${removed}`);
    const results = resultsOf(report);
    for (const resource of refusedResources) expect(results[resource]).toBe('permission-missing');
    expect(Object.values(results).filter((result) => result === 'access')).toHaveLength(4 - refusedResources.length);
  });
});

test('with no role at all: every probe refused, both grants named', async () => {
  await withStack({}, async (stack) => {
    await stack.control('PUT', 'roles', { roles: [] });
    const report = (await stack.call('GET', 'diagnostics')).json as Report;
    expect(report.ready).toBe(false);
    expect(new Set(Object.values(resultsOf(report)))).toEqual(new Set(['permission-missing']));
    expect(report.missing.filter((line) => line.startsWith('Grant'))).toHaveLength(2);
  });
});

test.each([['installSummaryRemoved', 'not-exposed']])(
  'with the install summary switch %s: its probe says %s, and the rest stays ready',
  async (switchName, result) => {
    await running().control('PUT', 'behaviour', { [switchName]: true });
    const report = (await running().call('GET', 'diagnostics')).json as Report;
    expect(report.ready).toBe(false);
    const results = resultsOf(report);
    expect(results.MobileAppInstallSummary).toBe(result);
    expect(Object.values(results).filter((value) => value === 'access')).toHaveLength(3);
    expect(report.missing).toHaveLength(1);
  },
);

test('with Graph unreachable: answers within the time budget, not ready, saying why', async () => {
  await withStack(
    { facadeEnvironment: { GRAPH_BASE_URL: 'https://localhost:9', GRAPH_TIME_BUDGET_SECONDS: '3' } },
    async (stack) => {
      const started = Date.now();
      const answer = await stack.call('GET', 'diagnostics');
      expect(Date.now() - started).toBeLessThan(10_000);
      const report = answer.json as Report;
      expect(answer.status).toBe(200);
      expect(report.ready).toBe(false);
      expect(report.token.ok).toBe(true);
      expect(new Set(Object.values(resultsOf(report)))).toEqual(new Set(['graph-unavailable']));
    },
  );
});

describe('per operation, the identity Graph is called with and whether it works', () => {
  const identityOf = (report: Report, operation: string) => report.operations.find((entry) => entry.operation === operation);

  test('with function keys: the install summary update needs a user and cannot work; the rest go as the managed identity', async () => {
    const report = (await running().call('GET', 'diagnostics')).json as Report;
    expect(identityOf(report, 'UpdateMobileAppInstallSummary')).toMatchObject({
      graphAccepts: ['delegated'],
      identity: 'signed-in-user',
      works: false,
      detail: expect.stringContaining('CALLER_AUTH'),
    });
    const others = report.operations.filter((entry) => entry.operation !== 'UpdateMobileAppInstallSummary');
    expect(others.length).toBeGreaterThanOrEqual(10);
    for (const entry of others) expect(entry).toMatchObject({ identity: 'managed-identity', works: true });
    // What the mode means is said per operation; it is not a grant missing.
    expect(report.ready).toBe(true);
  });

  test('with users signing in: the install summary update goes as the user, and the exchange is set up', async () => {
    await withStack(
      { appServiceAuth: true, facadeEnvironment: { CALLER_AUTH: 'both', LOCAL_AUTH_UNAUTHENTICATED: 'allow' } },
      async (stack) => {
        const report = (await stack.call('GET', 'diagnostics')).json as Report;
        expect(identityOf(report, 'UpdateMobileAppInstallSummary')).toMatchObject({ identity: 'signed-in-user', works: true });
        expect(identityOf(report, 'UpdateMobileAppConfigurationUserStatusSummary')).toMatchObject({
          identity: 'managed-identity',
          works: true,
        });
        expect(report.ready).toBe(true);
        expect(stack.emulator.tokenRequests).toContainEqual(expect.objectContaining({ resource: 'api://AzureADTokenExchange' }));
      },
    );
  });

  test('with users signing in but no API registration to exchange their tokens: not ready, saying what to set', async () => {
    await withStack(
      {
        appServiceAuth: true,
        facadeEnvironment: { CALLER_AUTH: 'entra', API_CLIENT_ID: '', GRAPH_USER_IDENTITY: 'where-required' },
      },
      async (stack) => {
        const token = (await (await stack.control('POST', 'user-tokens', {})).json()) as { access_token: string };
        const report = (await stack.call('GET', 'diagnostics', { headers: { authorization: `Bearer ${token.access_token}` } }))
          .json as Report;
        expect(report.ready).toBe(false);
        expect(identityOf(report, 'UpdateMobileAppInstallSummary')).toMatchObject({
          works: false,
          detail: expect.stringContaining('API_CLIENT_ID'),
        });
        expect(report.missing.join('\n')).toContain('UpdateMobileAppInstallSummary');
      },
    );
  });

  test('with every signed-in user going as themselves where Graph allows it, the report says so', async () => {
    await withStack(
      {
        appServiceAuth: true,
        facadeEnvironment: {
          CALLER_AUTH: 'both',
          LOCAL_AUTH_UNAUTHENTICATED: 'allow',
          GRAPH_USER_IDENTITY: 'whenever-signed-in',
        },
      },
      async (stack) => {
        const report = (await stack.call('GET', 'diagnostics')).json as Report;
        expect(identityOf(report, 'UpdateMobileAppConfigurationUserStatusSummary')).toMatchObject({
          identity: 'signed-in-user-else-managed-identity',
          works: true,
        });
      },
    );
  });
});

describe('what Graph refused, said truthfully', () => {
  test('a 403 although the token holds the role: Graph refuses the operation for application identities', async () => {
    await running().control('POST', 'faults', { method: 'PATCH', status: 403, code: 'Forbidden' });
    const answer = await running().call('PATCH', SEEDED_PATHS.userStatusSummary, { body: { pendingCount: 1 } });
    expect(answer.status).toBe(502);
    expect(answer.json.type).toBe('urn:intune-status-facade:problem:graph-refuses-application-identity');
    expect(answer.json.detail).toContain('application identities');
    expect(answer.json.graph).toMatchObject({ status: 403, code: 'Forbidden', requestId: expect.any(String) });
  });

  test('a 403 without the role: the permission to grant', async () => {
    await withStack({}, async (stack) => {
      await stack.control('PUT', 'roles', { roles: [CONFIGURATION] });
      const answer = await stack.call('GET', SEEDED_PATHS.installSummary);
      expect(answer.json.type).toBe('urn:intune-status-facade:problem:graph-permission-missing');
      expect(answer.json.detail).toContain(APPS);
    });
  });

  test('an unknown segment on the beta-only operation: no longer exposed in Graph beta', async () => {
    await running().control('PUT', 'behaviour', { installSummaryRemoved: true });
    const answer = await running().call('GET', SEEDED_PATHS.installSummary);
    expect(answer.status).toBe(502);
    expect(answer.json.type).toBe('urn:intune-status-facade:problem:graph-operation-not-exposed');
    expect(answer.json.graph).toMatchObject({
      status: 400,
      code: 'BadRequest',
      message: expect.stringContaining("segment 'installSummary'"),
    });
  });
});

test('looping callers cannot spend the read budget: one run at a time per instance, its report answered again for 30 s', async () => {
  await withStack({}, async (stack) => {
    const probesSent = () =>
      stack.emulator.requests.filter((request) => request.path.includes('00000000-0000-0000-0000-000000000000')).length;
    const answers = await Promise.all(Array.from({ length: 40 }, () => stack.call('GET', 'diagnostics')));
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    const firstRun = probesSent();
    expect(firstRun).toBeGreaterThan(0);
    expect(new Set(answers.map((answer) => (answer.json as { checkedAt: string }).checkedAt)).size).toBe(1);
    // Graph now refuses everything: a report from within the last 30 s is answered as it was, without asking Graph again.
    await stack.control('PUT', 'roles', { roles: [] });
    const again = await stack.call('GET', 'diagnostics');
    expect((again.json as Report).ready).toBe(true);
    expect(probesSent()).toBe(firstRun);
  });
});

test('a diagnostics run takes no turn from the callers’ read budget: it has a small share of its own', async () => {
  // Callers' budget: one read per 20 s. The run's four probes would otherwise hold the next read back 80 s.
  await withStack({ facadeEnvironment: { GRAPH_READS_PER_20S: '1', GRAPH_READ_BURST: '1' } }, async (stack) => {
    expect(((await stack.call('GET', 'diagnostics')).json as Report).ready).toBe(true);
    const started = Date.now();
    const read = await stack.call('GET', SEEDED_PATHS.userStatusSummary);
    expect(read.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
