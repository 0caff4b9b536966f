import { createPublicKey, type JsonWebKey, type KeyObject, verify } from 'node:crypto';

/**
 * A stand-in for App Service Authentication (Easy Auth) in front of the local host, for tokens of
 * one issuer (the Graph emulator's): it validates a caller's bearer token (signature, issuer,
 * audience, lifetime), strips any principal headers a caller sent, and passes the validated
 * caller to the app in `X-MS-CLIENT-PRINCIPAL`, as the platform does; a request without a valid
 * token is answered 401 before the app sees it, except on the excluded paths.
 */
export interface AppServiceAuthOptions {
  /** The `iss` a token must carry. */
  readonly issuer: string;
  /** The audiences (`aud`) a token may carry: the API's identifier URI. */
  readonly audiences: readonly string[];
  /** Where the issuer's signing keys are published (a JSON Web Key Set). */
  readonly jwksUrl: string;
  /** Paths that need no token (`excludedPaths` of authsettingsV2), e.g. `/api/health`. */
  readonly excludedPaths: readonly string[];
  /** Whether a request without a token is refused (Return401) or passed without a caller (AllowAnonymous). */
  readonly requireAuthentication: boolean;
}

export type Admission =
  /** `principal`: the headers to pass to the app (none for a caller without a token, where that is allowed). */
  | { readonly ok: true; readonly principal: Record<string, string> }
  | { readonly ok: false; readonly status: 401; readonly headers: Record<string, string> };

/** The headers the platform sets itself; any a caller sends are dropped. */
export const PRINCIPAL_HEADERS = /^x-ms-client-principal(-.*)?$|^x-ms-token-/i;

/** Clock skew allowed on `exp` and `nbf`, as token validators allow. */
const SKEW_SECONDS = 300;

interface TokenClaims {
  readonly iss?: unknown;
  readonly aud?: unknown;
  readonly exp?: unknown;
  readonly nbf?: unknown;
  readonly oid?: unknown;
  readonly appid?: unknown;
  readonly azp?: unknown;
  readonly roles?: unknown;
  readonly [name: string]: unknown;
}

export function appServiceAuth(options: AppServiceAuthOptions) {
  let keys: Promise<Map<string, KeyObject>> | undefined;
  // An unknown key id is asked of the issuer again at most this often, so that tokens with made-up ids cannot make every request a fetch.
  const REFRESH_EVERY_MS = 5000;
  let refreshedAtMs = 0;
  const signingKeys = (refresh: boolean) => {
    const mayRefresh = refresh && Date.now() - refreshedAtMs >= REFRESH_EVERY_MS;
    if (!keys || mayRefresh) {
      refreshedAtMs = Date.now();
      keys = fetch(options.jwksUrl, { signal: AbortSignal.timeout(5000) })
        .then((response) => response.json() as Promise<{ keys: (JsonWebKey & { kid?: string })[] }>)
        .then((set) => new Map(set.keys.map((key) => [String(key.kid), createPublicKey({ key, format: 'jwk' })])));
      keys.catch(() => (keys = undefined));
    }
    return keys;
  };

  const refused = (error: string): Admission => ({
    ok: false,
    status: 401,
    headers: { 'www-authenticate': `Bearer error="${error}"` },
  });

  async function claimsOf(token: string): Promise<TokenClaims | undefined> {
    const [header, payload, signature, ...rest] = token.split('.');
    if (!header || !payload || !signature || rest.length > 0) return undefined;
    let kid: string;
    let claims: TokenClaims;
    try {
      const parsedHeader = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: unknown; kid?: unknown };
      if (parsedHeader.alg !== 'RS256') return undefined;
      kid = String(parsedHeader.kid);
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as TokenClaims;
    } catch {
      return undefined;
    }
    const key = (await signingKeys(false)).get(kid) ?? (await signingKeys(true)).get(kid);
    if (!key) return undefined;
    const signed = verify('sha256', Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url'));
    return signed ? claims : undefined;
  }

  return {
    /** Decides on one request: its path, and its Authorization header. */
    async admit(path: string, authorization: string | null): Promise<Admission> {
      // As the platform reads excludedPaths: a path itself, or with a trailing `/*` everything under it.
      const lower = path.toLowerCase();
      const excluded = options.excludedPaths.some((excludedPath) => {
        const excludedLower = excludedPath.toLowerCase();
        return excludedLower.endsWith('/*') ? lower.startsWith(excludedLower.slice(0, -1)) : lower === excludedLower;
      });
      if (excluded) return { ok: true, principal: {} };
      const bearer = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? '')?.[1];
      if (!bearer) return options.requireAuthentication ? refused('invalid_request') : { ok: true, principal: {} };
      const claims = await claimsOf(bearer).catch(() => undefined);
      const nowSeconds = Date.now() / 1000;
      if (
        !claims ||
        claims.iss !== options.issuer ||
        !options.audiences.includes(String(claims.aud)) ||
        typeof claims.exp !== 'number' ||
        claims.exp + SKEW_SECONDS <= nowSeconds ||
        (typeof claims.nbf === 'number' && claims.nbf - SKEW_SECONDS > nowSeconds)
      )
        return refused('invalid_token');
      return { ok: true, principal: principalHeaders(claims) };
    },
  };
}

/** The caller as the platform passes it: `X-MS-CLIENT-PRINCIPAL` (base64 JSON of the claims) and its companions. */
export function principalHeaders(claims: TokenClaims): Record<string, string> {
  const flat = Object.entries(claims).flatMap(([typ, value]) =>
    (Array.isArray(value) ? value : [value]).map((each) => ({
      typ,
      val: typeof each === 'string' ? each : JSON.stringify(each),
    })),
  );
  const principal = { auth_typ: 'aad', claims: flat, name_typ: 'name', role_typ: 'roles' };
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const id = text(claims.oid) ?? '';
  return {
    'x-ms-client-principal': Buffer.from(JSON.stringify(principal)).toString('base64'),
    'x-ms-client-principal-id': id,
    'x-ms-client-principal-name': text(claims.appid) ?? text(claims.azp) ?? id,
    'x-ms-client-principal-idp': 'aad',
  };
}

/** The stand-in's settings from the environment (LOCAL_AUTH_*), or none: then the host checks no token. */
export function appServiceAuthFromEnvironment(environment: NodeJS.ProcessEnv): AppServiceAuthOptions | undefined {
  const { LOCAL_AUTH_ISSUER, LOCAL_AUTH_AUDIENCE, LOCAL_AUTH_JWKS_URL } = environment;
  if (!LOCAL_AUTH_ISSUER || !LOCAL_AUTH_AUDIENCE || !LOCAL_AUTH_JWKS_URL) return undefined;
  return {
    issuer: LOCAL_AUTH_ISSUER,
    audiences: LOCAL_AUTH_AUDIENCE.split(',').map((audience) => audience.trim()),
    jwksUrl: LOCAL_AUTH_JWKS_URL,
    excludedPaths: (environment.LOCAL_AUTH_EXCLUDED_PATHS ?? '/api/health,/api/openapi.json,/api/swagger.json,/api/docs')
      .split(',')
      .map((path) => path.trim())
      .filter(Boolean),
    requireAuthentication: environment.LOCAL_AUTH_UNAUTHENTICATED !== 'allow',
  };
}
