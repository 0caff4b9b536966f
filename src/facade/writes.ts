import type { HttpResponseInit } from '@azure/functions';

import type { Operation } from '../catalog/operations';
import type { Attempt, GraphCall, GraphExchange, GraphGateway } from '../graph/gateway';
import { lastAttempt } from '../graph/gateway';
import { findCreated, type LookupResult } from '../graph/lookup';
import { MIN_ATTEMPT_MS } from '../graph/retry-policy';
import type { TokenInspector } from '../graph/token-claims';
import { problemResponse } from '../http/problem';
import { fateOf, isInDoubt, mayLandLate, mayRepeat, type WriteFate } from './in-doubt';
import { createdResponse, failureResponse, retryAfterSeconds, successResponse } from './respond';
import type { ValidRequest } from './validate';

/** Everything needed to carry one validated request to Graph. */
export interface CallPlan {
  readonly operation: Operation;
  readonly request: ValidRequest;
  readonly call: GraphCall;
  /** The facade URL being answered, for Location and nextLink. */
  readonly requestUrl: string;
  readonly deadlineMs: number;
  readonly graph: GraphGateway;
  /** How long after it was sent a write with no certain answer may still be under way in Graph. */
  readonly inDoubtWindowMs: number;
  /** Whether the caller sent an Idempotency-Key, so that a retry can be recognised. */
  readonly keyed: boolean;
  /** The caller sent `Prefer: return=minimal`: an update answers 204 and is not read back. */
  readonly returnMinimal: boolean;
  /** The facade's own token, read when Graph refuses it (403). */
  readonly token: TokenInspector;
}

/** An earlier attempt under the same Idempotency-Key left this write in doubt; it may be looked for from `lookFromMs`. */
export interface EarlierInDoubt {
  readonly lookFromMs: number;
}

/** What the key's record becomes: the final answer, freed for a fresh attempt, or in doubt until looked for. */
export type Settlement =
  { readonly kind: 'final' } | { readonly kind: 'freed' } | { readonly kind: 'in-doubt'; readonly lookFromMs: number };

/** How one operation was carried out: the response, what it means for the key, and what Graph said (for logs). */
export interface Execution {
  readonly response: HttpResponseInit;
  readonly settlement: Settlement;
  readonly exchange: GraphExchange | undefined;
  /** Set when the answer is a write an earlier attempt had already made. */
  readonly foundEarlierWrite?: boolean;
}

/** Before looking for a create Graph answered in doubt, give Graph a moment to finish storing it. */
const SETTLE_MS = 500;
/** A look-up is only started with this much of the budget left: one attempt to read the collection. */
const LOOKUP_RESERVE_MS = MIN_ATTEMPT_MS;
/** The least time the read-back of an update gets, even past the budget: two attempts. */
const READ_BACK_MIN_MS = 2 * MIN_ATTEMPT_MS;
/** Sends of one create within one call, at most: the first, and one more after a look-up proved it absent. */
const MAX_SENDS = 2;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Carries out an operation, owning what a write means when Graph's answer is uncertain:
 * the decision that a write is in doubt (by the table in in-doubt.ts), the look-up of a create
 * that may have been applied, and a DELETE that finds nothing after an attempt in doubt.
 * `earlier` is set when a previous attempt under the same Idempotency-Key left the write in doubt.
 */
export function execute(plan: CallPlan, earlier?: EarlierInDoubt): Promise<Execution> {
  switch (plan.operation.kind) {
    case 'create':
      return createOnce(plan, earlier);
    case 'delete':
      return deleteOnce(plan, earlier);
    case 'update':
      return updateShowingEntity(plan, earlier);
    default:
      return forward(plan, earlier);
  }
}

function send(plan: CallPlan): Promise<GraphExchange> {
  const method = plan.call.method;
  return plan.graph.send(plan.call, { deadlineMs: plan.deadlineMs, mayRepeat: (ending) => mayRepeat(method, ending) });
}

/** The fate of a write over all the attempts of one exchange. */
function exchangeFate(exchange: GraphExchange): WriteFate {
  const fates = exchange.attempts.map((attempt) => fateOf(attempt.ending));
  const last = fates.at(-1) ?? 'freed';
  if (last === 'final') return 'final';
  if (fates.includes('in-doubt-under-way')) return 'in-doubt-under-way';
  return fates.includes('in-doubt') ? 'in-doubt' : 'freed';
}

/**
 * When a write left in doubt by these attempts may be looked for (a create) or sent again (a
 * PATCH or DELETE): at once, or once the window after its sending has passed. A create waits
 * after every ending that may leave it still running; an update or delete only after one that
 * may land late, since repeating it is harmless otherwise.
 */
function lookFromOf(method: string, attempts: readonly Attempt[], windowMs: number, now = Date.now()): number {
  return attempts.reduce((latest, attempt) => {
    const fate = fateOf(attempt.ending);
    const underWay = method === 'POST' ? fate === 'in-doubt-under-way' : mayLandLate(attempt.ending);
    if (underWay) return Math.max(latest, attempt.sentAtMs + windowMs);
    return isInDoubt(fate) ? Math.max(latest, now + SETTLE_MS) : latest;
  }, now);
}

/** The settlement of an exchange, keeping an earlier doubt that this call did not resolve. */
function settlementOf(plan: CallPlan, exchange: GraphExchange, earlier: EarlierInDoubt | undefined): Settlement {
  const fate = exchangeFate(exchange);
  if (fate === 'final') return { kind: 'final' };
  if (isInDoubt(fate))
    return {
      kind: 'in-doubt',
      lookFromMs: Math.max(earlier?.lookFromMs ?? 0, lookFromOf(plan.call.method, exchange.attempts, plan.inDoubtWindowMs)),
    };
  return earlier ? { kind: 'in-doubt', lookFromMs: earlier.lookFromMs } : { kind: 'freed' };
}

async function responseOf(plan: CallPlan, exchange: GraphExchange): Promise<HttpResponseInit> {
  const answer = lastAttempt(exchange)?.answer;
  if (!exchange.heldLocally && answer && answer.status >= 200 && answer.status < 300) {
    return successResponse(plan.operation, answer, plan.request, plan.requestUrl);
  }
  // A 403 means a missing permission, unless the token holds it: then Graph refuses the operation to app identities.
  const token = answer?.status === 403 ? await plan.token.read(plan.deadlineMs) : undefined;
  const rolesHeld = token?.ok ? token.claims.roles : undefined;
  return failureResponse(plan.operation, exchange, { retryAfterMs: exchange.retryAfterMs, ...(rolesHeld ? { rolesHeld } : {}) });
}

/** A read, a list or an update: sent, retried by the policy, mapped. Repeating an update changes nothing. */
async function forward(plan: CallPlan, earlier: EarlierInDoubt | undefined): Promise<Execution> {
  const blocked = await waitOutEarlierAttempt(plan, earlier);
  if (blocked) return blocked;
  const exchange = await send(plan);
  const settlement = settlementOf(plan, exchange, earlier);
  return { response: await writeResponseOf(plan, exchange, settlement), settlement, exchange };
}

/**
 * A PATCH or DELETE an earlier attempt left under way in Graph is not repeated before the
 * in-doubt window ends: the late attempt could land after the repeat and undo it. The wait is
 * taken here when the budget allows it, else the caller is told when to come back.
 */
async function waitOutEarlierAttempt(plan: CallPlan, earlier: EarlierInDoubt | undefined): Promise<Execution | undefined> {
  const untilMs = earlier ? earlier.lookFromMs - Date.now() : 0;
  if (!earlier || untilMs <= 0 || plan.call.method === 'GET') return undefined;
  if (untilMs + MIN_ATTEMPT_MS > plan.deadlineMs - Date.now()) return stillInDoubt(plan, undefined, earlier.lookFromMs);
  await sleep(untilMs);
  return undefined;
}

/** The answer to a write: a write left in doubt says so, with a Retry-After that lets any late attempt land first. */
async function writeResponseOf(plan: CallPlan, exchange: GraphExchange, settlement: Settlement): Promise<HttpResponseInit> {
  if (settlement.kind !== 'in-doubt' || plan.call.method === 'GET') return responseOf(plan, exchange);
  const untilMs = settlement.lookFromMs - Date.now();
  const retryAfterMs = Math.max(1000, untilMs);
  const inDoubtNote =
    untilMs > SETTLE_MS
      ? `The ${plan.operation.kind} may have been applied, and may still land late in Graph: send it again after Retry-After seconds, not sooner.`
      : `The ${plan.operation.kind} may have been applied; sending it again is safe.`;
  return failureResponse(plan.operation, exchange, { retryAfterMs, inDoubtNote });
}

/**
 * An update, answered with the entity so that a flow step's outputs never change shape: when
 * Graph answers 204 (as Intune does in practice), the entity is read back, one read; Intune
 * allows ten times more reads than writes. `Prefer: return=minimal` asks for 204 and no read.
 */
async function updateShowingEntity(plan: CallPlan, earlier: EarlierInDoubt | undefined): Promise<Execution> {
  const execution = await forward(plan, earlier);
  const answer = execution.exchange && lastAttempt(execution.exchange)?.answer;
  const applied = execution.settlement.kind === 'final' && answer !== undefined && answer.status >= 200 && answer.status < 300;
  if (!applied) return execution;
  if (plan.returnMinimal) return { ...execution, response: { status: 204 } };
  if (answer.body !== undefined) return execution;
  const read: GraphCall = {
    version: plan.call.version,
    method: 'GET',
    path: plan.call.path,
    clientRequestId: plan.call.clientRequestId,
  };
  // The read may run a little past the budget the write used up: an applied write deserves its answer.
  const deadlineMs = Math.max(plan.deadlineMs, Date.now() + READ_BACK_MIN_MS);
  const readBack = lastAttempt(await plan.graph.send(read, { deadlineMs, mayRepeat: () => true }))?.answer;
  // The update is applied whatever the read gives: without the entity, 204 still says so.
  return readBack?.status === 200
    ? { ...execution, response: successResponse(plan.operation, readBack, plan.request, plan.requestUrl) }
    : execution;
}

/** A DELETE: a 404 after an attempt that may have deleted the item means it is gone, as asked. */
async function deleteOnce(plan: CallPlan, earlier: EarlierInDoubt | undefined): Promise<Execution> {
  const blocked = await waitOutEarlierAttempt(plan, earlier);
  if (blocked) return blocked;
  const exchange = await send(plan);
  const attempts = exchange.attempts;
  const final = attempts.at(-1);
  const doubtBefore = earlier !== undefined || attempts.slice(0, -1).some((attempt) => isInDoubt(fateOf(attempt.ending)));
  if (doubtBefore && final?.ending.kind === 'answer' && final.ending.status === 404) {
    return { response: { status: 204 }, settlement: { kind: 'final' }, exchange, foundEarlierWrite: true };
  }
  const settlement = settlementOf(plan, exchange, earlier);
  return { response: await writeResponseOf(plan, exchange, settlement), settlement, exchange };
}

/**
 * A create that cannot happen twice. Sent once; when Graph's answer leaves it in doubt, it is
 * looked for in the collection (at once when Graph is done with it, after the in-doubt window
 * when it may still be under way): found, that item is the answer; absent, it was not applied
 * and is sent once more. When the look-up cannot happen within this call, the key stays in
 * doubt and the caller is told when to come back.
 */
async function createOnce(plan: CallPlan, earlier: EarlierInDoubt | undefined): Promise<Execution> {
  let lookFromMs = earlier?.lookFromMs;
  let exchange: GraphExchange | undefined;
  for (let sends = 0; ;) {
    if (lookFromMs !== undefined) {
      const untilLookMs = lookFromMs - Date.now();
      if (untilLookMs + LOOKUP_RESERVE_MS > plan.deadlineMs - Date.now()) return stillInDoubt(plan, exchange, lookFromMs);
      if (untilLookMs > 0) await sleep(untilLookMs);
      const lookup = await findCreated(plan.call, plan.request.body ?? {}, plan.deadlineMs, plan.graph);
      if (lookup.kind === 'found') {
        const response = createdResponse(plan.operation, plan.request, plan.requestUrl, lookup.entity);
        return {
          response: earlier ? replayed(response) : response,
          settlement: { kind: 'final' },
          exchange,
          foundEarlierWrite: true,
        };
      }
      if (lookup.kind === 'unfinished') return lookupUnfinished(lookup, lookFromMs, exchange);
      // Absent: every attempt so far was refused, and the create may be sent afresh, once Graph's
      // wait (its Retry-After on the answer that left it in doubt) is over.
      const graphWaitMs = exchange?.retryAfterMs ?? 0;
      if (sends >= MAX_SENDS || graphWaitMs + MIN_ATTEMPT_MS > plan.deadlineMs - Date.now()) {
        return notSentYet(exchange, Math.max(graphWaitMs, 1000), sends >= MAX_SENDS);
      }
      if (graphWaitMs > 0) await sleep(graphWaitMs);
    }
    exchange = await send(plan);
    sends += 1;
    const fate = exchangeFate(exchange);
    if (!isInDoubt(fate)) {
      const settlement: Settlement = fate === 'final' ? { kind: 'final' } : { kind: 'freed' };
      return { response: await responseOf(plan, exchange), settlement, exchange };
    }
    lookFromMs = lookFromOf(plan.call.method, exchange.attempts, plan.inDoubtWindowMs);
  }
}

const LOOK_AGAIN = 'send it again with the same Idempotency-Key, and the facade looks for it before creating anything.';

/** The create may have been applied and cannot be looked for within this call. */
function stillInDoubt(plan: CallPlan, exchange: GraphExchange | undefined, lookFromMs: number): Execution {
  const retryAfterMs = Math.max(1000, lookFromMs - Date.now());
  const settlement: Settlement = { kind: 'in-doubt', lookFromMs };
  const write = plan.operation.kind;
  if (exchange) {
    const inDoubtNote = plan.keyed
      ? `The create may have been applied: ${LOOK_AGAIN}`
      : 'The create may have been applied; without an Idempotency-Key a retry cannot be told from a new create, so look before sending it again.';
    return { response: failureResponse(plan.operation, exchange, { retryAfterMs, inDoubtNote }), settlement, exchange };
  }
  const at = new Date(lookFromMs).toISOString();
  const then =
    write === 'create'
      ? `it is looked for from ${at} on; ${LOOK_AGAIN.replace('send it', 'send the request')}`
      : `it is sent again from ${at} on, so that it cannot be undone by the earlier one landing late; send the request again after Retry-After seconds.`;
  return {
    response: problemResponse('write-in-doubt', {
      status: 503,
      detail: `An earlier attempt of this ${write} may still be under way in Graph, so ${then}`,
      headers: { 'retry-after': retryAfterSeconds(retryAfterMs) },
    }),
    settlement,
    exchange,
  };
}

/** The look-up could not finish: the key stays in doubt, and the caller learns why (throttled or unreachable). */
function lookupUnfinished(
  lookup: Extract<LookupResult, { kind: 'unfinished' }>,
  lookFromMs: number,
  sent: GraphExchange | undefined,
): Execution {
  const settlement: Settlement = { kind: 'in-doubt', lookFromMs };
  const ending = lookup.exchange && lastAttempt(lookup.exchange)?.ending;
  const retryAfterMs = lookup.exchange?.retryAfterMs ?? 5000;
  const cause = 'An attempt of this create may have been applied, and Graph could not be asked whether it was';
  const response =
    ending?.kind === 'answer' && ending.status === 429
      ? problemResponse('graph-throttled', {
          status: 429,
          detail: `${cause}: Graph is throttling. Send the request again with the same Idempotency-Key after Retry-After seconds.`,
          headers: { 'retry-after': retryAfterSeconds(retryAfterMs) },
        })
      : problemResponse('graph-unreachable', {
          status: 503,
          detail: `${cause}. Send the request again with the same Idempotency-Key after Retry-After seconds.`,
          headers: { 'retry-after': retryAfterSeconds(retryAfterMs) },
        });
  return { response, settlement, exchange: lookup.exchange ?? sent };
}

/** A look-up proved the create absent, and it cannot be sent again in this call: nothing was applied, so the key is freed. */
function notSentYet(exchange: GraphExchange | undefined, retryAfterMs: number, sendsSpent: boolean): Execution {
  const why = sendsSpent ? 'it was sent twice in this call already' : 'Graph asked to wait longer than the time budget leaves';
  return {
    response: problemResponse('graph-unreachable', {
      status: 503,
      detail: `Graph did not create the item, and it was not sent again because ${why}; send the request again after Retry-After seconds.`,
      headers: { 'retry-after': retryAfterSeconds(retryAfterMs) },
    }),
    settlement: { kind: 'freed' },
    exchange,
  };
}

function replayed(response: HttpResponseInit): HttpResponseInit {
  return { ...response, headers: { ...(response.headers as Record<string, string>), 'idempotent-replayed': 'true' } };
}
