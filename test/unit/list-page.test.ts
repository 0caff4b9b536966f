import { CATALOG } from '../../src/catalog/operations';
import { nextPageOf } from '../../src/graph/paging';
import { successResponse } from '../../src/operations/respond';

const list = CATALOG.find((operation) => operation.kind === 'list');
const request = { params: { configurationId: 'c' }, version: 'v1.0' as const, paging: {}, body: undefined, respondAsync: false };
const answer = (nextLink: string) => ({
  status: 200,
  requestId: 'r',
  retryAfter: undefined,
  body: { value: [], '@odata.nextLink': nextLink },
});

test('a Graph nextLink with no cursor is a 502, never a facade nextLink back to the first page', () => {
  const response = successResponse(
    list!,
    answer('https://graph.microsoft.com/v1.0/x?$top=5'),
    request,
    'http://localhost:7071/api/x',
  );
  expect(response.status).toBe(502);
});

test("Graph's paging token is taken as it stands in the nextLink, never decoded", () => {
  const next = nextPageOf(answer('https://graph.microsoft.com/v1.0/x?$top=5&$skiptoken=Last%3d%27a+b%27 Zoë&x=1').body);
  expect(next).toEqual({ top: 5, skipToken: 'Last%3d%27a+b%27 Zoë' });
  const response = successResponse(
    list!,
    answer('https://graph.microsoft.com/v1.0/x?%24skiptoken=abc+def'),
    request,
    'http://localhost:7071/api/x',
  );
  const nextLink = new URL(JSON.parse(response.body as string).nextLink as string);
  expect(nextLink.searchParams.get('skipToken')).toBe('abc+def');
});
