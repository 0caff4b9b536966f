import { createPublicKey, generateKeyPairSync, type KeyObject, randomUUID, sign, verify } from 'node:crypto';

/** Claims of an Entra access token, the ones Graph and token validators look at. */
export interface AccessTokenClaims {
  readonly aud: string;
  readonly iss: string;
  readonly tid: string;
  readonly oid: string;
  readonly sub: string;
  readonly appid: string;
  /** `app` for an application on its own; `user` for an app acting for a signed-in user. */
  readonly idtyp: 'app' | 'user';
  readonly roles: readonly string[];
  /** A user token's delegated permissions, space-separated. */
  readonly scp?: string;
  readonly upn?: string;
  readonly name?: string;
  readonly iat: number;
  readonly nbf: number;
  readonly exp: number;
}

/** What a token is made of: who it names and for what; the issuer fills in the rest. */
export interface TokenSubject {
  readonly audience: string;
  readonly clientId: string;
  readonly objectId: string;
  readonly roles?: readonly string[];
  /** A signed-in user's token: its delegated permissions and name. */
  readonly user?: { readonly scopes: readonly string[]; readonly upn: string; readonly name: string };
  /** The issuer it names; Entra's v1 issuer of the tenant unless said. */
  readonly issuer?: string;
  readonly lifetimeSeconds?: number;
}

export type TokenCheck =
  { readonly ok: true; readonly claims: AccessTokenClaims } | { readonly ok: false; readonly reason: string };

const base64url = (value: Buffer | string) => Buffer.from(value).toString('base64url');

/**
 * Issues and verifies RS256 JWTs, so that the facade's credential receives a token shaped like
 * Entra's and the Graph side can refuse a forged, expired or misaddressed one.
 */
export class TokenIssuer {
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  private readonly keyId = randomUUID();

  constructor(readonly tenantId: string) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = privateKey;
    this.publicKey = createPublicKey(privateKey);
  }

  /** A signed token for `audience` carrying `roles`, valid for `lifetimeSeconds`. */
  issue(
    audience: string,
    clientId: string,
    objectId: string,
    roles: readonly string[],
    lifetimeSeconds = 3600,
  ): { token: string; expiresOn: number } {
    return this.issueFor({ audience, clientId, objectId, roles, lifetimeSeconds });
  }

  /** A signed token for a subject: an application's, or a signed-in user's (`user`). */
  issueFor(subject: TokenSubject): { token: string; expiresOn: number } {
    const now = Math.floor(Date.now() / 1000);
    const { user } = subject;
    const claims: AccessTokenClaims = {
      aud: subject.audience,
      iss: subject.issuer ?? this.issuerUrl,
      tid: this.tenantId,
      oid: subject.objectId,
      sub: subject.objectId,
      appid: subject.clientId,
      idtyp: user ? 'user' : 'app',
      roles: [...(subject.roles ?? [])],
      ...(user ? { scp: user.scopes.join(' '), upn: user.upn, name: user.name } : {}),
      iat: now,
      nbf: now - 60,
      exp: now + (subject.lifetimeSeconds ?? 3600),
    };
    const header = { alg: 'RS256', typ: 'JWT', kid: this.keyId };
    const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    const signature = sign('sha256', Buffer.from(signingInput), this.privateKey);
    return { token: `${signingInput}.${base64url(signature)}`, expiresOn: claims.exp };
  }

  /** The issuer its tokens name (`iss`), as Entra's v1 tokens name their tenant's. */
  get issuerUrl(): string {
    return `https://sts.windows.net/${this.tenantId}/`;
  }

  /** Its signing key as a JSON Web Key Set, as Entra publishes its keys for token validators. */
  jwks(): { keys: Record<string, unknown>[] } {
    return { keys: [{ ...this.publicKey.export({ format: 'jwk' }), kid: this.keyId, use: 'sig', alg: 'RS256' }] };
  }

  /** Verifies signature, lifetime, audience and tenant (and the issuer, where one is expected). */
  check(token: string, acceptedAudiences: readonly string[], expectedIssuer?: string): TokenCheck {
    const parts = token.split('.');
    if (parts.length !== 3) return { ok: false, reason: 'IDX14100: JWT is not well formed.' };
    const [header = '', payload = '', signature = ''] = parts;
    const valid = verify('sha256', Buffer.from(`${header}.${payload}`), this.publicKey, Buffer.from(signature, 'base64url'));
    if (!valid) return { ok: false, reason: 'Access token validation failure: invalid signature.' };
    let claims: AccessTokenClaims;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as AccessTokenClaims;
    } catch {
      return { ok: false, reason: 'Access token validation failure: unreadable claims.' };
    }
    const now = Math.floor(Date.now() / 1000);
    if (claims.exp <= now) return { ok: false, reason: 'Lifetime validation failed, the token is expired.' };
    if (!acceptedAudiences.includes(claims.aud)) return { ok: false, reason: 'Invalid audience.' };
    if (claims.tid !== this.tenantId) return { ok: false, reason: 'Access token validation failure: wrong tenant.' };
    if (expectedIssuer !== undefined && claims.iss !== expectedIssuer) return { ok: false, reason: 'Invalid issuer.' };
    return { ok: true, claims };
  }
}
