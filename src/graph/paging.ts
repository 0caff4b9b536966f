import { isJsonObject } from '../json';

/** Where the next page of a Graph list starts. */
export interface NextPage {
  readonly skipToken?: string;
  readonly skip?: number;
  readonly top?: number;
}

/** The paging options of a Graph page's `@odata.nextLink`, or undefined on the last page. */
export function nextPageOf(page: unknown): NextPage | undefined {
  const link = isJsonObject(page) ? page['@odata.nextLink'] : undefined;
  if (typeof link !== 'string') return undefined;
  const query = new URL(link).searchParams;
  const skipToken = query.get('$skiptoken') ?? query.get('$skipToken') ?? undefined;
  const skip = query.get('$skip');
  const top = query.get('$top');
  return {
    ...(skipToken !== undefined ? { skipToken } : {}),
    ...(skip !== null && /^\d+$/.test(skip) ? { skip: Number(skip) } : {}),
    ...(top !== null && /^\d+$/.test(top) ? { top: Number(top) } : {}),
  };
}
