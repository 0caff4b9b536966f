import { isJsonObject } from '../json';

/** Where the next page of a Graph list starts. `skipToken` is Graph's, as it stands in the nextLink. */
export interface NextPage {
  readonly skipToken?: string;
  readonly skip?: number;
  readonly top?: number;
}

/**
 * The query parameters of a link as they stand in it, not decoded: Intune's paging tokens hold
 * quotes, `=`, spaces, `+` and non-ASCII, and decoding would change them (a `+` would become a
 * space). Keys are matched without case, `%24` standing for `$`.
 */
function rawQueryOf(link: string): Map<string, string> {
  const query = link.includes('?') ? link.slice(link.indexOf('?') + 1).split('#')[0] : '';
  const values = new Map<string, string>();
  for (const pair of (query ?? '').split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const key = (equals < 0 ? pair : pair.slice(0, equals)).replace(/^%24/i, '$').toLowerCase();
    if (!values.has(key)) values.set(key, equals < 0 ? '' : pair.slice(equals + 1));
  }
  return values;
}

/** The paging options of a Graph page's `@odata.nextLink`, or undefined on the last page. */
export function nextPageOf(page: unknown): NextPage | undefined {
  const link = isJsonObject(page) ? page['@odata.nextLink'] : undefined;
  if (typeof link !== 'string') return undefined;
  const query = rawQueryOf(link);
  const skipToken = query.get('$skiptoken');
  const skip = query.get('$skip');
  const top = query.get('$top');
  return {
    ...(skipToken !== undefined ? { skipToken } : {}),
    ...(skip !== undefined && /^\d+$/.test(skip) ? { skip: Number(skip) } : {}),
    ...(top !== undefined && /^\d+$/.test(top) ? { top: Number(top) } : {}),
  };
}

/**
 * A paging token ready to stand in a Graph URL: as Graph issued it, but for the characters that
 * would end the parameter or the URL (`&`, `#`), which only a caller can have put there, and
 * those a URL parser would drop or encode anyway (controls, space). They are percent-encoded,
 * so no caller input can add a query parameter to the Graph call, and Graph's own token reaches
 * it in the bytes any client following its nextLink would send.
 */
export function skipTokenForUrl(skipToken: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is matched
  return skipToken.replace(/[\u0000-\u0020&#\u007f]/g, (character) => encodeURIComponent(character));
}
