import { fillRoute, ROUTE_PREFIX } from '../catalog/operations';

/** An absolute facade URL on the same origin as the request being answered. */
export function facadeUrl(
  requestUrl: string,
  route: string,
  params: Readonly<Record<string, string>>,
  query?: URLSearchParams,
): string {
  const url = new URL(`/${ROUTE_PREFIX}/${fillRoute(route, params)}`, requestUrl);
  if (query && [...query.keys()].length > 0) url.search = query.toString();
  return url.toString();
}
