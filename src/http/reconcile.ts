import type { HttpResponseInit } from '@azure/functions';
import type { GraphCall, GraphGateway, GraphResult } from '../graph/gateway';
import { problemResponse } from './problem';

export type Search =
  | { readonly kind: 'found'; readonly entity: Record<string, unknown> }
  | { readonly kind: 'absent' }
  | { readonly kind: 'unknown'; readonly response: HttpResponseInit; readonly result: GraphResult };

const MAX_PAGES = 20;
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T/;

/** Equal as Graph stores it: timestamps by the instant they name (Graph may return another offset). */
function sameValue(sent: unknown, stored: unknown): boolean {
  if (typeof sent === 'string' && typeof stored === 'string' && ISO_DATE_TIME.test(sent) && ISO_DATE_TIME.test(stored)) {
    return Date.parse(sent) === Date.parse(stored);
  }
  return sent === stored;
}

/**
 * Looks in the collection a create was sent to for an item carrying every property the create
 * wrote. Used when a create may have been applied without its answer being seen, so that a
 * retry returns that item instead of creating a second one.
 */
export async function findCreated(create: GraphCall, written: Record<string, unknown>, deadline: number, graph: GraphGateway): Promise<Search> {
  let skipToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await graph.send(
      { version: create.version, method: 'GET', path: create.path, top: 999, clientRequestId: create.clientRequestId, ...(skipToken ? { skipToken } : {}) },
      deadline,
    );
    const answer = result.answer;
    if (result.failure || !answer || answer.status !== 200 || !isObject(answer.body)) {
      return {
        kind: 'unknown',
        result,
        response: problemResponse('graph-unreachable', {
          status: 503,
          detail: 'An earlier attempt with this Idempotency-Key may have created the item, and Graph could not be asked whether it did; send the request again with the same key.',
          headers: { 'retry-after': String(result.retryAfterSeconds ?? 5) },
        }),
      };
    }
    const items = Array.isArray(answer.body.value) ? answer.body.value.filter(isObject) : [];
    const match = items.find((item) => Object.entries(written).every(([name, value]) => sameValue(value, item[name])));
    if (match) return { kind: 'found', entity: match };
    const next = typeof answer.body['@odata.nextLink'] === 'string' ? new URL(answer.body['@odata.nextLink']).searchParams.get('$skiptoken') : null;
    if (!next) return { kind: 'absent' };
    skipToken = next;
  }
  return { kind: 'absent' };
}
