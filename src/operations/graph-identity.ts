import { acceptsApplication, acceptsDelegated, type Operation } from '../catalog/operations';

/**
 * When a signed-in user's calls go to Graph as that user (On-Behalf-Of), `GRAPH_USER_IDENTITY`:
 * only where Graph accepts no application (the default), or wherever Graph accepts a user.
 */
export type UserIdentityUse = 'where-required' | 'whenever-signed-in';
export const USER_IDENTITY_USES: readonly UserIdentityUse[] = ['where-required', 'whenever-signed-in'];

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
