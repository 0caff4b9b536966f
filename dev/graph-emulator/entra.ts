import { objectIdOf, TOKEN_EXCHANGE_AUDIENCE } from './identity';
import type { TokenIssuer } from './tokens';

/** The facade's API app registration, as the emulated tenant knows it (the Bicep's `api` application). */
export const API_CLIENT_ID = '3d9c7b1a-5e2f-4a6b-9c8d-7e6f5a4b3c2d';

/** The client id of the facade's user-assigned managed identity (the Bicep's `identity`), as the emulator hands it out. */
export const FACADE_IDENTITY_CLIENT_ID = '8b2e4c6d-1f3a-4e5b-8c7d-9e0f1a2b3c4d';

/** The delegated Graph permissions an administrator consented to for the API (its `oauth2PermissionGrants`). */
export const DEFAULT_CONSENTED_SCOPES = ['DeviceManagementApps.ReadWrite.All'];

/**
 * What the tenant trusts for the On-Behalf-Of exchange: the API's application, the federated
 * identity credential on it (issuer, subject, audience), and the delegated permissions consented
 * for it. The managed identity's token is then the API's client assertion: no secret anywhere.
 */
export interface Federation {
  apiClientId: string;
  /** The federated credential's issuer and subject: the managed identity's tokens for the exchange. */
  issuer: string;
  subject: string;
  consentedScopes: string[];
  /** The token endpoint is down: it answers 503 (a test's outage). */
  outage: boolean;
}

export function defaultFederation(exchangeIssuer: string): Federation {
  return {
    apiClientId: API_CLIENT_ID,
    issuer: exchangeIssuer,
    subject: objectIdOf(FACADE_IDENTITY_CLIENT_ID),
    consentedScopes: [...DEFAULT_CONSENTED_SCOPES],
    outage: false,
  };
}

/** One On-Behalf-Of request as the token endpoint saw it: who asked, for whom, and how it ended. Never a token. */
export interface TokenExchange {
  readonly clientId: string;
  readonly userObjectId: string | undefined;
  readonly scope: string;
  /** `issued`, or the OAuth error Entra answered with. */
  readonly outcome: string;
}

/** A plain JSON answer of the Entra endpoints. */
export interface EntraReply {
  readonly status: number;
  readonly body: unknown;
}

/** What the Entra endpoints use: the issuer of every token, the trust, the Graph audience, and where they are served. */
export interface EntraEndpointOptions {
  readonly issuer: TokenIssuer;
  readonly federation: () => Federation;
  /** The root of the Graph cloud whose tokens the exchange issues (their `aud`). */
  readonly graphRoot: string;
  /** The audiences a user's token for the API may carry. */
  readonly apiAudiences: () => readonly string[];
  /** The authority root (`https://localhost:<port>`), where the metadata says the endpoints are. */
  readonly authorityRoot: () => string;
  readonly exchanges: TokenExchange[];
  readonly issuedTokens: string[];
}

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Entra's error answer: the OAuth error, an AADSTS description, its code. */
function refused(status: number, error: string, code: number, description: string): EntraReply {
  return {
    status,
    body: { error, error_description: `AADSTS${code}: ${description}`, error_codes: [code], timestamp: new Date().toISOString() },
  };
}

/**
 * `GET /{tenant}/v2.0/.well-known/openid-configuration`: the authority's metadata, which MSAL
 * reads before its first token request.
 */
export function openIdConfiguration(options: EntraEndpointOptions, tenant: string): EntraReply {
  if (tenant !== options.issuer.tenantId) return refused(400, 'invalid_tenant', 90002, `Tenant '${tenant}' not found.`);
  const base = `${options.authorityRoot()}/${tenant}`;
  return {
    status: 200,
    body: {
      issuer: `${base}/v2.0`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      token_endpoint: `${base}/oauth2/v2.0/token`,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      jwks_uri: `${options.authorityRoot()}/${tenant}/discovery/v2.0/keys`,
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      tenant_region_scope: 'EU',
    },
  };
}

/**
 * `POST /{tenant}/oauth2/v2.0/token` with the On-Behalf-Of grant, as Entra checks it: the
 * jwt-bearer grant with `requested_token_use=on_behalf_of`; the client is the API, proven by a
 * client assertion that must be a managed identity's token for the exchange audience, issued and
 * named as the API's federated credential says; the assertion is the user's token for the API.
 * The answer is a Graph token for that user carrying the consented delegated permissions.
 */
export function exchangeToken(options: EntraEndpointOptions, tenant: string, form: URLSearchParams): EntraReply {
  const federation = options.federation();
  const clientId = form.get('client_id') ?? '';
  const scope = form.get('scope') ?? '';
  const exchange = (outcome: string, userObjectId?: string) => options.exchanges.push({ clientId, userObjectId, scope, outcome });
  if (federation.outage) {
    exchange('temporarily_unavailable');
    return refused(503, 'temporarily_unavailable', 90033, 'A transient error has occurred. Please try again.');
  }
  if (tenant !== options.issuer.tenantId) {
    exchange('invalid_tenant');
    return refused(400, 'invalid_request', 90002, `Tenant '${tenant}' not found.`);
  }
  if (form.get('grant_type') !== JWT_BEARER || form.get('requested_token_use') !== 'on_behalf_of') {
    exchange('unsupported_grant_type');
    return refused(
      400,
      'unsupported_grant_type',
      70003,
      'The app requested an unsupported grant type: only On-Behalf-Of is served here.',
    );
  }
  if (clientId !== federation.apiClientId) {
    exchange('unauthorized_client');
    return refused(
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory.`,
    );
  }
  if (form.get('client_assertion_type') !== CLIENT_ASSERTION_TYPE || !form.get('client_assertion')) {
    exchange('invalid_client');
    return refused(401, 'invalid_client', 7000218, "The request body must contain 'client_assertion' or 'client_secret'.");
  }
  const credential = options.issuer.check(form.get('client_assertion') ?? '', [TOKEN_EXCHANGE_AUDIENCE], federation.issuer);
  if (!credential.ok || credential.claims.sub !== federation.subject) {
    exchange('invalid_client');
    return refused(
      401,
      'invalid_client',
      700213,
      `No matching federated identity record found for presented assertion subject '${credential.ok ? credential.claims.sub : 'unknown'}'${credential.ok ? '' : ` (${credential.reason})`}.`,
    );
  }
  const user = options.issuer.check(form.get('assertion') ?? '', options.apiAudiences());
  if (!user.ok) {
    exchange('invalid_grant');
    return refused(400, 'invalid_grant', 50013, `Assertion failed signature validation or is not valid: ${user.reason}`);
  }
  if (user.claims.idtyp !== 'user' || user.claims.scp === undefined) {
    exchange('invalid_grant', user.claims.oid);
    return refused(400, 'invalid_grant', 50013, 'The assertion is not a user token: On-Behalf-Of needs a delegated token.');
  }
  const graphScope = scope.split(' ').find((each) => each.toLowerCase() === `${options.graphRoot.toLowerCase()}/.default`);
  if (!graphScope) {
    exchange('invalid_scope', user.claims.oid);
    return refused(
      400,
      'invalid_scope',
      70011,
      `The provided value for scope '${scope}' is not valid: ask for ${options.graphRoot}/.default.`,
    );
  }
  if (federation.consentedScopes.length === 0) {
    exchange('consent_required', user.claims.oid);
    return refused(
      400,
      'invalid_grant',
      65001,
      `The user or administrator has not consented to use the application with ID '${clientId}'. Send an interactive authorization request for this user and resource.`,
    );
  }
  const { token, expiresOn } = options.issuer.issueFor({
    audience: options.graphRoot,
    clientId,
    objectId: user.claims.oid,
    user: {
      scopes: federation.consentedScopes,
      upn: user.claims.upn ?? `${user.claims.oid}@example.invalid`,
      name: user.claims.name ?? user.claims.oid,
    },
  });
  options.issuedTokens.push(token);
  exchange('issued', user.claims.oid);
  const expiresIn = expiresOn - Math.floor(Date.now() / 1000);
  return {
    status: 200,
    body: {
      token_type: 'Bearer',
      scope: federation.consentedScopes.map((each) => `${options.graphRoot}/${each}`).join(' '),
      expires_in: expiresIn,
      ext_expires_in: expiresIn,
      access_token: token,
    },
  };
}
