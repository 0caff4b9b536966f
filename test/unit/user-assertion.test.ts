import { userAssertionOf } from '../../src/functions/caller';

// The token a signed-in user called with is taken for the exchange only when it names the caller
// the platform vouched for; anything else is no token at all.

const jwt = (claims: Record<string, unknown>) =>
  ['{"alg":"RS256"}', JSON.stringify(claims), 'signature'].map((part) => Buffer.from(part).toString('base64url')).join('.');
const caller = { objectId: '4f6e8d0c-2b4a-4c6e-8f0a-1c3e5a7b9d2f', appId: undefined, roles: [], scopes: ['user_impersonation'] };
const request = (authorization?: string) => ({ headers: new Headers(authorization === undefined ? {} : { authorization }) });

test("the bearer token naming the caller's object id is the assertion", () => {
  const token = jwt({ oid: caller.objectId });
  expect(userAssertionOf(request(`Bearer ${token}`), caller)).toBe(token);
  expect(userAssertionOf(request(`bearer   ${token}`), caller)).toBe(token);
});

test.each([
  ['no Authorization header', undefined],
  ['a token naming another object id', `Bearer ${jwt({ oid: '00000000-0000-4000-8000-000000000000' })}`],
  ['a token naming none', `Bearer ${jwt({ sub: 'x' })}`],
  ['claims that are not JSON', 'Bearer eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln'],
  ['not a JWT', 'Bearer not-a-token'],
  ['another scheme', `Basic ${Buffer.from('a:b').toString('base64')}`],
  ['two tokens', `Bearer ${jwt({ oid: caller.objectId })} ${jwt({ oid: caller.objectId })}`],
])('%s: no assertion', (_case, authorization) => {
  expect(userAssertionOf(request(authorization), caller)).toBeUndefined();
});
