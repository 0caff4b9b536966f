import { SEEDED_IDS, useStack } from '../support/stack';

const running = useStack();

// Display names and UPNs with what Intune's data-built tokens then hold: spaces, quotes, `+`, non-ASCII.
const NAMES = ['Jürgen Müller', "Siobhán O'Brien", 'Zoë + Ana', 'Ørjan Søvik', 'Maëlle = Ç', 'Plain Name'];

async function seedStatuses(configurationId: string, count: number): Promise<void> {
  const userStatuses = Array.from({ length: count }, (_, index) => {
    const name = `${NAMES[index % NAMES.length] as string} ${index}`;
    return {
      userDisplayName: name,
      userPrincipalName: `${name.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '.')}@contoso.example`,
      status: 'compliant',
    };
  });
  await running().control('POST', 'seed', { mobileAppConfigurations: [{ id: configurationId, userStatuses }] });
}

test('a list pages through every user status exactly once, Intune-style tokens travelling byte for byte', async () => {
  const configurationId = 'paging-configuration';
  await seedStatuses(configurationId, 23);
  const seen: string[] = [];
  const tokens: string[] = [];
  let path: string | undefined = `mobile-app-configurations/${configurationId}/user-statuses?top=4`;
  for (let page = 0; path !== undefined && page < 20; page++) {
    const answer = await running().call('GET', path);
    expect(answer.status).toBe(200);
    seen.push(...(answer.json.value as { id: string }[]).map((item) => item.id));
    const nextLink = answer.json.nextLink as string | undefined;
    if (nextLink) {
      const next = new URL(nextLink);
      expect(next.origin).toBe(new URL(running().baseUrl).origin);
      tokens.push(next.searchParams.get('skipToken') as string);
      path = `${next.pathname.replace(/^\/api\//, '')}${next.search}`;
    } else path = undefined;
  }
  const stored = [...(running().emulator.state.mobileAppConfigurations.get(configurationId)?.userStatuses.keys() ?? [])];
  expect(seen).toHaveLength(23);
  expect(new Set(seen)).toEqual(new Set(stored));
  // The tokens really held what Intune's hold, and each reached Graph as it was issued.
  const all = tokens.join('\n');
  for (const character of [' ', "'", '=', '+', '%']) expect(all).toContain(character);
  expect([...all].some((character) => character.charCodeAt(0) > 0x7f)).toBe(true);
  expect(
    running()
      .emulator.requests.filter((request) => request.method === 'GET')
      .every((request) => request.outcome === 'answered'),
  ).toBe(true);
});

test('a paging token changed on the way back is refused by Graph, and the facade says so', async () => {
  await seedStatuses('tampered-configuration', 6);
  const first = await running().call('GET', 'mobile-app-configurations/tampered-configuration/user-statuses?top=2');
  const next = new URL(first.json.nextLink as string);
  next.searchParams.set('skipToken', `${next.searchParams.get('skipToken') as string}x`);
  const answer = await running().call('GET', `${next.pathname.replace(/^\/api\//, '')}${next.search}`);
  expect(answer.status).toBe(400);
  expect(answer.json.graph).toMatchObject({ status: 400 });
});

test('a skipToken with & or # cannot add anything to the Graph call', async () => {
  const answer = await running().call(
    'GET',
    `mobile-app-configurations/${SEEDED_IDS.mobileAppConfiguration}/user-statuses?skipToken=${encodeURIComponent("x&$filter=id eq '1'#frag")}`,
  );
  expect(answer.status).toBe(400);
  const sent = running().emulator.requests.at(-1)?.url ?? '';
  expect(sent).not.toContain('&$filter');
  expect(sent).not.toContain('#');
});
