import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { CONNECTOR_FOLDER, connectorFiles } from '../../dev/connector';
import { apiDocuments } from '../../src/api-description/documents';
import { SEED_EXAMPLES } from '../../src/catalog/examples';
import { CATALOG, OPERATION_ROUTE } from '../../src/catalog/operations';
import {
  connectorDefinitionErrors,
  connectorPropertiesErrors,
  openApiSchemas,
  pointerSegment,
  spectralErrors,
  swaggerParserVerdict,
} from '../support/api-schemas';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the descriptions are read as plain JSON
type Json = any;

const documents: { openApi: Json; swagger: Json } = apiDocuments('https://facade.example.net/api');
const { openApi, swagger } = documents;
const committed = (name: string) => readFileSync(join(__dirname, '..', '..', CONNECTOR_FOLDER, name));

/** Every operation object of a description, with its path and method. */
function operationsOf(document: Json): { path: string; method: string; operation: Json }[] {
  return Object.entries(document.paths as Record<string, Record<string, Json>>).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
  );
}

/** Every schema object in a Swagger document, with where it is. */
function schemasOf(value: Json, at = '#'): { at: string; schema: Json }[] {
  if (typeof value !== 'object' || value === null) return [];
  const found = Array.isArray(value) ? [] : [{ at, schema: value }];
  const children = Array.isArray(value) ? value.map((item, index) => [String(index), item]) : Object.entries(value);
  return [...found, ...children.flatMap(([key, child]) => schemasOf(child, `${at}/${key as string}`))];
}

describe('both descriptions', () => {
  test.each([
    ['OpenAPI 3.1', openApi],
    ['Swagger 2.0', swagger],
  ])('%s validates with swagger-parser and passes Spectral with no error', async (_name, document) => {
    expect(await swaggerParserVerdict(document)).toBe('valid');
    expect(await spectralErrors(document)).toEqual([]);
  });

  test.each([
    ['OpenAPI 3.1', openApi],
    ['Swagger 2.0', swagger],
  ])('%s lists exactly the catalog operations and the write status, each on its route and method', (_name, document) => {
    const described = operationsOf(document).map(
      ({ path, method, operation }) => `${method.toUpperCase()} ${path} ${operation.operationId}`,
    );
    const expected = [
      ...CATALOG.map((operation) => `${operation.method} /${operation.route} ${operation.name}`),
      // The status of a write the app finishes itself, which a 202's Location names.
      `GET /${OPERATION_ROUTE} GetWriteOperation`,
    ];
    expect(described.sort()).toEqual(expected.sort());
  });
});

describe('OpenAPI 3.1', () => {
  const validate = openApiSchemas(openApi);

  test('is 3.1 and names the host it is served from', () => {
    expect(openApi.openapi).toBe('3.1.0');
    expect(openApi.servers).toEqual([{ url: 'https://facade.example.net/api' }]);
  });

  test.each(CATALOG.map((operation) => [operation.name, operation] as const))(
    '%s has its parameters, a body schema per Graph version, and its success schema',
    (_name, operation) => {
      const described: Json = openApi.paths[`/${operation.route}`][operation.method.toLowerCase()];
      const parameters = (described.parameters as Json[]).map((parameter) => parameter.name);
      expect(parameters).toEqual(expect.arrayContaining(['graphVersion', 'client-request-id']));
      if (operation.method !== 'GET') expect(parameters).toContain('Idempotency-Key');
      if (operation.kind === 'list') expect(parameters).toEqual(expect.arrayContaining(['top', 'skipToken']));
      const graphVersion = (described.parameters as Json[]).find((parameter) => parameter.name === 'graphVersion');
      expect(graphVersion.schema.enum).toEqual(operation.graphVersions);
      if (operation.kind === 'update' || operation.kind === 'create') {
        const schema = described.requestBody.content['application/json'].schema;
        const refs: string[] = schema.anyOf ? schema.anyOf.map((member: Json) => member.$ref) : [schema.$ref];
        expect(refs).toHaveLength(operation.graphVersions.length);
      }
      const success = operation.kind === 'create' ? '201' : operation.kind === 'delete' ? '204' : '200';
      expect(described.responses[success]).toBeDefined();
      for (const status of ['401', '422', '429', '502', '503', '504']) expect(described.responses[status]).toBeDefined();
    },
  );

  test('each version of a body is its own schema: beta accepts conflictCount, v1.0 refuses it', () => {
    const body = (version: string) => `/components/schemas/UpdateMobileAppConfigurationUserStatusSummaryBody.${version}`;
    expect(validate(body('beta'), { conflictCount: 1 })).toEqual([]);
    expect(validate(body('v1.0'), { conflictCount: 1 })).not.toEqual([]);
  });

  test('every seed example is in the description and validates against its schema', () => {
    expect(SEED_EXAMPLES.length).toBeGreaterThan(0);
    for (const example of SEED_EXAMPLES) {
      const operation = CATALOG.find((candidate) => candidate.name === example.operation);
      const content =
        openApi.paths[`/${operation?.route}`][operation?.method.toLowerCase() ?? ''].requestBody.content['application/json'];
      expect(content.examples[example.graphVersion].value).toEqual(example.body);
      const schema = `/components/schemas/${pointerSegment(`${example.operation}Body.${example.graphVersion}`)}`;
      expect({ example: example.title, errors: validate(schema, example.body) }).toEqual({ example: example.title, errors: [] });
    }
  });

  test('every response example validates against its response schema', () => {
    let checked = 0;
    for (const { path, method, operation } of operationsOf(openApi)) {
      for (const [status, response] of Object.entries(operation.responses as Record<string, Json>)) {
        for (const [mediaType, content] of Object.entries((response.content ?? {}) as Record<string, Json>)) {
          const pointer = `/paths/${pointerSegment(path)}/${method}/responses/${status}/content/${pointerSegment(mediaType)}/schema`;
          expect({ at: `${method} ${path} ${status}`, errors: validate(pointer, content.example) }).toEqual({
            at: `${method} ${path} ${status}`,
            errors: [],
          });
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(CATALOG.length);
  });
});

describe('Power Platform connector', () => {
  const files = connectorFiles();
  const definition: Json = JSON.parse(files['apiDefinition.swagger.json'] as string);
  const properties: Json = JSON.parse(files['apiProperties.json'] as string);

  test('the committed connector/ is what `npm run connector` writes', () => {
    for (const [name, content] of Object.entries(files)) {
      expect({ name, same: committed(name).equals(Buffer.from(content)) }).toEqual({ name, same: true });
    }
  });

  test('both files validate against the schemas public connectors are checked with', () => {
    expect(connectorDefinitionErrors(definition)).toEqual([]);
    expect(connectorPropertiesErrors(properties)).toEqual([]);
  });

  test('the function key is an apiKey connection parameter sent as x-functions-key', () => {
    expect(definition.securityDefinitions).toEqual({ api_key: { type: 'apiKey', in: 'header', name: 'x-functions-key' } });
    expect(properties.properties.connectionParameters.api_key.type).toBe('securestring');
    expect(properties.properties.iconBrandColor).toMatch(/^#[0-9A-F]{6}$/i);
    expect(committed('icon.png').subarray(1, 4).toString('ascii')).toBe('PNG');
  });

  test('every operation has a PascalCase operationId, a summary and a description; lists are pageable', () => {
    for (const { operation } of operationsOf(definition)) {
      expect(operation.operationId).toMatch(/^[A-Z][A-Za-z0-9]*$/);
      expect(operation.summary).toEqual(expect.any(String));
      expect(operation.summary.length).toBeLessThanOrEqual(80);
      expect(operation.description).toEqual(expect.any(String));
      const isList = CATALOG.some((entry) => entry.name === operation.operationId && entry.kind === 'list');
      if (isList) expect(operation['x-ms-pageable']).toEqual({ nextLinkName: 'nextLink' });
      else expect(operation['x-ms-pageable']).toBeUndefined();
    }
  });

  test('every parameter has a label and a visibility; graphVersion, paging and the key are advanced', () => {
    for (const { operation } of operationsOf(definition)) {
      for (const parameter of operation.parameters as Json[]) {
        expect(parameter['x-ms-summary']).toEqual(expect.any(String));
        if (parameter.in === 'body') continue;
        expect(['important', 'advanced']).toContain(parameter['x-ms-visibility']);
        const advanced = ['graphVersion', 'top', 'skipToken', 'skip', 'Idempotency-Key'].includes(parameter.name);
        if (advanced) expect(parameter['x-ms-visibility']).toBe('advanced');
      }
    }
  });

  test('every field of every definition has a label', () => {
    for (const [name, schema] of Object.entries(definition.definitions as Record<string, Json>)) {
      for (const [field, property] of Object.entries((schema.properties ?? {}) as Record<string, Json>)) {
        if (name === 'Problem') continue; // an error body: no designer shows it as dynamic content
        expect({ field: `${name}.${field}`, label: property['x-ms-summary'] }).toEqual({
          field: `${name}.${field}`,
          label: expect.any(String),
        });
      }
    }
  });

  test('no anyOf, oneOf or nullable anywhere, and under 1 MB', () => {
    for (const { at, schema } of schemasOf(definition)) {
      for (const keyword of ['anyOf', 'oneOf', 'nullable']) expect({ at, has: keyword in schema }).toEqual({ at, has: false });
    }
    expect(Buffer.byteLength(files['apiDefinition.swagger.json'] as string)).toBeLessThan(1024 * 1024);
  });
});

describe('the descriptions declare the security of the app’s CALLER_AUTH', () => {
  const forMode = (mode: 'entra' | 'both'): { openApi: Json; swagger: Json } =>
    apiDocuments('https://facade.example.net/api', mode);

  test.each(['entra', 'both'] as const)(
    '%s: both documents stay valid, and the connector definition passes its schema',
    async (mode) => {
      const { openApi: modeOpenApi, swagger: modeSwagger } = forMode(mode);
      for (const document of [modeOpenApi, modeSwagger]) {
        expect(await swaggerParserVerdict(document)).toBe('valid');
        expect(await spectralErrors(document)).toEqual([]);
      }
      expect(connectorDefinitionErrors(modeSwagger)).toEqual([]);
    },
  );

  test('entra: a bearer token (OpenAPI) and Entra OAuth (Swagger), and every operation says 403 caller-role-missing', () => {
    const { openApi: modeOpenApi, swagger: modeSwagger } = forMode('entra');
    expect(modeOpenApi.security).toEqual([{ entraId: [] }]);
    expect(modeOpenApi.components.securitySchemes.entraId).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(modeSwagger.security).toEqual([{ oauth2_auth: [] }]);
    expect(modeSwagger.securityDefinitions.oauth2_auth).toMatchObject({ type: 'oauth2', flow: 'accessCode' });
    for (const { operation } of operationsOf(modeOpenApi).filter(
      ({ operation }) => operation.operationId !== 'GetWriteOperation',
    )) {
      expect(operation.responses['403'].description).toContain('caller-role-missing');
      expect(operation.responses['401'].description).toContain('Entra ID');
    }
  });

  test('both: a key or a token; function-key (the default): the key alone, and no 403 but a user-only operation’s', () => {
    const { openApi: both } = forMode('both');
    expect(both.security).toEqual([{ functionKey: [] }, { entraId: [] }]);
    expect(openApi.security).toEqual([{ functionKey: [] }]);
    for (const { operation } of operationsOf(openApi)) {
      if (operation.operationId === 'UpdateMobileAppInstallSummary')
        expect(operation.responses['403'].description).toBe('Problem types: caller-must-be-user.');
      else expect(operation.responses['403']).toBeUndefined();
    }
  });
});

test('`npm run connector -- --auth entra`: Entra ID sign-in with a redirect URI of the connector’s own, and the definition’s OAuth', () => {
  const signIn = {
    clientId: '11111111-2222-4333-8444-555555555555',
    resourceUri: 'api://tenant/intune-status-facade-x',
    tenantId: 'tenant',
  };
  const files = connectorFiles('my-app.azurewebsites.net', signIn);
  const properties: Json = JSON.parse(files['apiProperties.json'] as string);
  const definition: Json = JSON.parse(files['apiDefinition.swagger.json'] as string);
  expect(properties.properties.connectionParameters).toEqual({
    token: {
      type: 'oauthSetting',
      oAuthSettings: expect.objectContaining({
        identityProvider: 'aad',
        clientId: signIn.clientId,
        scopes: ['api://tenant/intune-status-facade-x/user_impersonation'],
        redirectMode: 'GlobalPerConnector',
        customParameters: expect.objectContaining({ resourceUri: { value: signIn.resourceUri }, tenantId: { value: 'tenant' } }),
      }),
    },
  });
  expect(JSON.stringify(properties)).not.toMatch(/clientSecret/);
  expect(definition.securityDefinitions).toEqual({ oauth2_auth: expect.objectContaining({ type: 'oauth2' }) });
  expect(connectorDefinitionErrors(definition)).toEqual([]);
  // The published schema predates per-connector redirect URIs (it knows Global and Direct only):
  // with that one value put back, the properties validate, so redirectMode is their only difference.
  expect(connectorPropertiesErrors(properties).some((error) => error.includes('redirectMode'))).toBe(true);
  properties.properties.connectionParameters.token.oAuthSettings.redirectMode = 'Global';
  expect(connectorPropertiesErrors(properties)).toEqual([]);
});
