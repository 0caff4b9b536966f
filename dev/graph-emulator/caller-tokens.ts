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
