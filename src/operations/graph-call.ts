import { fillRoute, type Operation } from '../catalog/operations';
import type { GraphCall } from '../graph/gateway';
import type { UserGraphTokens } from '../graph/on-behalf-of';
import type { SignedInCaller, UserIdentityUse } from './graph-identity';
import type { ValidRequest } from './validate';

/** Where a call comes from: its correlation id, and the caller the Graph budget counts it against. */
export interface CallOrigin {
  readonly clientRequestId: string;
  /** The caller's budget account (identity/caller-roles.ts `budgetAccountOf`); unset for callers not told apart. */
  readonly budgetAccount?: string;
  /** The signed-in user the caller is, if one (pipeline.ts chooses the Graph identity after validation). */
  readonly signedInUser?: SignedInCaller;
  /** When a signed-in user's calls go as the user (`GRAPH_USER_IDENTITY`); the default, only where Graph requires it. */
  readonly userIdentityUse?: UserIdentityUse;
}

/** Where a call comes from, once its Graph identity is chosen: set when it goes as the signed-in user. */
export interface ResolvedOrigin extends CallOrigin {
  readonly onBehalfOf?: UserGraphTokens;
}

/** The Graph call for a validated request; ids are encoded into the path, never interpreted. */
export function graphCallFor(operation: Operation, request: ValidRequest, origin: ResolvedOrigin): GraphCall {
  return {
    version: request.version,
    method: operation.method,
    path: `/${fillRoute(operation.graphPath.replace(/^\//, ''), request.params)}`,
    ...request.paging,
    ...(request.body ? { body: request.body } : {}),
    clientRequestId: origin.clientRequestId,
    ...(origin.budgetAccount === undefined ? {} : { budgetAccount: origin.budgetAccount }),
    ...(origin.onBehalfOf ? { onBehalfOf: origin.onBehalfOf } : {}),
  };
}
