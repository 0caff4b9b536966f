import type { HttpRequestUser } from '@azure/functions';

/** Who called, as App Service Authentication vouches for it: identifiers, never a token. */
export interface CallerIdentity {
  readonly objectId: string;
  readonly appId: string | undefined;
  readonly roles: readonly string[];
}

interface PrincipalClaims {
  readonly claims?: readonly { readonly typ?: unknown; readonly val?: unknown }[];
  readonly role_typ?: unknown;
}

/**
 * The caller of a request, from the principal the platform passed (`X-MS-CLIENT-PRINCIPAL`, which
 * the Functions library reads as `request.user`); undefined without one. A caller cannot set
 * that header itself: App Service Authentication (and the local host) drop any it sends.
 */
export function callerOf(user: HttpRequestUser | null): CallerIdentity | undefined {
  if (!user || user.type !== 'AppService' || !user.id) return undefined;
  const principal = (user.claimsPrincipalData ?? {}) as PrincipalClaims;
  const claims: readonly { readonly typ?: unknown; readonly val?: unknown }[] = Array.isArray(principal.claims)
    ? principal.claims
    : [];
  const valuesOf = (...types: string[]) =>
    claims.filter((claim) => types.includes(String(claim.typ))).map((claim) => String(claim.val));
  const roleType = typeof principal.role_typ === 'string' ? principal.role_typ : 'roles';
  return {
    objectId: user.id,
    appId: valuesOf('appid', 'azp')[0],
    roles: valuesOf(roleType, 'roles', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role'),
  };
}
