import { acceptsApplication, CATALOG, catalogRoutes, type Operation, ROUTE_PREFIX } from './operations';

/** The Markdown table of the catalog's routes, as the README and docs show it. */
export function routeTableMarkdown(catalog: readonly Operation[] = CATALOG): string {
  const rows = [...catalogRoutes(catalog).keys()].map((route) => {
    const operations = catalog.filter((operation) => operation.route === route);
    const first = operations[0] as Operation;
    const methods = operations.map((operation) => (operation.kind === 'list' ? 'GET (list)' : operation.method)).join(', ');
    const versions = first.graphVersions.includes('v1.0')
      ? first.graphVersions.join(', ')
      : `${first.graphVersions.join(', ')} **only**`;
    // Methods Graph accepts only from a signed-in user go as that user (On-Behalf-Of), not as the app.
    const userOnly = operations.filter((operation) => !acceptsApplication(operation)).map((operation) => operation.method);
    const identity = userOnly.length > 0 ? ` (${userOnly.join(', ')}: delegated, as the signed-in user only)` : '';
    return `| \`/${ROUTE_PREFIX}/${route}\` | ${methods} | \`${first.graphPath}\` | ${versions} | ${first.permission}${identity} |`;
  });
  return [
    "| route | methods | Graph path | Graph versions | Graph permission (the app's identity, unless said) |",
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** Markers around a generated table in a Markdown file. */
export const ROUTE_TABLE_MARKERS = {
  begin: '<!-- route table: generated from the catalog by `npm run docs` -->',
  end: '<!-- end of route table -->',
} as const;

/** The text with the part between the markers replaced by `table`; undefined when the markers are missing. */
export function withRouteTable(text: string, table: string): string | undefined {
  const begin = text.indexOf(ROUTE_TABLE_MARKERS.begin);
  const end = text.indexOf(ROUTE_TABLE_MARKERS.end);
  if (begin < 0 || end < begin) return undefined;
  return `${text.slice(0, begin + ROUTE_TABLE_MARKERS.begin.length)}\n${table}\n${text.slice(end)}`;
}
