import { APP_ROLES, budgetAccountOf, type CallerAuthMode, decide } from '../../src/identity/caller-roles';

const caller = (...roles: string[]) => ({ objectId: 'o', appId: 'a', roles });

test.each<[CallerAuthMode, 'read' | 'write', ReturnType<typeof caller> | undefined, string]>([
  ['function-key', 'write', undefined, 'allowed'],
  ['function-key', 'write', caller(), 'allowed'],
  ['entra', 'read', undefined, 'no-caller'],
  ['entra', 'read', caller(), `role-missing ${APP_ROLES.read}`],
  ['entra', 'read', caller(APP_ROLES.read), 'allowed'],
  ['entra', 'read', caller(APP_ROLES.readWrite), 'allowed'],
  ['entra', 'write', caller(APP_ROLES.read), `role-missing ${APP_ROLES.readWrite}`],
  ['entra', 'write', caller(APP_ROLES.readWrite), 'allowed'],
  ['entra', 'write', caller('intunestatus.readwrite'), `role-missing ${APP_ROLES.readWrite}`],
  ['both', 'write', undefined, 'allowed'],
  ['both', 'write', caller(), `role-missing ${APP_ROLES.readWrite}`],
])('%s, %s, %j: %s', (mode, access, who, expected) => {
  const decision = decide(mode, access, who);
  expect(decision.allowed ? 'allowed' : decision.reason === 'no-caller' ? 'no-caller' : `role-missing ${decision.role}`).toBe(
    expected,
  );
});

test("a caller's budget account: none with function keys alone, one for every key while tokens are accepted too, else its object id, kept short", () => {
  const signedIn = (objectId: string) => ({ objectId, appId: undefined, roles: [] });
  expect(budgetAccountOf('function-key', signedIn('7D3F1A2B-0C4E-4F5A-9B6C-8D7E6F5A4B3C'))).toBeUndefined();
  expect(budgetAccountOf('both', undefined)).toBe('function-key');
  expect(budgetAccountOf('entra', signedIn('7D3F1A2B-0C4E-4F5A-9B6C-8D7E6F5A4B3C'))).toBe('7d3f1a2b-0c4e-4f5a-9b6c-8d7e6f5a4b3c');
  const odd = budgetAccountOf('entra', signedIn(`"\\${'x'.repeat(98)}`));
  expect(odd).toMatch(/^id-[0-9a-f]{32}$/);
  expect(budgetAccountOf('entra', signedIn(`"\\${'x'.repeat(98)}`))).toBe(odd);
});
