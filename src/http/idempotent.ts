import type { HttpResponseInit } from '@azure/functions';
import type { IdempotencyStore, Lease, StoredResponse } from '../idempotency';
import { createdResponse } from './answers';
import { send, type CallPlan, type Outcome } from './forwarding';
import { problemResponse } from './problem';
import { findCreated } from './reconcile';

/** A key's lease outlives the time budget a little, so that a live attempt is never taken over. */
const LEASE_MARGIN_MS = 15_000;

/**
 * A call under an Idempotency-Key: the stored answer is replayed, a key reused for another
 * request or still in use is refused, and otherwise the call runs and its outcome is recorded.
 */
export async function sendIdempotently(plan: CallPlan, key: string, fingerprint: string, store: IdempotencyStore): Promise<Outcome> {
  let claim;
  try {
    claim = await store.claim(key, fingerprint, plan.deadline - Date.now() + LEASE_MARGIN_MS);
  } catch (error) {
    // Without the record, the key cannot be honoured: nothing is sent, and the caller retries.
    return {
      idempotency: 'refused',
      failure: `idempotency store: ${(error as Error).message}`,
      response: problemResponse('idempotency-store-unavailable', {
        status: 503,
        detail: 'The store of Idempotency-Key records could not be reached, so nothing was sent to Graph; send the request again after Retry-After seconds.',
        headers: { 'retry-after': '5' },
      }),
    };
  }
  switch (claim.kind) {
    case 'replay':
      return { response: replay(claim.response), idempotency: 'replayed' };
    case 'in-progress':
      return {
        idempotency: 'refused',
        response: problemResponse('idempotency-key-in-progress', {
          status: 409,
          detail: 'A request with this Idempotency-Key is still being processed; send it again after Retry-After seconds to get its answer.',
          headers: { 'retry-after': '5' },
        }),
      };
    case 'mismatch':
      return {
        idempotency: 'refused',
        response: problemResponse('idempotency-key-reused', {
          status: 422,
          detail: 'This Idempotency-Key was used within the last 24 hours for a different request (method, path, Graph version or body); use a new key.',
        }),
      };
  }
  let outcome: Outcome;
  try {
    outcome = await sendClaimed(plan, claim.previousAttemptInDoubt);
  } catch (error) {
    await store.release(claim.lease);
    throw error;
  }
  try {
    await settle(store, claim.lease, outcome);
  } catch (error) {
    // Graph's answer stands; only its record is missing, so a retry with this key may be sent again.
    return { ...outcome, failure: `idempotency store: ${(error as Error).message}` };
  }
  return outcome;
}

/** A call under a claimed key: an earlier attempt in doubt is looked for before anything is sent again. */
async function sendClaimed(plan: CallPlan, previousAttemptInDoubt: boolean): Promise<Outcome> {
  const { operation } = plan;
  if (previousAttemptInDoubt && operation.kind === 'create') {
    const earlier = await findCreated(plan.call, plan.request.body ?? {}, plan.deadline, plan.graph);
    if (earlier.kind === 'found') {
      return { response: replayHeaders(createdResponse(operation, plan.request, plan.requestUrl, earlier.entity)), idempotency: 'found-earlier-write' };
    }
    if (earlier.kind === 'unknown') return { response: earlier.response, ...(earlier.result ? { graph: earlier.result } : {}), idempotency: 'new', keepKeyInDoubt: true };
  }
  const outcome = await send(plan);
  if (previousAttemptInDoubt && operation.kind === 'delete' && outcome.graph?.answer?.status === 404 && outcome.response.status === 404) {
    // The earlier attempt deleted it.
    return { response: { status: 204 }, graph: outcome.graph, idempotency: 'found-earlier-write' };
  }
  return { ...outcome, idempotency: 'new' };
}

/**
 * What the key's record keeps: a final answer is stored for replay; a write that may have been
 * applied stays in doubt, to be looked for on the next attempt; anything else (throttling,
 * an outage, a missing permission) frees the key so that a retry is sent afresh.
 */
async function settle(store: IdempotencyStore, lease: Lease, outcome: Outcome): Promise<void> {
  const status = outcome.response.status ?? 200;
  const graphStatus = outcome.graph?.answer?.status;
  const definitiveGraphRefusal = graphStatus !== undefined && graphStatus >= 400 && graphStatus < 500 && ![401, 403, 408, 429].includes(graphStatus);
  if (outcome.keepKeyInDoubt) {
    await store.markInDoubt(lease);
  } else if (status < 300 || (outcome.graph?.failure === undefined && definitiveGraphRefusal)) {
    await store.complete(lease, stored(outcome.response));
  } else if (outcome.graph?.maybeApplied) {
    await store.markInDoubt(lease);
  } else {
    await store.release(lease);
  }
}

const KEPT_HEADERS = ['content-type', 'location'];

function stored(response: HttpResponseInit): StoredResponse {
  const headers = new Headers(response.headers as ConstructorParameters<typeof Headers>[0]);
  const kept = Object.fromEntries(KEPT_HEADERS.flatMap((name) => (headers.has(name) ? [[name, headers.get(name) as string]] : [])));
  return { status: response.status ?? 200, headers: kept, body: typeof response.body === 'string' ? response.body : undefined };
}

function replayHeaders(response: HttpResponseInit): HttpResponseInit {
  return { ...response, headers: { ...(response.headers as Record<string, string>), 'idempotent-replayed': 'true' } };
}

function replay(response: StoredResponse): HttpResponseInit {
  return replayHeaders({ status: response.status, headers: { ...response.headers }, ...(response.body === undefined ? {} : { body: response.body }) });
}
