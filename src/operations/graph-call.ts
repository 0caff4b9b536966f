import { fillRoute, type Operation } from '../catalog/operations';
import type { GraphCall } from '../graph/gateway';
import type { UserGraphTokens } from '../graph/on-behalf-of';
import type { ValidRequest } from './validate';

/** Where a call comes from: its correlation id, and the caller the Graph budget counts it against. */
export interface CallOrigin {
  readonly clientRequestId: string;
  /** The caller's budget account (identity/caller-roles.ts `budgetAccountOf`); unset for callers not told apart. */
  readonly budgetAccount?: string;
  /** Set when the call goes to Graph as the signed-in user (On-Behalf-Of); unset, as the app. */
  readonly onBehalfOf?: UserGraphTokens;
}

/** The Graph call for a validated request; ids are encoded into the path, never interpreted. */
export function graphCallFor(operation: Operation, request: ValidRequest, origin: CallOrigin): GraphCall {
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
