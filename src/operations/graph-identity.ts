import { acceptsApplication, acceptsDelegated, type Operation } from '../catalog/operations';
import type { OnBehalfOfTokens, UserGraphTokens } from '../graph/on-behalf-of';
import { problemResponse } from '../http/problem';
import { type Result, stopWith, succeed } from '../http/result';

/**
 * When a signed-in user's calls go to Graph as that user (On-Behalf-Of), `GRAPH_USER_IDENTITY`:
 * only where Graph accepts no application (the default), or wherever Graph accepts a user.
 */
export type UserIdentityUse = 'where-required' | 'whenever-signed-in';
export const USER_IDENTITY_USES: readonly UserIdentityUse[] = ['where-required', 'whenever-signed-in'];

/** How the app calls Graph for signed-in users: when (`GRAPH_USER_IDENTITY`), and the exchange, where it is set up. */
export interface GraphIdentities {
  readonly use: UserIdentityUse;
  /** Unset where the app has no API registration to exchange users' tokens with (API_CLIENT_ID, AZURE_TENANT_ID). */
  readonly onBehalfOf: OnBehalfOfTokens | undefined;
}

/**
 * Who a call is made as in Graph: the app's managed identity, the signed-in user, or nobody (the
 * operation needs a user and the caller is not one). Never another identity than the one chosen.
 */
export type GraphIdentity = 'app' | 'user' | 'user-required';

/**
 * The identity a call goes to Graph with, from the operation's permissions table (the catalog)
 * and the caller. The app's managed identity is the default wherever Graph accepts it: the
 * administrator grants its permissions once, every caller gets the same answers, and its writes
 * can be finished by the app after the caller has gone. A signed-in user is used where Graph
 * accepts no application, or everywhere Graph accepts users when the setting asks for it. An
 * operation Graph accepts only for users is never sent as the app.
 */
export function graphIdentityFor(operation: Operation, signedInUser: boolean, use: UserIdentityUse): GraphIdentity {
  if (!acceptsApplication(operation)) return signedInUser && acceptsDelegated(operation) ? 'user' : 'user-required';
  return signedInUser && use === 'whenever-signed-in' && acceptsDelegated(operation) ? 'user' : 'app';
}

/** A caller who signed in as a user: their Graph tokens, or why the app has none for them. */
export interface SignedInCaller {
  readonly tokens: UserGraphTokens | undefined;
  /** Why `tokens` is unset: the user's token did not reach the app, or the app is not set up for the exchange. */
  readonly whyNoTokens: 'token-missing' | 'not-set-up';
}

/**
 * The step that fixes a call's Graph identity: the app's own (no token source of its own), the
 * signed-in user's Graph tokens, or the answer that stops the call before anything is sent.
 */
export function chooseGraphIdentity(
  operation: Operation,
  user: SignedInCaller | undefined,
  use: UserIdentityUse,
): Result<UserGraphTokens | undefined> {
  const identity = graphIdentityFor(operation, user !== undefined, use);
  if (identity === 'app') return succeed(undefined);
  if (identity === 'user-required' || !user) {
    return stopWith(
      problemResponse('caller-must-be-user', {
        detail: `Microsoft Graph accepts ${operation.name} only from a signed-in user (its permissions table lists no application permission), so the app does not call it with its own identity. Call it as a user: through the Power Automate connector with your sign-in, or with a user's Entra ID token for this API.`,
      }),
    );
  }
  if (user.tokens) return succeed(user.tokens);
  return stopWith(
    problemResponse('on-behalf-of-failed', {
      status: 502,
      detail:
        user.whyNoTokens === 'token-missing'
          ? "The signed-in user's token did not reach the app, so it cannot call Graph as the user; nothing was sent."
          : 'This app is not set up to call Graph as a signed-in user (API_CLIENT_ID and AZURE_TENANT_ID name the API app registration that trusts its managed identity); nothing was sent.',
    }),
  );
}
