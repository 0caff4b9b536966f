import { loadSettings, SettingsError } from '../../src/config';
import { GRAPH_CLOUDS } from '../../src/graph/clouds';

describe('national cloud selection picks Graph root, token scope and authority together', () => {
  test.each([
    ['Global', 'https://graph.microsoft.com', 'https://graph.microsoft.com/.default', 'https://login.microsoftonline.com'],
    ['USGov', 'https://graph.microsoft.us', 'https://graph.microsoft.us/.default', 'https://login.microsoftonline.us'],
    ['USGovDoD', 'https://dod-graph.microsoft.us', 'https://dod-graph.microsoft.us/.default', 'https://login.microsoftonline.us'],
    [
      'China',
      'https://microsoftgraph.chinacloudapi.cn',
      'https://microsoftgraph.chinacloudapi.cn/.default',
      'https://login.chinacloudapi.cn',
    ],
  ])('%s', (cloud, graphRoot, scope, authorityHost) => {
    const settings = loadSettings({ GRAPH_CLOUD: cloud });
    expect(settings.graph).toEqual({ cloud, graphRoot, scope, rootOverridden: false, maxWaitingCalls: 32 });
    expect(settings.identity.authorityHost).toBe(authorityHost);
  });

  test('every scope is its own root plus /.default', () => {
    for (const endpoints of Object.values(GRAPH_CLOUDS)) expect(endpoints.scope).toBe(`${endpoints.graphRoot}/.default`);
  });

  test('Global is the default, and an empty setting counts as unset', () => {
    expect(loadSettings({}).graph.cloud).toBe('Global');
    expect(loadSettings({ GRAPH_CLOUD: '' }).graph.cloud).toBe('Global');
  });

  test('GRAPH_BASE_URL replaces the root only: scope and authority stay the cloud’s', () => {
    const settings = loadSettings({ GRAPH_CLOUD: 'China', GRAPH_BASE_URL: 'https://localhost:7443/' });
    expect(settings.graph).toEqual({
      cloud: 'China',
      graphRoot: 'https://localhost:7443',
      scope: GRAPH_CLOUDS.China.scope,
      rootOverridden: true,
      maxWaitingCalls: 32,
    });
    expect(settings.identity.authorityHost).toBe(GRAPH_CLOUDS.China.authorityHost);
  });
});

describe('settings are validated with a message naming the setting', () => {
  test.each([
    [{ GRAPH_CLOUD: 'global' }, /GRAPH_CLOUD must be one of Global, USGov, USGovDoD, China/],
    [{ GRAPH_BASE_URL: 'not a url' }, /GRAPH_BASE_URL must be an absolute URL/],
    [{ GRAPH_BASE_URL: 'http://localhost:7443' }, /GRAPH_BASE_URL must use https/],
    [{ AZURE_CLIENT_ID: 'my-identity' }, /AZURE_CLIENT_ID must be a client id/],
    // A write needs 2 s of the budget left to start: a smaller budget could never send one.
    [{ GRAPH_TIME_BUDGET_SECONDS: '2' }, /GRAPH_TIME_BUDGET_SECONDS must be a whole number from 3 to 110/],
    // The worst 20 s of the budget must fit Intune's limits: the rate plus a full burst.
    [{ GRAPH_WRITES_PER_20S: '100', GRAPH_WRITE_BURST: '4' }, /allows 104 writes .* Intune allows 100 writes/],
    [{ GRAPH_READS_PER_20S: '1000', GRAPH_READ_BURST: '40' }, /1139 requests in 20 s/],
    [{ GRAPH_BUDGET: 'shared' }, /GRAPH_BUDGET=shared needs a table service/],
    [{ API_CLIENT_ID: 'my-api' }, /API_CLIENT_ID must be a client id/],
    [{ AZURE_TENANT_ID: 'contoso.onmicrosoft.com' }, /AZURE_TENANT_ID must be a tenant id/],
    [{ ENTRA_AUTHORITY_HOST: 'http://localhost:7443' }, /ENTRA_AUTHORITY_HOST must use https/],
    [{ GRAPH_USER_IDENTITY: 'always' }, /GRAPH_USER_IDENTITY must be one of where-required, whenever-signed-in/],
    // Calling as users everywhere needs the registration that exchanges their tokens.
    [{ GRAPH_USER_IDENTITY: 'whenever-signed-in' }, /whenever-signed-in needs API_CLIENT_ID and AZURE_TENANT_ID/],
  ])('%j', (environment, message) => {
    expect(() => loadSettings(environment)).toThrow(SettingsError);
    expect(() => loadSettings(environment)).toThrow(message);
  });

  test('every bad setting is named at once', () => {
    expect(() => loadSettings({ GRAPH_CLOUD: 'Mars', AZURE_CLIENT_ID: 'x' })).toThrow(/GRAPH_CLOUD.*; AZURE_CLIENT_ID/);
  });

  test("the exchange of users' tokens: the registration, its tenant, and the cloud's authority and federated audience", () => {
    const api = {
      API_CLIENT_ID: '3d9c7b1a-5e2f-4a6b-9c8d-7e6f5a4b3c2d',
      AZURE_TENANT_ID: 'b0c1d2e3-f4a5-4b6c-8d7e-9f0a1b2c3d4e',
    };
    expect(loadSettings({}).graphIdentities).toEqual({ use: 'where-required', onBehalfOf: undefined });
    expect(loadSettings({ ...api, GRAPH_CLOUD: 'USGov' }).graphIdentities.onBehalfOf).toEqual({
      tenantId: api.AZURE_TENANT_ID,
      apiClientId: api.API_CLIENT_ID,
      authorityHost: 'https://login.microsoftonline.us',
      graphScope: 'https://graph.microsoft.us/.default',
      assertionScope: 'api://AzureADTokenExchangeUSGov/.default',
    });
    expect(
      loadSettings({ ...api, ENTRA_AUTHORITY_HOST: 'https://localhost:7443/' }).graphIdentities.onBehalfOf?.authorityHost,
    ).toBe('https://localhost:7443');
  });

  test('the managed identity is used where its endpoint is configured', () => {
    expect(
      loadSettings({ IDENTITY_ENDPOINT: 'http://127.0.0.1:1/msi/token', IDENTITY_HEADER: 'h' }).identity.managedIdentityAvailable,
    ).toBe(true);
    expect(loadSettings({}).identity.managedIdentityAvailable).toBe(false);
  });
});
