import type { HttpHandler, HttpRequestUser } from '@azure/functions';

import { correlationIdOf, withStandardHeaders } from '../http/headers';
import { problemResponse } from '../http/problem';
import type { HttpAnswer } from '../http/response';
import { type Access, type Caller, type CallerAuthMode, decide, isSignedInUser } from '../identity/caller-roles';
import { payloadOf } from '../identity/token-claims';
import type { GraphIdentities, SignedInCaller } from '../operations/graph-identity';

interface PrincipalClaims {
  readonly claims?: readonly { readonly typ?: unknown; readonly val?: unknown }[];
  readonly role_typ?: unknown;
}

/**
 * The caller a principal names (`X-MS-CLIENT-PRINCIPAL`, which the Functions library reads as
 * `request.user`); undefined without one. Only `trustedCaller` reads it, and only where the
 * platform's authentication made it: a caller could send the header itself anywhere else.
 */
function callerOf(user: HttpRequestUser | null): Caller | undefined {
  if (!user || user.type !== 'AppService' || !user.id) return undefined;
  // A platform-made principal holds Entra ids; anything longer is not one, and must not fill a record.
  if (user.id.length > MAX_ID_LENGTH) return undefined;
  const principal = (user.claimsPrincipalData ?? {}) as PrincipalClaims;
  const claims: readonly { readonly typ?: unknown; readonly val?: unknown }[] = Array.isArray(principal.claims)
    ? principal.claims
    : [];
  const valuesOf = (...types: string[]) =>
    claims.filter((claim) => types.includes(String(claim.typ))).map((claim) => String(claim.val));
  const roleType = typeof principal.role_typ === 'string' ? principal.role_typ : 'roles';
  const appId = valuesOf('appid', 'azp')[0];
  return {
    objectId: user.id,
    appId: appId !== undefined && appId.length <= MAX_ID_LENGTH ? appId : undefined,
    roles: valuesOf(roleType, 'roles', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role'),
    scopes: valuesOf('scp', 'http://schemas.microsoft.com/identity/claims/scope').flatMap((scope) =>
      scope.split(' ').filter(Boolean),
    ),
  };
}

/**
 * The token a signed-in user called with, for the On-Behalf-Of exchange: App Service
 * Authentication passes the `Authorization` header on after validating it. It is taken only for
 * the caller the platform vouched for (the token must name the same object id), never logged.
 */
export function userAssertionOf(request: { readonly headers: Headers }, caller: Caller): string | undefined {
  const bearer = /^Bearer\s+([\w-]+\.[\w-]+\.[\w-]+)$/i.exec(request.headers.get('authorization')?.trim() ?? '')?.[1];
  if (!bearer) return undefined;
  try {
    return payloadOf(bearer).oid === caller.objectId ? bearer : undefined;
  } catch {
    return undefined;
  }
}

const MAX_ID_LENGTH = 100;

/**
 * The caller the platform vouched for, read only where the app takes callers who sign in and the
 * platform's authentication runs in front of it (`WEBSITE_AUTH_ENABLED`, which App Service sets,
 * as the local host does for its stand-in). Elsewhere a principal header can only be a caller's
 * own, and is not read: with function keys, nobody signs in.
 */
export function trustedCaller(request: { readonly user: HttpRequestUser | null }, callers: CallerTrust): Caller | undefined {
  if (callers.mode === 'function-key' || !callers.platformAuthentication) return undefined;
  try {
    return callerOf(request.user);
  } catch {
    // The library refuses a principal header without its companions: then there is no caller.
    return undefined;
  }
}

/** How the app knows its callers: CALLER_AUTH, and whether the platform's authentication is in front of it. */
export interface CallerTrust {
  readonly mode: CallerAuthMode;
  readonly platformAuthentication: boolean;
}

/** The answer to a caller that may not go on; undefined when it may (identity/caller-roles.ts decides). */
export function refusalOf(mode: CallerAuthMode, access: Access, caller: Caller | undefined): HttpAnswer | undefined {
  const decision = decide(mode, access, caller);
  if (decision.allowed) return undefined;
  if (decision.reason === 'no-caller') {
    return problemResponse('caller-not-authenticated', {
      detail:
        'This app accepts callers who sign in with Entra ID: send an access token for its API as `Authorization: Bearer <token>`.',
      headers: { 'www-authenticate': 'Bearer' },
    });
  }
  return problemResponse('caller-role-missing', {
    detail: `The caller's token does not hold the app role ${decision.role}, which this request needs: assign it to the caller's application or user in Entra ID, then get a new token.`,
  });
}

/** A route's handler that first checks the caller's right to it (reads: `read`). */
export function guarded(callers: CallerTrust, access: Access, handler: HttpHandler): HttpHandler {
  return async (request, context) => {
    const refusal = refusalOf(callers.mode, access, trustedCaller(request, callers));
    return refusal ? withStandardHeaders(refusal, correlationIdOf(request.headers)) : handler(request, context);
  };
}

/**
 * The signed-in user a call may go to Graph as: their Graph tokens where the app can exchange
 * the token they called with (On-Behalf-Of), none where it cannot; undefined for a caller who is
 * not a signed-in user. Nothing is exchanged until the call goes to Graph as the user.
 */
export function signedInUserOf(
  request: { readonly headers: Headers },
  caller: Caller | undefined,
  identities: GraphIdentities,
): SignedInCaller | undefined {
  if (!caller || !isSignedInUser(caller)) return undefined;
  const assertion = userAssertionOf(request, caller);
  return {
    tokens: assertion === undefined ? undefined : identities.onBehalfOf?.forUser({ objectId: caller.objectId, assertion }),
    whyNoTokens: identities.onBehalfOf ? 'token-missing' : 'not-set-up',
  };
}
