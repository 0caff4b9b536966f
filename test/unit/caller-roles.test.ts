import { APP_ROLES, type CallerAuthMode, decide } from '../../src/identity/caller-roles';

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
