import type { CallsInFlight } from '../budget/calls-in-flight';
import { type Operation, takesBody } from '../catalog/operations';
import type { Clock } from '../clock';
import { type GraphGateway, lastAttempt } from '../graph/gateway';
import { readJsonObject } from '../http/body';
import { preferencesOf, prefersMinimal, readIdempotencyKey } from '../http/headers';
import { problemResponse } from '../http/problem';
import type { HttpAnswer, IncomingRequest } from '../http/response';
import type { Result } from '../http/result';
import { type IdempotencyStore, operationIdFor, requestFingerprint } from '../idempotency';
import type { TokenInspector } from '../identity/token-claims';
import { acceptWrite, type WriteToAccept } from './accept-write';
import { type KeyedExecution, underIdempotencyKey } from './claim-key';
import { execute } from './execute';
import { type CallOrigin, graphCallFor } from './graph-call';
import { chooseGraphIdentity } from './graph-identity';
import { handOver, inLineWhileRunning, isHandedOver, mustWaitItsTurn, unfinishedOperationOf } from './hand-over';
import type { CallPlan } from './plan';
import { validateRequest, type ValidRequest } from './validate';
import { type AsyncWriteDependencies, operationKey } from './write-queue';

/** The time limits of one call. */
export interface OperationOptions {
  /** How long one call may spend on Graph, retries and waits included. */
  readonly timeBudgetMs: number;
  /** How long after it was sent a write with no certain answer may still be under way in Graph. */
  readonly inDoubtWindowMs: number;
  /** Calls for callers that wait this instance answers at once, at most (`CallsInFlight`). */
  readonly maxCallsInFlight?: number;
  /** How long a diagnostics report is answered again before Graph is probed anew (diagnostics.ts). */
  readonly diagnosticsCacheMs?: number;
}

/** What every operation needs from the app: Graph, the key store, the clock and the time limits. */
export interface OperationDependencies extends OperationOptions {
  readonly graph: GraphGateway;
  readonly idempotency: IdempotencyStore;
  readonly clock: Clock;
  /** The claims of the facade's own Graph token, to tell a missing permission from a refusal of app identities. */
  readonly token: TokenInspector;
  /** Where writes the app finishes itself are kept and queued; unset, every write is answered synchronously. */
  readonly async?: AsyncWriteDependencies;
  /** The instance's bound on calls for callers that wait; unset, none. */
  readonly callsInFlight?: CallsInFlight;
}

/** What the log record of a call says about its way through Graph and the key store; never a body or a token. */
export interface CallRecord {
  readonly graphStatus?: number;
  readonly graphRequestId?: string;
  readonly graphAttempts?: number;
  readonly graphEnding?: string;
  readonly settlement?: string;
  readonly idempotency?: string;
  readonly foundEarlierWrite?: boolean;
  /** How long the call waited for its Graph budget turns (ms). */
  readonly budgetWaitMs?: number;
  /** The asynchronous operation the write was accepted or handed over as. */
  readonly operationId?: string;
  /** Set when something failed that the caller's answer does not show (the key store). */
  readonly failure?: string;
}

/** What one request came to: the answer, and what its log record says. */
export interface OperationOutcome {
  readonly response: HttpAnswer;
  readonly record: CallRecord;
}

/**
 * One operation, top to bottom, as named steps: read the key and the body, validate path, query
 * and body together, then either accept the write for the app to finish (asked for with
 * `Prefer: respond-async` or `?respond=async`) or claim the key (writes only), execute, and
 * record. Each step returns a Result; the first that stops gives the answer.
 */
export async function runOperation(
  operation: Operation,
  request: IncomingRequest,
  origin: CallOrigin,
  appDependencies: OperationDependencies,
): Promise<OperationOutcome> {
  const { clientRequestId } = origin;
  const key = readIdempotencyKey(request.headers);
  if (!key.ok) return stopped(key);
  const body = takesBody(operation) ? await readJsonObject(request) : undefined;
  if (body && !body.ok) return stopped(body);
  // The budget is for Graph: it starts once the caller's body is in, however slowly it came.
  const deadlineMs = appDependencies.clock.now() + appDependencies.timeBudgetMs;
  const valid: Result<ValidRequest> = validateRequest(operation, request.params, request.query, body?.value);
  if (!valid.ok) return stopped(valid);
  // Who the call goes to Graph as: a valid request from a caller Graph would not accept is refused here.
  const onBehalfOf = chooseGraphIdentity(operation, origin.signedInUser, origin.userIdentityUse ?? 'where-required');
  if (!onBehalfOf.ok) return stopped(onBehalfOf);
  // A call made as a signed-in user is answered in the call, never queued: the app could finish it
  // later only as itself (which Graph must not see) or by keeping the user's token (never kept).
  // `Prefer: respond-async` is a preference; for these it is not applied.
  const { async: _queue, ...withoutQueue } = appDependencies;
  const dependencies: OperationDependencies = onBehalfOf.value ? withoutQueue : appDependencies;
  const returnMinimal = prefersMinimal(request.headers);
  const plan: CallPlan = {
    operation,
    request: valid.value,
    call: graphCallFor(operation, valid.value, { ...origin, ...(onBehalfOf.value ? { onBehalfOf: onBehalfOf.value } : {}) }),
    requestUrl: request.url,
    deadlineMs,
    graph: dependencies.graph,
    clock: dependencies.clock,
    inDoubtWindowMs: dependencies.inDoubtWindowMs,
    keyed: key.value !== undefined,
    returnMinimal,
    token: dependencies.token,
  };
  // A read is idempotent by nature: a key on GET is accepted and changes nothing.
  if (operation.method === 'GET') return whileAdmitted(dependencies.callsInFlight, async () => recorded(await execute(plan)));

  const { params, version, body: validBody } = valid.value;
  const preferred = preferencesOf(request.headers.get('prefer')).has('respond-async');
  // A caller's key names its operation: the same 202 and Location for every retry, and one key record for both ways.
  const accepted: WriteToAccept = {
    id: operationIdFor(key.value),
    fingerprint: requestFingerprint(operation.name, params, version, validBody ?? null),
    operation,
    request: valid.value,
    keyed: key.value !== undefined,
    clientRequestId,
    budgetAccount: origin.budgetAccount,
    requestUrl: request.url,
    returnMinimal,
    preferred,
  };
  const async = dependencies.async;
  if (async && (preferred || valid.value.respondAsync)) return acceptedOutcome(accepted, async, dependencies.clock);
  return whileAdmitted(dependencies.callsInFlight, () => runWaitedFor(accepted, plan, key.value, dependencies));
}

/** A write its caller waits for: in its entity's line and under its key, handed over to the app when it cannot end in the call. */
async function runWaitedFor(
  accepted: WriteToAccept,
  plan: CallPlan,
  idempotencyKey: string | undefined,
  dependencies: OperationDependencies,
): Promise<OperationOutcome> {
  const { async } = dependencies;
  const { deadlineMs } = plan;
  // An update or delete behind unfinished writes to its entity waits its turn, accepted (202).
  const behind = async ? await mustWaitItsTurn(accepted, { async }).catch((error: unknown) => error) : false;
  if (behind instanceof Error) return stopped({ response: lineUnavailable(behind) });
  if (async && behind) return acceptedOutcome(accepted, async, dependencies.clock);
  if (async && idempotencyKey !== undefined) {
    const unfinished = await unfinishedOperationOf(idempotencyKey, accepted.fingerprint, accepted.requestUrl, {
      async,
      clock: dependencies.clock,
    });
    if (unfinished) return { response: unfinished, record: { idempotency: 'accepted', operationId: accepted.id } };
  }

  const run = () =>
    idempotencyKey === undefined
      ? execute(plan)
      : underIdempotencyKey(
          {
            store: dependencies.idempotency,
            key: operationKey(accepted.id),
            fingerprint: accepted.fingerprint,
            deadlineMs,
            inDoubtWindowMs: dependencies.inDoubtWindowMs,
            clock: dependencies.clock,
          },
          (earlier) => execute(plan, earlier),
        );
  // While it runs, an update or delete holds its place in its entity's line.
  const execution = await inLineWhileRunning(accepted, deadlineMs + LINE_HOLD_MARGIN_MS, async, run);
  if ('lineUnavailable' in execution) return stopped({ response: lineUnavailable(execution.lineUnavailable) });
  // A write left in doubt, or only delayed, is handed over to the app: 202 and its Location, rather than a failure.
  if (async && isHandedOver(execution.settlement)) {
    const handed = await handOver(accepted, execution, {
      async,
      idempotency: dependencies.idempotency,
      clock: dependencies.clock,
    });
    if (handed)
      return {
        response: handed,
        record: { ...recorded(execution).record, idempotency: 'handed-over', operationId: accepted.id },
      };
  }
  return recorded(execution);
}

/**
 * Runs a call for a caller that waits while the instance holds fewer than its bound of them;
 * beyond it, 429 at once, before any store or Graph call (budget/calls-in-flight.ts).
 */
async function whileAdmitted(calls: CallsInFlight | undefined, run: () => Promise<OperationOutcome>): Promise<OperationOutcome> {
  if (!calls) return run();
  if (!calls.tryEnter()) return stopped({ response: instanceBusy() });
  try {
    return await run();
  } finally {
    calls.leave();
  }
}

const instanceBusy = (): HttpAnswer =>
  problemResponse('instance-busy', {
    detail:
      'This instance is answering as many calls as it may hold at once, so nothing was sent; send the request again after Retry-After seconds (or ask for the write with Prefer: respond-async).',
    headers: { 'retry-after': '1' },
  });

/** The write accepted for the app to finish: 202 and its Location. */
async function acceptedOutcome(write: WriteToAccept, async: AsyncWriteDependencies, clock: Clock): Promise<OperationOutcome> {
  const response = await acceptWrite(write, async, clock);
  return { response, record: { idempotency: 'accepted', ...(response.status === 202 ? { operationId: write.id } : {}) } };
}

const stopped = (result: { readonly response: HttpAnswer }): OperationOutcome => ({ response: result.response, record: {} });

/** A write's place in its entity's line is held this long past its time budget, should its instance stop. */
const LINE_HOLD_MARGIN_MS = 15_000;

/** The line of writes to the entity could not be read or joined: nothing was sent. */
function lineUnavailable(error: unknown): HttpAnswer {
  return problemResponse('write-not-accepted', {
    detail: `The order of writes to this entity could not be kept (${String((error as Error)?.message ?? error).slice(0, 200)}), so nothing was sent; send the request again after Retry-After seconds.`,
    headers: { 'retry-after': '5' },
  });
}

/** The answer of an execution, and what its log record says. */
function recorded(execution: Omit<KeyedExecution, 'keyUse'> & Partial<Pick<KeyedExecution, 'keyUse'>>): OperationOutcome {
  const attempt = execution.exchange && lastAttempt(execution.exchange);
  return {
    response: execution.response,
    record: {
      graphStatus: attempt?.answer?.status,
      graphRequestId: attempt?.answer?.requestId,
      graphAttempts: execution.exchange?.attempts.length,
      graphEnding: attempt?.ending.kind,
      budgetWaitMs: execution.exchange?.budgetWaitMs,
      settlement: execution.settlement.kind,
      idempotency: execution.keyUse,
      foundEarlierWrite: execution.foundEarlierWrite,
      ...(execution.storeFailure ? { failure: execution.storeFailure } : {}),
    },
  };
}
