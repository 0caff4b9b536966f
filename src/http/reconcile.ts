import type { HttpResponseInit } from '@azure/functions';
import type { GraphCall, GraphGateway, GraphResult } from '../graph/gateway';
import { isJsonObject } from './body';
import { nextPageOf } from './paging';
import { problemResponse } from './problem';

export type Search =
  | { readonly kind: 'found'; readonly entity: Record<string, unknown> }
  | { readonly kind: 'absent' }
  | { readonly kind: 'unknown'; readonly response: HttpResponseInit; readonly result: GraphResult | undefined };

const MAX_PAGES = 20;
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
  let page: { skipToken?: string; skip?: number } = {};
  for (let pageNumber = 0; pageNumber < MAX_PAGES; pageNumber++) {
    const result = await graph.send({ version: create.version, method: 'GET', path: create.path, top: 999, clientRequestId: create.clientRequestId, ...page }, deadline);
    const answer = result.answer;
    if (result.failure || !answer || answer.status !== 200 || !isJsonObject(answer.body)) return unknown(result);
    const items = Array.isArray(answer.body.value) ? answer.body.value.filter(isJsonObject) : [];
    const match = items.find((item) => Object.entries(written).every(([name, value]) => sameValue(value, item[name])));
    if (match) return { kind: 'found', entity: match };
    const next = nextPageOf(answer.body);
    // Absent only when every page was read: a search cut short proves nothing.
    if (!next) return { kind: 'absent' };
    page = { ...(next.skipToken !== undefined ? { skipToken: next.skipToken } : {}), ...(next.skip !== undefined ? { skip: next.skip } : {}) };
  }
  return unknown(undefined);
}

function unknown(result: GraphResult | undefined): Search {
  return {
    kind: 'unknown',
    result,
    response: problemResponse('graph-unreachable', {
      status: 503,
      detail: 'An earlier attempt may have created the item, and Graph could not be asked whether it did; send the request again with the same Idempotency-Key.',
      headers: { 'retry-after': String(result?.retryAfterSeconds ?? 5) },
    }),
  };
}
