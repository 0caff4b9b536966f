import { acceptsApplication, CATALOG, operationNamed } from '../../src/catalog/operations';
import { graphIdentityFor } from '../../src/operations/graph-identity';

// Who a call goes to Graph as, from the catalog's permissions tables and the caller: never the app
// for an operation Graph takes only from users, and the managed identity wherever Graph takes it,
// unless the setting asks for signed-in users to go as themselves.

const installSummaryUpdate = operationNamed('UpdateMobileAppInstallSummary');

test("the catalog carries each Graph page's table: only the install summary's update refuses applications", () => {
  expect(CATALOG.filter((operation) => !acceptsApplication(operation)).map((operation) => operation.name)).toEqual([
    'UpdateMobileAppInstallSummary',
  ]);
  expect(installSummaryUpdate.identities).toEqual(['delegated']);
  expect(operationNamed('GetMobileAppInstallSummary').identities).toEqual(['application', 'delegated']);
});

test.each([
  ['where-required', false, 'user-required'],
  ['where-required', true, 'user'],
  ['whenever-signed-in', false, 'user-required'],
  ['whenever-signed-in', true, 'user'],
] as const)('a user-only operation, %s, signed-in user %s: %s', (use, signedIn, expected) => {
  expect(graphIdentityFor(installSummaryUpdate, signedIn, use)).toBe(expected);
});

test.each(CATALOG.filter(acceptsApplication).map((operation) => [operation.name, operation] as const))(
  '%s: the app for applications always, and for users unless they go as themselves',
  (_name, operation) => {
    expect(graphIdentityFor(operation, false, 'where-required')).toBe('app');
    expect(graphIdentityFor(operation, false, 'whenever-signed-in')).toBe('app');
    expect(graphIdentityFor(operation, true, 'where-required')).toBe('app');
    expect(graphIdentityFor(operation, true, 'whenever-signed-in')).toBe('user');
  },
);
