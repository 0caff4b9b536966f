import type { Operation } from '../catalog/operations';
import type { Clock } from '../clock';
import type { GraphCall, GraphExchange, GraphGateway } from '../graph/gateway';
import type { HttpAnswer } from '../http/response';
import type { TokenInspector } from '../identity/token-claims';
import type { ValidRequest } from './validate';
import type { Settlement } from './write-rules';

/** Everything needed to carry one validated request to Graph. */
export interface CallPlan {
  readonly operation: Operation;
  readonly request: ValidRequest;
  readonly call: GraphCall;
  /** The facade URL being answered, for Location and nextLink. */
  readonly requestUrl: string;
  readonly deadlineMs: number;
  readonly graph: GraphGateway;
  readonly clock: Clock;
  /** How long after it was sent a write with no certain answer may still be under way in Graph. */
  readonly inDoubtWindowMs: number;
  /** Whether the caller sent an Idempotency-Key, so that a retry can be recognised. */
  readonly keyed: boolean;
  /** The caller sent `Prefer: return=minimal`: an update answers 204 and is not read back. */
  readonly returnMinimal: boolean;
  /** The facade's own token, read when Graph refuses it (403). */
  readonly token: TokenInspector;
}

/** How one operation was carried out: the answer, what it means for the key, and what Graph said (for logs). */
export interface Execution {
  readonly response: HttpAnswer;
  readonly settlement: Settlement;
  readonly exchange: GraphExchange | undefined;
  /** Set when the answer is a write an earlier attempt had already made. */
  readonly foundEarlierWrite?: boolean;
}
