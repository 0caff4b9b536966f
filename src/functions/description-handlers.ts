import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { HttpHandler } from '@azure/functions';

import { apiDocuments } from '../api-description/documents';
import { ROUTE_PREFIX } from '../catalog/operations';
import { correlationIdOf, withStandardHeaders } from '../http/headers';
import { problemResponse } from '../http/problem';
import type { HttpAnswer } from '../http/response';
import type { CallerAuthMode } from '../identity/caller-roles';

/**
 * The API's descriptions and its reference page, served anonymously: they hold no secret, and
 * importers (API Management, Power Automate, the Logic Apps designer) fetch them without a key.
 */

/**
 * The descriptions as JSON text, per origin the app is reached at. In Azure those are the app's
 * host names (default and custom domains), a handful; the map is bounded anyway, since the
 * origin comes from the request.
 */
const documentsByOrigin = new Map<string, { openApi: string; swagger: string }>();
const MAX_ORIGINS = 8;

function documentsFor(requestUrl: string, callerAuth: CallerAuthMode): { openApi: string; swagger: string } {
  const origin = new URL(requestUrl).origin;
  const key = `${callerAuth} ${origin}`;
  let documents = documentsByOrigin.get(key);
  if (!documents) {
    const built = apiDocuments(`${origin}/${ROUTE_PREFIX}`, callerAuth);
    documents = { openApi: JSON.stringify(built.openApi, null, 2), swagger: JSON.stringify(built.swagger, null, 2) };
    if (documentsByOrigin.size >= MAX_ORIGINS) documentsByOrigin.delete(documentsByOrigin.keys().next().value as string);
    documentsByOrigin.set(key, documents);
  }
  return documents;
}

const jsonDocument = (text: string): HttpAnswer => ({
  status: 200,
  headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache' },
  body: text,
});

/** OpenAPI 3.1, for API Management and the reference page; its security is that of the app's CALLER_AUTH. */
export const openApiHandler =
  (callerAuth: CallerAuthMode): HttpHandler =>
  (request) =>
    withStandardHeaders(jsonDocument(documentsFor(request.url, callerAuth).openApi), correlationIdOf(request.headers));

/** Swagger 2.0, for Power Automate custom connectors and the Logic Apps designer. */
export const swaggerHandler =
  (callerAuth: CallerAuthMode): HttpHandler =>
  (request) =>
    withStandardHeaders(jsonDocument(documentsFor(request.url, callerAuth).swagger), correlationIdOf(request.headers));

const ASSET_BASE = `/${ROUTE_PREFIX}/docs`;

const REFERENCE_PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Intune status facade: API reference</title>
    <link rel="stylesheet" href="${ASSET_BASE}/swagger-ui.css">
  </head>
  <body>
    <div id="reference"></div>
    <script src="${ASSET_BASE}/swagger-ui-bundle.js"></script>
    <script src="${ASSET_BASE}/start.js"></script>
  </body>
</html>
`;

/** Renders the OpenAPI document of this host; the validator badge is off, as it would call a server outside. */
const START_SCRIPT = `window.reference = SwaggerUIBundle({
  url: '/${ROUTE_PREFIX}/openapi.json',
  dom_id: '#reference',
  deepLinking: true,
  validatorUrl: null,
  displayRequestDuration: true,
  persistAuthorization: false,
});
`;

/**
 * Every asset the page loads, served by the app itself so that the page works where nothing
 * outside is reachable; the policy lets the page reach nothing but its own origin.
 */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

interface Asset {
  readonly contentType: string;
  readonly read: () => string | Buffer;
}

/**
 * A swagger-ui-dist file: beside the bundle when the app runs bundled (scripts/bundle.mjs copies
 * them to reference/), else from the package.
 */
function fromSwaggerUi(file: string): () => Buffer {
  return () => {
    const bundled = join(__dirname, 'reference', file);
    return readFileSync(existsSync(bundled) ? bundled : require.resolve(`swagger-ui-dist/${file}`));
  };
}

const ASSETS: Readonly<Record<string, Asset>> = {
  'swagger-ui.css': { contentType: 'text/css; charset=utf-8', read: fromSwaggerUi('swagger-ui.css') },
  'swagger-ui-bundle.js': { contentType: 'text/javascript; charset=utf-8', read: fromSwaggerUi('swagger-ui-bundle.js') },
  'start.js': { contentType: 'text/javascript; charset=utf-8', read: () => START_SCRIPT },
};

/** Assets read once, when first asked for. */
const loadedAssets = new Map<string, string | Buffer>();

export const referencePageHandler: HttpHandler = (request) =>
  withStandardHeaders(
    {
      status: 200,
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-cache',
        'content-security-policy': CONTENT_SECURITY_POLICY,
      },
      body: REFERENCE_PAGE,
    },
    correlationIdOf(request.headers),
  );

export const referenceAssetHandler: HttpHandler = (request) => {
  const name = request.params.asset ?? '';
  const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
  if (!asset) {
    return withStandardHeaders(
      problemResponse('not-found', { detail: `The reference page has no asset ${JSON.stringify(name)}.` }),
      correlationIdOf(request.headers),
    );
  }
  const body = loadedAssets.get(name) ?? asset.read();
  loadedAssets.set(name, body);
  return withStandardHeaders(
    {
      status: 200,
      headers: {
        'content-type': asset.contentType,
        'cache-control': 'public, max-age=3600',
      },
      body,
    },
    correlationIdOf(request.headers),
  );
};
