import { type ApiDescription, describeApi } from './api-description';
import type { JsonSchema } from './json-schema';
import { openApiDocument } from './openapi';
import { swaggerDocument } from './swagger';

/**
 * The two descriptions of the API for a facade reached at `baseUrl` (its origin and `/api`). The
 * reference page is their contact: every served copy points at the host that serves it.
 */
export function apiDocuments(baseUrl: string): { openApi: JsonSchema; swagger: JsonSchema } {
  const url = new URL(baseUrl);
  const api: ApiDescription = describeApi({ name: 'intune-status-facade reference', url: `${url.origin}/api/docs` });
  return {
    openApi: openApiDocument(api, `${url.origin}/api`),
    swagger: swaggerDocument(api, { host: url.host, scheme: url.protocol === 'http:' ? 'http' : 'https' }),
  };
}

/** The host the committed connector names until the maker sets their own (`npm run connector -- --host`). */
export const CONNECTOR_PLACEHOLDER_HOST = 'your-function-app.azurewebsites.net';
