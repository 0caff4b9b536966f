import type { RegisteredHttpFunction } from '../functions-runtime';

export interface RouteMatch {
  readonly fn: RegisteredHttpFunction;
  readonly params: Record<string, string>;
}

/** .NET's StringComparer.OrdinalIgnoreCase: code units compared after upper-casing each string. */
function compareOrdinalIgnoreCase(a: string, b: string): number {
  const left = a.toUpperCase();
  const right = b.toUpperCase();
  return left < right ? -1 : left > right ? 1 : 0;
}

/**
 * Functions in the order the Functions host tries them: by function name under OrdinalIgnoreCase,
 * first match wins (the host does not rank literal segments above parameters as ASP.NET Core
 * does). Serving in this order means a catch-all that would shadow an operation in Azure
 * shadows it here too.
 */
export function routingOrder(functions: readonly RegisteredHttpFunction[]): RegisteredHttpFunction[] {
  return [...functions].sort((a, b) => compareOrdinalIgnoreCase(a.name, b.name));
}

/** A route template with its parameter names blanked: two templates of one shape match the same URLs. */
const templateShape = (route: string) =>
  route
    .toLowerCase()
    .replace(/\{\*?[^}]*\}/g, '{}')
    .replace(/\/+$/, '');

/**
 * Two functions with the same route template and a method in common: the Functions host disables
 * the later one at start-up, silently. The local host refuses to start instead, naming both.
 */
export function registrationConflicts(functions: readonly RegisteredHttpFunction[]): string[] {
  const conflicts: string[] = [];
  functions.forEach((first, index) => {
    for (const second of functions.slice(index + 1)) {
      const shared = first.methods.filter((method) => second.methods.includes(method));
      if (templateShape(first.route) === templateShape(second.route) && shared.length > 0) {
        conflicts.push(`${first.name} and ${second.name} both serve ${shared.join(', ')} on /${first.route}`);
      }
    }
  });
  return conflicts;
}

/** A segment decoded the way ASP.NET Core routing decodes it: everything but `%2F`; a malformed escape stays as sent. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment.replace(/%2F/gi, '%252F'));
  } catch {
    return segment;
  }
}

function matchTemplate(route: string, segments: readonly string[]): Record<string, string> | undefined {
  const template = route.split('/');
  const params: Record<string, string> = {};
  for (const [index, part] of template.entries()) {
    if (part.startsWith('{*')) {
      params[part.slice(2, -1)] = segments.slice(index).join('/');
      return params;
    }
    const segment = segments[index];
    if (segment === undefined || segment === '') return undefined;
    if (part.startsWith('{')) params[part.slice(1, -1)] = segment;
    else if (part.toLowerCase() !== segment.toLowerCase()) return undefined;
  }
  return segments.length === template.length ? params : undefined;
}

/**
 * The function serving `method` on `path` (the part after the route prefix), if any. A trailing
 * slash is ignored and literal segments match in any case, as in the Functions host.
 */
export function findRoute(ordered: readonly RegisteredHttpFunction[], method: string, path: string): RouteMatch | undefined {
  const segments = path.replace(/\/+$/, '').split('/').map(decodeSegment);
  for (const fn of ordered) {
    if (!fn.methods.includes(method)) continue;
    const params = matchTemplate(fn.route, segments);
    if (params) return { fn, params };
  }
  return undefined;
}

/**
 * The part of a URL path after the route prefix (`api`, in any case), or undefined outside it.
 * `/api` itself is under the prefix, with an empty path, which only a catch-all matches.
 */
export function pathUnderPrefix(pathname: string, prefix: string): string | undefined {
  const lower = pathname.toLowerCase();
  const root = `/${prefix.toLowerCase()}`;
  if (lower === root) return '';
  return lower.startsWith(`${root}/`) ? pathname.slice(root.length + 1) : undefined;
}
