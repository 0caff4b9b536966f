import type { CallerAuthMode } from '../identity/caller-roles';
import type { JsonSchema } from './json-schema';
import type { ApiDescription, OperationDescription, ParameterDescription, ResponseDescription } from './model';

/** The function key, as the Functions host reads it. */
export const FUNCTION_KEY_HEADER = 'x-functions-key';

/** A named schema's reference in OpenAPI 3.1. */
const refTo = (name: string) => `#/components/schemas/${name}`;

/** A schema with every `{ $ref: name }` of the model pointed at its component. */
export function withRefs(schema: unknown, refOf: (name: string) => string): unknown {
  if (Array.isArray(schema)) return schema.map((item) => withRefs(item, refOf));
  if (typeof schema !== 'object' || schema === null) return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([keyword, value]) =>
      keyword === '$ref' && typeof value === 'string' ? [keyword, refOf(value)] : [keyword, withRefs(value, refOf)],
    ),
  );
}

/** The OpenAPI 3.1 document of the API, served from `serverUrl` (the facade's base URL, ending in /api). */
export function openApiDocument(api: ApiDescription, serverUrl: string): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const described of api.operations) {
    const path = `/${described.route}`;
    paths[path] = { ...paths[path], [described.method.toLowerCase()]: operationObject(described) };
  }
  const tags = [...new Set(api.operations.map((described) => described.tag))].map((name) => ({ name }));
  // One schema per version is precise; the merged one is for Swagger 2.0, which cannot say "any of".
  const mergedOnly = new Set(api.operations.flatMap((described) => described.body?.mergedSchemaName ?? []));
  const schemas = Object.fromEntries(Object.entries(api.schemas).filter(([name]) => !mergedOnly.has(name)));
  return {
    openapi: '3.1.0',
    info: {
      title: api.title,
      version: api.version,
      description: api.description,
      contact: api.contact,
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: serverUrl }],
    tags,
    security: securityOf(api.callerAuth),
    paths,
    components: {
      schemas: withRefs(schemas, refTo),
      securitySchemes: securitySchemesOf(api.callerAuth),
    },
  };
}

const FUNCTION_KEY_SCHEME = {
  type: 'apiKey',
  in: 'header',
  name: FUNCTION_KEY_HEADER,
  description: "The function app's function key.",
};
const ENTRA_SCHEME = {
  type: 'http',
  scheme: 'bearer',
  bearerFormat: 'JWT',
  description:
    "An Entra ID access token for the API's app registration, holding the app role the operation needs: IntuneStatus.Read for reads, IntuneStatus.ReadWrite for writes and reads.",
};

/** The security schemes of the mode: a function key, an Entra ID token, or either. */
function securitySchemesOf(callerAuth: CallerAuthMode): Record<string, unknown> {
  if (callerAuth === 'function-key') return { functionKey: FUNCTION_KEY_SCHEME };
  return callerAuth === 'entra' ? { entraId: ENTRA_SCHEME } : { functionKey: FUNCTION_KEY_SCHEME, entraId: ENTRA_SCHEME };
}

/** Each entry is an alternative: with both, a key or a token. */
const securityOf = (callerAuth: CallerAuthMode) => Object.keys(securitySchemesOf(callerAuth)).map((name) => ({ [name]: [] }));

function operationObject(described: OperationDescription): Record<string, unknown> {
  const { body } = described;
  return {
    operationId: described.operationId,
    summary: described.summary,
    description: described.description,
    tags: [described.tag],
    parameters: described.parameters.map(parameterObject),
    ...(body
      ? {
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema:
                  Object.keys(body.schemaNameByVersion).length === 1
                    ? { $ref: refTo(Object.values(body.schemaNameByVersion)[0] as string) }
                    : { anyOf: Object.values(body.schemaNameByVersion).map((name) => ({ $ref: refTo(name) })) },
                examples: Object.fromEntries(
                  body.examples.map((example) => [example.graphVersion, { summary: example.title, value: example.body }]),
                ),
              },
            },
          },
        }
      : {}),
    responses: Object.fromEntries(described.responses.map((response) => [String(response.status), responseObject(response)])),
  };
}

function parameterObject(parameter: ParameterDescription): Record<string, unknown> {
  return {
    name: parameter.name,
    in: parameter.in,
    required: parameter.required,
    description: parameter.description,
    schema: { title: parameter.label, ...parameter.schema },
    'x-ms-summary': parameter.label,
    'x-ms-visibility': parameter.visibility,
  };
}

function responseObject(response: ResponseDescription): Record<string, unknown> {
  const headers = Object.fromEntries(
    response.headers.map((header) => [header.name, { description: header.description, schema: header.schema }]),
  );
  return {
    description: response.description,
    ...(response.headers.length > 0 ? { headers } : {}),
    ...(response.schemaName && response.mediaType
      ? {
          content: {
            [response.mediaType]: {
              schema: { $ref: refTo(response.schemaName) },
              ...(response.example === undefined ? {} : { example: response.example }),
            },
          },
        }
      : {}),
  };
}
