import { ROUTE_PREFIX } from '../catalog/operations';
import type { CallerAuthMode } from '../identity/caller-roles';
import type { JsonSchema } from './json-schema';
import type { ApiDescription, OperationDescription, ParameterDescription, ResponseDescription } from './model';
import { FUNCTION_KEY_HEADER, withRefs } from './openapi';

/** Where the facade is reached, for the Swagger 2.0 `host`, `basePath` and `schemes`. */
export interface SwaggerServer {
  readonly host: string;
  readonly scheme: 'https' | 'http';
}

const refTo = (name: string) => `#/definitions/${name}`;

/**
 * The API as Swagger 2.0, the only version Power Automate custom connectors, the Logic Apps HTTP +
 * Swagger action and the Logic Apps designer's Azure Functions action read. Their rules: a
 * PascalCase operationId, a summary and description on every operation, `x-ms-summary` labels,
 * `x-ms-visibility`, a pageable list, and no `anyOf`, `oneOf` or `nullable` (x-nullable instead).
 */
export function swaggerDocument(api: ApiDescription, server: SwaggerServer): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const described of api.operations) {
    const path = `/${described.route}`;
    paths[path] = { ...paths[path], [described.method.toLowerCase()]: operationObject(described) };
  }
  const perVersion = new Set(api.operations.flatMap((described) => Object.values(described.body?.schemaNameByVersion ?? {})));
  const definitions = Object.fromEntries(
    Object.entries(api.schemas)
      .filter(([name]) => !perVersion.has(name))
      .map(([name, schema]) => [name, swaggerSchema(withRefs(schema, refTo) as JsonSchema)]),
  );
  return {
    swagger: '2.0',
    info: { title: api.title, version: api.version, description: api.description, contact: api.contact },
    host: server.host,
    basePath: `/${ROUTE_PREFIX}`,
    schemes: [server.scheme],
    consumes: ['application/json'],
    produces: ['application/json', 'application/problem+json'],
    tags: [...new Set(api.operations.map((described) => described.tag))].map((name) => ({ name })),
    securityDefinitions: securityDefinitionsOf(api.callerAuth),
    security: Object.keys(securityDefinitionsOf(api.callerAuth)).map((name) => ({ [name]: [] })),
    paths,
    definitions,
  };
}

/**
 * The security of the mode, as Power Platform reads it: the function key as an apiKey header; an
 * Entra ID token as the OAuth 2.0 definition its Entra connectors declare (the sign-in itself is
 * configured in the connector's apiProperties.json).
 */
function securityDefinitionsOf(callerAuth: CallerAuthMode): Record<string, unknown> {
  const apiKey = { type: 'apiKey', in: 'header', name: FUNCTION_KEY_HEADER };
  const oauth2 = {
    type: 'oauth2',
    flow: 'accessCode',
    authorizationUrl: 'https://login.microsoftonline.com/common/oauth2/authorize',
    tokenUrl: 'https://login.windows.net/common/oauth2/authorize',
    scopes: {},
  };
  if (callerAuth === 'function-key') return { api_key: apiKey };
  return callerAuth === 'entra' ? { oauth2_auth: oauth2 } : { api_key: apiKey, oauth2_auth: oauth2 };
}

function operationObject(described: OperationDescription): Record<string, unknown> {
  const { body } = described;
  const bodyParameter = body
    ? [
        {
          name: 'body',
          in: 'body',
          required: true,
          'x-ms-summary': 'Body',
          description: body.description,
          schema: { $ref: refTo(body.mergedSchemaName) },
        },
      ]
    : [];
  return {
    operationId: described.operationId,
    summary: described.summary,
    description: described.description,
    tags: [described.tag],
    'x-ms-visibility': described.designerVisibility,
    ...(described.pageable ? { 'x-ms-pageable': { nextLinkName: 'nextLink' } } : {}),
    parameters: [...described.parameters.map(parameterObject), ...bodyParameter],
    responses: Object.fromEntries(described.responses.map((response) => [String(response.status), responseObject(response)])),
  };
}

/** A non-body parameter: Swagger 2.0 puts the schema's keywords on the parameter itself. */
function parameterObject(parameter: ParameterDescription): Record<string, unknown> {
  const { title: _title, ...keywords } = swaggerSchema(parameter.schema);
  return {
    name: parameter.name,
    in: parameter.in,
    required: parameter.required,
    description: parameter.description,
    'x-ms-summary': parameter.label,
    'x-ms-visibility': parameter.visibility,
    ...keywords,
  };
}

function responseObject(response: ResponseDescription): Record<string, unknown> {
  const headers = Object.fromEntries(
    response.headers.map((header) => [header.name, { description: header.description, ...swaggerSchema(header.schema) }]),
  );
  return {
    description: response.description,
    ...(response.headers.length > 0 ? { headers } : {}),
    ...(response.schemaName ? { schema: { $ref: refTo(response.schemaName) } } : {}),
    ...(response.schemaName && response.mediaType && response.example !== undefined
      ? { examples: { [response.mediaType]: response.example } }
      : {}),
  };
}

/**
 * A JSON Schema (2020-12) in the Swagger 2.0 dialect: a nullable value becomes `x-nullable`, a
 * `title` is also the `x-ms-summary` label. Any other union has no Swagger 2.0 form and fails the
 * generator, so that a schema the connector cannot hold is never written.
 */
export function swaggerSchema(schema: JsonSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [keyword, value] of Object.entries(schema)) {
    switch (keyword) {
      case 'anyOf': {
        const members = value as JsonSchema[];
        const nonNull = members.filter((member) => member.type !== 'null');
        if (members.length !== 2 || nonNull.length !== 1)
          throw new Error('Swagger 2.0 has no anyOf: only a nullable value converts');
        Object.assign(out, swaggerSchema(nonNull[0] as JsonSchema), { 'x-nullable': true });
        break;
      }
      case 'oneOf':
      case 'const':
      case 'patternProperties':
      case 'prefixItems':
        throw new Error(`Swagger 2.0 has no ${keyword}`);
      case 'properties':
        out.properties = Object.fromEntries(
          Object.entries(value as Record<string, JsonSchema>).map(([name, property]) => [name, swaggerSchema(property)]),
        );
        break;
      case 'items':
        out.items = swaggerSchema(value as JsonSchema);
        break;
      case 'title':
        out.title = value;
        out['x-ms-summary'] = value;
        break;
      default:
        out[keyword] = value;
    }
  }
  return out;
}
