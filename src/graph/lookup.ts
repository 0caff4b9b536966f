import { isJsonObject } from '../json';
import type { GraphCall, GraphExchange, GraphGateway } from './gateway';
import { lastAttempt } from './gateway';
import { nextPageOf } from './paging';

/**
 * What a look-up in a collection found: the item, proof that it is absent (every page read), or
 * nothing certain (`unfinished`, with the exchange that stopped it, to say why).
 */
export type LookupResult =
  | { readonly kind: 'found'; readonly entity: Record<string, unknown> }
  | { readonly kind: 'absent' }
  | { readonly kind: 'unfinished'; readonly exchange: GraphExchange | undefined };

/** Pages read at most; the time budget bounds the look-up first (Graph pages hold up to 999 items). */
const MAX_PAGES = 1000;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T/;

/** Equal as Graph stores it: timestamps by the instant they name (Graph may return another offset). */
function sameValue(sent: unknown, stored: unknown): boolean {
  if (typeof sent === 'string' && typeof stored === 'string' && ISO_DATE_TIME.test(sent) && ISO_DATE_TIME.test(stored)) {
    return Date.parse(sent) === Date.parse(stored);
  }
  return sent === stored;
}

/**
 * Reads the collection a create was sent to, page by page, for an item carrying every property
 * the create wrote. Reads are repeated freely; nothing is written.
 */
export async function findCreated(
  create: GraphCall,
  written: Readonly<Record<string, unknown>>,
  deadlineMs: number,
  graph: GraphGateway,
): Promise<LookupResult> {
  let page: { skipToken?: string; skip?: number } = {};
  for (let pageNumber = 0; pageNumber < MAX_PAGES; pageNumber++) {
    const list: GraphCall = {
      version: create.version,
      method: 'GET',
      path: create.path,
      top: 999,
      clientRequestId: create.clientRequestId,
      budgetAccount: create.budgetAccount,
      // Looked for as whoever created it: a user sees what Graph lets that user see.
      onBehalfOf: create.onBehalfOf,
      ...page,
    };
    const exchange = await graph.send(list, { deadlineMs, mayRepeat: () => true });
    const answer = lastAttempt(exchange)?.answer;
    if (!answer || answer.status !== 200 || !isJsonObject(answer.body)) return { kind: 'unfinished', exchange };
    const items = Array.isArray(answer.body.value) ? answer.body.value.filter(isJsonObject) : [];
    const match = items.find((item) => Object.entries(written).every(([name, value]) => sameValue(value, item[name])));
    if (match) return { kind: 'found', entity: match };
    const next = nextPageOf(answer.body);
    // Absent only when every page was read: a search cut short proves nothing.
    if (!next) return { kind: 'absent' };
    if (next.skipToken === undefined && next.skip === undefined) return { kind: 'unfinished', exchange };
    page = {
      ...(next.skipToken !== undefined ? { skipToken: next.skipToken } : {}),
      ...(next.skip !== undefined ? { skip: next.skip } : {}),
    };
  }
  return { kind: 'unfinished', exchange: undefined };
}
