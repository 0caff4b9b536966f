import { createHash } from 'node:crypto';

import type { TokenIssuer } from './tokens';

/** The client id tokens name when no user-assigned identity is asked for. */
export const SYSTEM_ASSIGNED_CLIENT_ID = '5e3f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8';

/** A plain JSON answer of the emulator's local side. */
export interface LocalReply {
  readonly status: number;
  readonly body?: unknown;
}

export interface IdentityEndpointOptions {
  readonly identityHeader: string;
  readonly issuer: TokenIssuer;
  /** The roles the token carries, read when it is issued. */
  readonly roles: () => readonly string[];
  /** Records each request's resource and client id, and each token issued (for the secrets audit). */
  readonly tokenRequests: { resource: string; clientId: string | undefined }[];
  readonly issuedTokens: string[];
  /** The issuer of its tokens for a federated credential (`api://AzureADTokenExchange`), as an app registration trusts it. */
  readonly exchangeIssuer: () => string;
}

/** The audience of a managed identity's token used as a federated credential. */
export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';

/** A managed identity's object (principal) id: the same for every token of a client id, as in Entra. */
export function objectIdOf(clientId: string): string {
  const hex = createHash('sha256').update(`managed-identity:${clientId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The App Service managed identity protocol (api-version 2019-08-01), as ManagedIdentityCredential
 * calls it: the secret header must match, and the token names the resource and the client id.
 */
export function serveIdentityToken(options: IdentityEndpointOptions, identityHeader: string | undefined, url: URL): LocalReply {
  if (identityHeader !== options.identityHeader) {
    return { status: 401, body: { statusCode: 401, message: 'Unauthorized: the X-IDENTITY-HEADER is missing or wrong.' } };
  }
  const resource = url.searchParams.get('resource');
  if (url.searchParams.get('api-version') !== '2019-08-01' || !resource) {
    return { status: 400, body: { statusCode: 400, message: 'api-version 2019-08-01 and resource are required.' } };
  }
  const requestedClientId = url.searchParams.get('client_id') ?? undefined;
  options.tokenRequests.push({ resource, clientId: requestedClientId });
  const clientId = requestedClientId ?? SYSTEM_ASSIGNED_CLIENT_ID;
  const audience = resource.replace(/\/\.default$/, '');
  const forExchange = audience === TOKEN_EXCHANGE_AUDIENCE;
  const { token, expiresOn } = options.issuer.issueFor({
    audience,
    clientId,
    objectId: objectIdOf(clientId),
    // Graph permissions are app roles of Graph's tokens only; a token for the exchange carries none.
    roles: forExchange ? [] : options.roles(),
    ...(forExchange ? { issuer: options.exchangeIssuer() } : {}),
  });
  options.issuedTokens.push(token);
  return {
    status: 200,
    body: { access_token: token, expires_on: String(expiresOn), resource, token_type: 'Bearer', client_id: clientId },
  };
}
