import { isWrite, type Operation } from '../catalog/operations';
import { type GraphIdentities, graphIdentityFor } from './graph-identity';

/** Who an operation's calls go to Graph as (graph-identity.ts), and whether that works. */
export interface OperationIdentity {
  readonly operation: string;
  /** What Graph accepts for it, from its permissions table. */
  readonly graphAccepts: readonly string[];
  readonly identity: 'managed-identity' | 'signed-in-user' | 'signed-in-user-else-managed-identity';
  readonly works: boolean;
  readonly detail: string;
}

/** What the operation's resource's read probe proved (diagnostics.ts `Probe`, as far as is read here). */
interface ResourceProbe {
  readonly resource: string;
  readonly result: string;
  readonly detail: string;
}

/** How the app calls Graph for signed-in users, for the report, and whether callers can sign in at all (CALLER_AUTH entra or both). */
export interface DiagnosticsIdentities extends GraphIdentities {
  readonly usersSignIn: boolean;
}

/**
 * An operation's identity and whether it works: as the managed identity, when its resource's
 * probe read and, for a write, the token holds the permission; as a signed-in user, when users
 * sign in and the app proves itself for the exchange (each user's own Intune role still decides).
 */
export function operationIdentity(
  operation: Operation,
  probes: readonly ResourceProbe[],
  roles: readonly string[],
  identities: DiagnosticsIdentities,
  assertion: { ok: true } | { ok: false; reason: string } | undefined,
): OperationIdentity {
  const asUser = graphIdentityFor(operation, true, identities.use) === 'user';
  const asApp = graphIdentityFor(operation, false, identities.use) === 'app';
  const entry = (identity: OperationIdentity['identity'], works: boolean, detail: string): OperationIdentity => ({
    operation: operation.name,
    graphAccepts: operation.identities,
    identity,
    works,
    detail,
  });
  if (!asApp) {
    if (!identities.usersSignIn)
      return entry(
        'signed-in-user',
        false,
        'Graph accepts it only from a signed-in user, and callers do not sign in (CALLER_AUTH=function-key): set CALLER_AUTH to entra or both.',
      );
    if (!identities.onBehalfOf || !assertion)
      return entry(
        'signed-in-user',
        false,
        "Graph accepts it only from a signed-in user, and the exchange of users' tokens is not set up (API_CLIENT_ID, AZURE_TENANT_ID).",
      );
    return assertion.ok
      ? entry(
          'signed-in-user',
          true,
          "Called as the signed-in user (On-Behalf-Of): the managed identity's token, the exchange's credential, was had. Each user's own Intune role decides what Graph lets them do.",
        )
      : entry(
          'signed-in-user',
          false,
          `Called as the signed-in user, but the managed identity's token for the exchange could not be had: ${assertion.reason}`,
        );
  }
  const found = probes.find((candidate) => candidate.resource === operation.resource.noun);
  const readable = found?.result === 'access';
  const works = readable && (!isWrite(operation) || roles.includes(operation.permission));
  const identity = asUser && identities.usersSignIn ? 'signed-in-user-else-managed-identity' : 'managed-identity';
  return entry(
    identity,
    works,
    works
      ? `Called as the managed identity${identity === 'managed-identity' ? '' : ' for applications, as the signed-in user for users'}: its probe read and its token holds ${operation.permission}.`
      : `As the managed identity: ${found?.detail ?? 'not probed'}${readable ? ` The token lacks ${operation.permission}.` : ''}`,
  );
}
