import type { TokenCredential } from '@azure/identity';

/** What the facade's Graph token says about its identity; never the token itself. */
export interface TokenClaims {
  readonly audience: string | undefined;
  readonly tenantId: string | undefined;
  readonly appId: string | undefined;
  readonly roles: readonly string[];
}

export type TokenReading = { readonly ok: true; readonly claims: TokenClaims } | { readonly ok: false; readonly reason: string };

/** Reads the claims of the token the facade calls Graph with. */
export interface TokenInspector {
  /** The claims of the current token (the credential caches it), within the deadline. */
  read(deadlineMs: number): Promise<TokenReading>;
}

/**
 * The payload of a JWT, decoded, never verified: the signature is checked by whoever the token is
 * for (Graph; App Service Authentication for callers' tokens). Throws when it is not JSON.
 */
export function payloadOf(token: string): Record<string, unknown> {
  const payload = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

const text = (value: unknown) => (typeof value === 'string' ? value : undefined);

export function createTokenInspector(credential: TokenCredential, scope: string): TokenInspector {
  return {
    async read(deadlineMs) {
      try {
        const token = await credential.getToken(scope, {
          abortSignal: AbortSignal.timeout(Math.max(1, deadlineMs - Date.now())),
        });
        if (!token) return { ok: false, reason: 'the credential returned no token' };
        const claims = payloadOf(token.token);
        return {
          ok: true,
          claims: {
            audience: text(claims.aud),
            tenantId: text(claims.tid),
            appId: text(claims.appid) ?? text(claims.azp),
            roles: Array.isArray(claims.roles) ? claims.roles.filter((role): role is string => typeof role === 'string') : [],
          },
        };
      } catch (error) {
        return { ok: false, reason: `${(error as Error).name}: ${(error as Error).message}`.slice(0, 500) };
      }
    },
  };
}
