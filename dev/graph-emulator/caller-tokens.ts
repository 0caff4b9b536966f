import { randomUUID } from 'node:crypto';

import type { LocalReply } from './identity';
import type { TokenIssuer } from './tokens';

/** The audience of caller tokens by default: the API's identifier URI, `api://<tenant>/<name>` as the Bicep declares it. */
export const callerAudienceOf = (tenantId: string): string => `api://${tenantId}/intune-status-facade`;

/**
 * `POST /_emulator/caller-tokens`: a token for a caller of the facade, as Entra issues one to an
 * application by client credentials (a Logic App's managed identity, say), carrying the app roles
 * asked for. `audience`, `appId`, `objectId` and `lifetimeSeconds` (negative: already expired)
 * may be set to make tokens the facade must refuse.
 */
export function issueCallerToken(issuer: TokenIssuer, body: Record<string, unknown>): LocalReply {
  const roles = Array.isArray(body.roles) ? body.roles.map(String) : [];
  const lifetimeSeconds = typeof body.lifetimeSeconds === 'number' ? body.lifetimeSeconds : 3600;
  if (!Number.isInteger(lifetimeSeconds) || lifetimeSeconds < -86_400 || lifetimeSeconds > 86_400)
    throw new RangeError('lifetimeSeconds must be a whole number of seconds from -86400 to 86400');
  const text = (name: string, fallback: string) => (typeof body[name] === 'string' ? body[name] : fallback);
  const { token, expiresOn } = issuer.issue(
    text('audience', callerAudienceOf(issuer.tenantId)),
    text('appId', randomUUID()),
    text('objectId', randomUUID()),
    roles,
    lifetimeSeconds,
  );
  return { status: 200, body: { token_type: 'Bearer', access_token: token, expires_on: expiresOn } };
}

/** The Power Automate connector's client, as user tokens for the API name it (`appid`). */
export const CONNECTOR_CLIENT_ID = '7a1e3c5b-9d2f-4b8a-a6c4-2e0d8f6b4a19';

/** The demo user `npm start` prints a token for. */
export const DEMO_USER = {
  objectId: '4f6e8d0c-2b4a-4c6e-8f0a-1c3e5a7b9d2f',
  upn: 'adele.vance@contoso.example',
  name: 'Adele Vance',
} as const;

/**
 * `POST /_emulator/user-tokens`: a signed-in user's token for the facade's API, as Entra issues
 * one to the Power Automate connector: delegated (`scp` user_impersonation), naming the user
 * (`oid`, `upn`) and the app roles assigned to them (both, unless `roles` says). `objectId`,
 * `upn`, `scopes`, `audience` and `lifetimeSeconds` may be set; the demo user otherwise.
 */
export function issueUserToken(issuer: TokenIssuer, body: Record<string, unknown>): LocalReply {
  const list = (name: string, fallback: readonly string[]) =>
    Array.isArray(body[name]) ? (body[name] as unknown[]).map(String) : [...fallback];
  const text = (name: string, fallback: string) => (typeof body[name] === 'string' ? body[name] : fallback);
  const lifetimeSeconds = typeof body.lifetimeSeconds === 'number' ? body.lifetimeSeconds : 3600;
  if (!Number.isInteger(lifetimeSeconds) || lifetimeSeconds < -86_400 || lifetimeSeconds > 86_400)
    throw new RangeError('lifetimeSeconds must be a whole number of seconds from -86400 to 86400');
  const objectId = text('objectId', DEMO_USER.objectId);
  const { token, expiresOn } = issuer.issueFor({
    audience: text('audience', callerAudienceOf(issuer.tenantId)),
    clientId: text('appId', CONNECTOR_CLIENT_ID),
    objectId,
    roles: list('roles', ['IntuneStatus.Read', 'IntuneStatus.ReadWrite']),
    user: {
      scopes: list('scopes', ['user_impersonation']),
      upn: text('upn', objectId === DEMO_USER.objectId ? DEMO_USER.upn : `${objectId}@contoso.example`),
      name: text('name', objectId === DEMO_USER.objectId ? DEMO_USER.name : objectId),
    },
    lifetimeSeconds,
  });
  return { status: 200, body: { token_type: 'Bearer', access_token: token, expires_on: expiresOn } };
}
