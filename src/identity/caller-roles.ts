import { createHash } from 'node:crypto';

/**
 * Who may call what, when callers sign in with Entra ID. App Service Authentication validates a
 * caller's token; it never checks roles, so the app does, here, from the roles the token carries.
 *
 * The roles follow Microsoft Graph's own naming, which Intune administrators already grant by:
 * `IntuneStatus.Read` for reads, `IntuneStatus.ReadWrite` for writes and reads (a write's answer
 * is the entity it wrote, so a writer reads too).
 */
export const APP_ROLES = { read: 'IntuneStatus.Read', readWrite: 'IntuneStatus.ReadWrite' } as const;
export type AppRole = (typeof APP_ROLES)[keyof typeof APP_ROLES];

/**
 * How callers prove who they are (`CALLER_AUTH`): a function key (the default), an Entra ID token,
 * or either while callers move from keys to tokens.
 */
export type CallerAuthMode = 'function-key' | 'entra' | 'both';
export const CALLER_AUTH_MODES: readonly CallerAuthMode[] = ['function-key', 'entra', 'both'];

/** A caller App Service Authentication vouched for: identifiers, roles and delegated scopes, never a token. */
export interface Caller {
  readonly objectId: string;
  readonly appId: string | undefined;
  readonly roles: readonly string[];
  /** The delegated scopes (`scp`) of a signed-in user's token; none for an application's own token. */
  readonly scopes?: readonly string[];
}

/** Whether the caller is a signed-in user (a delegated token, with scopes) rather than an application on its own. */
export const isSignedInUser = (caller: Caller | undefined): boolean => (caller?.scopes?.length ?? 0) > 0;

export type Access = 'read' | 'write';

export type CallerDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly reason: 'no-caller' }
  | { readonly allowed: false; readonly reason: 'role-missing'; readonly role: AppRole };

/** The role that allows an access, and every role that does. */
export const roleFor = (access: Access): AppRole => (access === 'read' ? APP_ROLES.read : APP_ROLES.readWrite);
const rolesAllowing = (access: Access): readonly AppRole[] =>
  access === 'read' ? [APP_ROLES.read, APP_ROLES.readWrite] : [APP_ROLES.readWrite];

/**
 * Whether a request may go on. With function keys, the Functions host checked the key. With
 * Entra ID, a caller is required (App Service Authentication answers 401 without one; the app
 * refuses too when it gets no caller, as when the platform's authentication is off, since a
 * principal is then not trusted at all) and must hold a role that allows the access. While
 * both are accepted, a request with a key and no token goes on, and a caller with a token needs
 * the role all the same.
 */
export function decide(mode: CallerAuthMode, access: Access, caller: Caller | undefined): CallerDecision {
  if (mode === 'function-key') return { allowed: true };
  if (!caller) return mode === 'entra' ? { allowed: false, reason: 'no-caller' } : { allowed: true };
  return rolesAllowing(access).some((role) => caller.roles.includes(role))
    ? { allowed: true }
    : { allowed: false, reason: 'role-missing', role: roleFor(access) };
}

/** The budget account of callers with a function key while both ways are accepted: the platform does not say which key. */
export const FUNCTION_KEY_ACCOUNT = 'function-key';

/**
 * The account the Graph budget counts a caller's calls against, for its fair share: the object
 * id App Service Authentication vouched for. Callers with a function key share one account: the
 * Functions host checks the key but does not tell a Node.js worker which one was used (the
 * library reads a caller only from `X-MS-CLIENT-PRINCIPAL`). With function keys alone there is
 * then one account, and no account at all is kept: the budget works as it always has.
 */
export function budgetAccountOf(mode: CallerAuthMode, caller: Caller | undefined): string | undefined {
  if (mode === 'function-key') return undefined;
  if (!caller) return FUNCTION_KEY_ACCOUNT;
  // Entra object ids are GUIDs; anything else is kept short and plain for the budget's row.
  return GUID.test(caller.objectId)
    ? caller.objectId.toLowerCase()
    : `id-${createHash('sha256').update(caller.objectId).digest('hex').slice(0, 32)}`;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
