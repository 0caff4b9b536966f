import { ROUTE_PREFIX } from '../catalog/operations';
import type { CallerAuthMode } from '../identity/caller-roles';
import { describeApi } from './describe-api';
import type { JsonSchema } from './json-schema';
import type { ApiDescription } from './model';
import { openApiDocument } from './openapi';
import { swaggerDocument } from './swagger';

/**
 * The two descriptions of the API for a facade reached at `baseUrl` (its origin and the route prefix). The
 * reference page is their contact: every served copy points at the host that serves it.
 */
export function apiDocuments(
  baseUrl: string,
  callerAuth: CallerAuthMode = 'function-key',
): { openApi: JsonSchema; swagger: JsonSchema } {
  const url = new URL(baseUrl);
  const api: ApiDescription = describeApi(
    { name: 'intune-status-facade reference', url: `${url.origin}/${ROUTE_PREFIX}/docs` },
    undefined,
    callerAuth,
  );
  return {
    openApi: openApiDocument(api, `${url.origin}/${ROUTE_PREFIX}`),
    swagger: swaggerDocument(api, { host: url.host, scheme: url.protocol === 'http:' ? 'http' : 'https' }),
  };
}

/** The host the committed connector names until the maker sets their own (`npm run connector -- --host`). */
export const CONNECTOR_PLACEHOLDER_HOST = 'your-function-app.azurewebsites.net';
