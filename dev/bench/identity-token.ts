/**
 * One Graph token from the emulator's managed identity endpoint (the App Service protocol,
 * api-version 2019-08-01), as test/e2e/emulator-faults.test.ts gets one. Used by the benchmark
 * to call Graph directly and by the bare proxy, which fetches one at start and sends it as a
 * fixed header: tokens last an hour, far longer than a benchmark run.
 */

/** The audience the emulator accepts for the Global cloud, as ManagedIdentityCredential asks for it. */
export const GRAPH_RESOURCE = 'https://graph.microsoft.com';

export async function fetchGraphToken(identityEndpoint: string | undefined, identityHeader: string | undefined): Promise<string> {
  if (!identityEndpoint || !identityHeader) throw new Error('IDENTITY_ENDPOINT and IDENTITY_HEADER must be set');
  const url = new URL(identityEndpoint);
  url.searchParams.set('api-version', '2019-08-01');
  url.searchParams.set('resource', GRAPH_RESOURCE);
  const response = await fetch(url, { headers: { 'x-identity-header': identityHeader } });
  if (!response.ok) throw new Error(`the identity endpoint answered ${response.status}`);
  return ((await response.json()) as { access_token: string }).access_token;
}
