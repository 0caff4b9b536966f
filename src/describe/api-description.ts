import * as v from 'valibot';

import { type Example, SEED_EXAMPLES } from '../catalog/examples';
import { CATALOG, examplePath, type Operation, routeParameters } from '../catalog/operations';
import type { Resource } from '../catalog/resources';
import { PROBLEM_CLASSES, type ProblemKind, problemResponse, type ProblemScope, validationProblem } from '../http/problem';
import { type GraphVersion, writeSchema } from '../schemas/entities';
import { pathId } from '../schemas/primitives';
import { correlationId, idempotencyKey, pageSize, preferReturn, skipCount, skipToken } from '../schemas/request-parameters';
import { type JsonSchema, jsonSchemaOf, labelOf } from './json-schema';
import { problemBody } from './response-schemas';

/**
 * The API as its callers see it, built from the catalog and the validator's schemas: the one
 * model both descriptions (OpenAPI 3.1 and the connector's Swagger 2.0) are rendered from.
 */
export interface ApiDescription {
  readonly title: string;
  readonly version: string;
  readonly description: string;
  /** Where callers find the project. */
  readonly contact: { readonly name: string; readonly url: string };
  readonly operations: readonly OperationDescription[];
  /** Named schemas the operations refer to by name. */
  readonly schemas: Readonly<Record<string, JsonSchema>>;
}

export interface OperationDescription {
  readonly operation: Operation;
  /** The resource's name, to group operations. */
  readonly tag: string;
  readonly description: string;
  readonly parameters: readonly ParameterDescription[];
  readonly body?: BodyDescription;
  readonly responses: readonly ResponseDescription[];
}

/** `advanced` parameters are folded away in Power Automate's action card. */
export type Visibility = 'important' | 'advanced';

export interface ParameterDescription {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header';
  readonly required: boolean;
  /** The short label a designer shows. */
  readonly label: string;
  readonly description: string;
  readonly schema: JsonSchema;
  readonly visibility: Visibility;
}

export interface BodyDescription {
  /** The body schema in each Graph version the operation exists in, in the catalog's order. */
  readonly schemaNameByVersion: Readonly<Partial<Record<GraphVersion, string>>>;
  /** Every property any version accepts, for descriptions that hold one schema per operation. */
  readonly mergedSchemaName: string;
  readonly examples: readonly Example[];
}

export interface HeaderDescription {
  readonly name: string;
  readonly description: string;
  readonly schema: JsonSchema;
}

export interface ResponseDescription {
  /** `default`: any other status, for Graph's rarer 4xx passed on as they are. */
  readonly status: number | 'default';
  readonly description: string;
  readonly schemaName?: string;
  readonly mediaType?: 'application/json' | 'application/problem+json';
  readonly example?: unknown;
  readonly headers: readonly HeaderDescription[];
}

export const PROBLEM_SCHEMA = 'Problem';

const API_DESCRIPTION = [
  'A validated facade over Microsoft Graph Intune reporting operations, run as Azure Functions with the',
  "app's managed identity. Every call needs the function key (header `x-functions-key`). Errors are",
  'problem+json (RFC 9457). Send an `Idempotency-Key` with a write so that a retry is never applied twice;',
  'answers that may be retried carry `Retry-After`.',
].join(' ');

/** The version of the API contract (not of the package): raised when an operation, parameter or schema changes. */
export const API_VERSION = '1.0.0';

/** The API description of the catalog. */
export function describeApi(contact: ApiDescription['contact'], catalog: readonly Operation[] = CATALOG): ApiDescription {
  const schemas: Record<string, JsonSchema> = { [PROBLEM_SCHEMA]: jsonSchemaOf(problemBody) };
  const operations = catalog.map((operation) => describeOperation(operation, schemas));
  return { title: 'Intune status facade', version: API_VERSION, description: API_DESCRIPTION, contact, operations, schemas };
}

function describeOperation(operation: Operation, schemas: Record<string, JsonSchema>): OperationDescription {
  const resource = operation.resource;
  schemas[resource.noun] = entitySchema(resource);
  if (operation.kind === 'list') schemas[pageSchemaName(resource)] = pageSchema(resource);
  const body = takesBody(operation) ? describeBody(operation, schemas) : undefined;
  return {
    operation,
    tag: resource.pluralNoun ?? resource.noun,
    description: operationDescription(operation),
    parameters: parametersOf(operation),
    ...(body ? { body } : {}),
    responses: [...successResponses(operation), ...problemResponses(operation)],
  };
}

const takesBody = (operation: Operation) => operation.kind === 'update' || operation.kind === 'create';
const isWrite = (operation: Operation) => operation.method !== 'GET';
const pageSchemaName = (resource: Resource) => `${resource.pluralNoun ?? resource.noun}Page`;

function operationDescription(operation: Operation): string {
  const versions = operation.graphVersions.join(' and ');
  const graph = `Graph ${operation.method} ${operation.graphPath} (${versions}; default ${operation.graphVersions[0]}).`;
  const permission = `Needs the application permission ${operation.permission}.`;
  const byKind: Record<Operation['kind'], string> = {
    read: 'Answers 200 with the entity.',
    list: 'Answers 200 with one page; follow nextLink for the next.',
    update:
      'Answers 200 with the entity as it is after the change; with `Prefer: return=minimal`, 204 and no body. With an Idempotency-Key, a retry is answered from the first attempt.',
    create:
      "Answers 201 with the new entity and its Location. With an Idempotency-Key, a retry is never created twice: it is answered with the first attempt's result.",
    delete: 'Answers 204. With an Idempotency-Key, a retry is answered from the first attempt.',
  };
  return `${operation.summary}. ${byKind[operation.kind]} ${graph} ${permission}`;
}

/** An object schema; `{ $ref: name }` inside names another schema of the description, which each renderer resolves. */
function objectSchema(
  properties: Readonly<Record<string, JsonSchema>>,
  required: readonly string[],
  extra: JsonSchema = {},
): JsonSchema {
  return {
    type: 'object',
    properties,
    ...(required.length > 0 ? { required } : {}),
    ...extra,
  };
}

/** The properties of an entity across the versions given, each labelled; version-only ones say so. */
function propertiesAcross(
  resource: Resource,
  versions: readonly GraphVersion[],
  schemaOf: (version: GraphVersion) => v.ObjectSchema<v.ObjectEntries, undefined>,
): { properties: Record<string, JsonSchema>; requiredEverywhere: string[] } {
  const properties: Record<string, JsonSchema> = {};
  const inVersions = new Map<string, GraphVersion[]>();
  const required = new Map<string, number>();
  for (const version of versions) {
    const converted = jsonSchemaOf(schemaOf(version));
    for (const [name, schema] of Object.entries(converted.properties as Record<string, JsonSchema>)) {
      properties[name] = schema;
      inVersions.set(name, [...(inVersions.get(name) ?? []), version]);
    }
    for (const name of (converted.required as string[] | undefined) ?? []) required.set(name, (required.get(name) ?? 0) + 1);
  }
  for (const [name, schema] of Object.entries(properties)) {
    const only = inVersions.get(name) ?? [];
    const note = only.length < resource.graphVersions.length ? { description: `Graph ${only.join(', ')} only.` } : {};
    properties[name] = { title: labelOf(name), ...schema, ...note };
  }
  const requiredEverywhere = [...required].filter(([, count]) => count === versions.length).map(([name]) => name);
  return { properties, requiredEverywhere };
}

/** An entity as the facade answers it: Graph's properties and id, OData annotations removed. */
function entitySchema(resource: Resource): JsonSchema {
  const { properties } = propertiesAcross(resource, resource.graphVersions, (version) =>
    writeSchema(resource.entity, version, 'update'),
  );
  // Every property is optional on update, so the converted schema marks none required; nullability is Graph's.
  const read: Record<string, JsonSchema> = { id: { title: 'ID', type: 'string' } };
  for (const [name, schema] of Object.entries(properties)) read[name] = schema;
  return objectSchema(read, ['id'], { description: `${resource.entity.name}, as Graph returns it.` });
}

function pageSchema(resource: Resource): JsonSchema {
  return objectSchema(
    {
      value: { title: 'Items', type: 'array', items: { $ref: resource.noun } },
      nextLink: {
        title: 'Next page link',
        type: 'string',
        format: 'uri',
        description: 'The facade URL of the next page, absent on the last page. Call it with the same function key.',
      },
    },
    ['value'],
  );
}

function describeBody(operation: Operation, schemas: Record<string, JsonSchema>): BodyDescription {
  const mode = operation.kind === 'create' ? 'create' : 'update';
  const schemaNameByVersion: Partial<Record<GraphVersion, string>> = {};
  const annotations = {
    '@odata.type': {
      title: 'OData type',
      type: 'string',
      enum: [operation.entity.odataType, operation.entity.odataType.slice(1)],
      description: 'May be left out; when sent it must name this entity.',
    },
  };
  for (const version of operation.graphVersions) {
    const { properties, requiredEverywhere } = propertiesAcross(operation.resource, [version], (only) =>
      writeSchema(operation.entity, only, mode),
    );
    const name = `${operation.name}Body.${version}`;
    schemas[name] = objectSchema({ ...annotations, ...properties }, requiredEverywhere, {
      title: `Graph ${version}`,
      additionalProperties: false,
      ...(mode === 'update' ? { minProperties: 1 } : {}),
    });
    schemaNameByVersion[version] = name;
  }
  const merged = propertiesAcross(operation.resource, operation.graphVersions, (version) =>
    writeSchema(operation.entity, version, mode),
  );
  const mergedSchemaName = `${operation.name}Body`;
  schemas[mergedSchemaName] = objectSchema(merged.properties, merged.requiredEverywhere);
  return {
    schemaNameByVersion,
    mergedSchemaName,
    examples: SEED_EXAMPLES.filter((example) => example.operation === operation.name),
  };
}

function parametersOf(operation: Operation): ParameterDescription[] {
  const inPath: ParameterDescription[] = routeParameters(operation.route).map((name) => ({
    name,
    in: 'path',
    required: true,
    label: labelOf(name),
    description: `The Intune ${labelOf(name).replace(/ ID$/, '').toLowerCase()} id, as Graph gives it.`,
    schema: jsonSchemaOf(pathId),
    visibility: 'important',
  }));
  const graphVersion: ParameterDescription = {
    name: 'graphVersion',
    in: 'query',
    required: false,
    label: 'Graph version',
    description: `The Graph version to call: ${operation.graphVersions.join(' or ')} (default ${operation.graphVersions[0]}).`,
    schema: jsonSchemaOf(v.optional(v.picklist(operation.graphVersions), operation.graphVersions[0])),
    visibility: 'advanced',
  };
  const paging: ParameterDescription[] =
    operation.kind === 'list'
      ? [
          query('top', 'Page size', 'How many items a page holds at most.', pageSize),
          query('skipToken', 'Skip token', "Graph's paging token, taken from a nextLink; pass it back unchanged.", skipToken),
          query('skip', 'Skip', 'How many items to pass over, for lists Graph pages by offset.', skipCount),
        ]
      : [];
  const key: ParameterDescription[] = isWrite(operation)
    ? [
        header(
          'Idempotency-Key',
          'Idempotency key',
          'A value unique to this write (a GUID, say). A retry sent with the same key and body is never applied twice: it waits for, or is answered from, the first attempt.',
          idempotencyKey,
        ),
      ]
    : [];
  const prefer: ParameterDescription[] =
    operation.kind === 'update'
      ? [header('Prefer', 'Prefer', '`return=minimal` answers 204 with no body and skips reading the entity back.', preferReturn)]
      : [];
  const correlation = header(
    'client-request-id',
    'Client request ID',
    'Your correlation id, sent on to Graph and echoed in the answer; a new GUID when absent or not a plain token.',
    correlationId,
  );
  return [...inPath, graphVersion, ...paging, ...key, ...prefer, correlation];
}

function query(name: string, label: string, description: string, schema: v.GenericSchema): ParameterDescription {
  return { name, in: 'query', required: false, label, description, schema: jsonSchemaOf(schema), visibility: 'advanced' };
}

function header(name: string, label: string, description: string, schema: v.GenericSchema): ParameterDescription {
  return { name, in: 'header', required: false, label, description, schema: jsonSchemaOf(schema), visibility: 'advanced' };
}

const CORRELATION_HEADER: HeaderDescription = {
  name: 'client-request-id',
  description: "The call's correlation id: yours, or the one the facade made.",
  schema: { type: 'string' },
};
const GRAPH_REQUEST_HEADER: HeaderDescription = {
  name: 'x-graph-request-id',
  description: "Graph's request id, when Graph answered; quote it to Microsoft support.",
  schema: { type: 'string' },
};
const REPLAYED_HEADER: HeaderDescription = {
  name: 'Idempotent-Replayed',
  description: '`true` when the answer is that of an earlier attempt with the same Idempotency-Key.',
  schema: { type: 'string' },
};
const RETRY_AFTER_HEADER: HeaderDescription = {
  name: 'Retry-After',
  description: 'Seconds to wait before sending the request again, when it may be sent again.',
  schema: { type: 'integer', minimum: 1 },
};
const LOCATION_HEADER: HeaderDescription = {
  name: 'Location',
  description: 'The facade URL of the new entity.',
  schema: { type: 'string', format: 'uri' },
};

/** A placeholder id in examples, from the Graph page of the update examples. */
const EXAMPLE_ENTITY_ID = '2d4f5bf4-5bf4-2d4f-f45b-4f2df45b4f2d';
const EXAMPLE_BASE_URL = 'https://your-function-app.azurewebsites.net/api';

/** What Graph answers for the resource, as the facade passes it on: a seed example's body with an id, annotations removed. */
function entityExample(resource: Resource): unknown {
  const example = SEED_EXAMPLES.find((candidate) =>
    CATALOG.some((operation) => operation.name === candidate.operation && operation.resource.noun === resource.noun),
  );
  if (!example) return undefined;
  const properties = Object.entries(example.body).filter(([name]) => !name.includes('@odata.'));
  return { id: EXAMPLE_ENTITY_ID, ...Object.fromEntries(properties) };
}

function successResponses(operation: Operation): ResponseDescription[] {
  const resource = operation.resource;
  const success = [CORRELATION_HEADER, GRAPH_REQUEST_HEADER, ...(isWrite(operation) ? [REPLAYED_HEADER] : [])];
  const entity = entityExample(resource);
  const withEntity = (status: number, description: string, headers = success): ResponseDescription => ({
    status,
    description,
    schemaName: resource.noun,
    mediaType: 'application/json',
    ...(entity ? { example: entity } : {}),
    headers,
  });
  switch (operation.kind) {
    case 'read':
      return [withEntity(200, `The ${resource.entity.name}.`)];
    case 'update':
      return [
        withEntity(200, `The ${resource.entity.name} after the change.`),
        {
          status: 204,
          description:
            'Updated, with no body: sent for `Prefer: return=minimal`, or when Graph applied the update but the entity could not be read back in time.',
          headers: success,
        },
      ];
    case 'create':
      return [withEntity(201, `The new ${resource.entity.name}.`, [...success, LOCATION_HEADER])];
    case 'delete':
      return [{ status: 204, description: 'Deleted.', headers: success }];
    case 'list':
      return [
        {
          status: 200,
          description: `One page of ${resource.entity.name} items.`,
          schemaName: pageSchemaName(resource),
          mediaType: 'application/json',
          example: {
            value: entity ? [entity] : [],
            nextLink: `${EXAMPLE_BASE_URL}/${examplePath(operation)}?graphVersion=${operation.graphVersions[0]}&top=1&skipToken=opaque-token`,
          },
          headers: success,
        },
      ];
  }
}

/** Whether an operation can meet problems of this scope. */
function inScope(operation: Operation, scope: ProblemScope): boolean {
  switch (scope) {
    case 'operation':
      return true;
    case 'body':
      return takesBody(operation);
    case 'write':
    case 'keyed-write':
      return isWrite(operation);
    case 'beta-only':
      return !operation.graphVersions.includes('v1.0');
    case 'route':
      return false;
  }
}

/** Statuses that tell the caller when to come back (a 408 is Graph giving up, which callers retry). */
const RETRYABLE_STATUSES = new Set([408, 429, 502, 503, 504]);

function problemResponses(operation: Operation): ResponseDescription[] {
  const byStatus = new Map<number, ProblemKind[]>();
  for (const problem of PROBLEM_CLASSES) {
    if (!inScope(operation, problem.scope)) continue;
    for (const status of problem.statuses) byStatus.set(status, [...(byStatus.get(status) ?? []), problem.kind]);
  }
  const unauthorized: ResponseDescription = {
    status: 401,
    description: 'The function key is missing or wrong. The Functions host answers this itself, with no body.',
    headers: [],
  };
  const problems = [...byStatus]
    .sort(([a], [b]) => a - b)
    .map(([status, kinds]): ResponseDescription => {
      const headers = [
        CORRELATION_HEADER,
        GRAPH_REQUEST_HEADER,
        ...(RETRYABLE_STATUSES.has(status) ? [RETRY_AFTER_HEADER] : []),
        // A write's final answer, refusals included, is kept with its Idempotency-Key and replayed.
        ...(isWrite(operation) ? [REPLAYED_HEADER] : []),
      ];
      return {
        status,
        description: `Problem types: ${kinds.join(', ')}.`,
        schemaName: PROBLEM_SCHEMA,
        mediaType: 'application/problem+json',
        example: problemExample(operation, status, kinds[0] as ProblemKind),
        headers,
      };
    });
  const passedOn: ResponseDescription = {
    status: 'default',
    description: "Problem type graph-rejected: any other 4xx of Graph's, passed on with its status.",
    schemaName: PROBLEM_SCHEMA,
    mediaType: 'application/problem+json',
    example: problemExample(operation, 412, 'graph-rejected'),
    headers: [CORRELATION_HEADER, GRAPH_REQUEST_HEADER, ...(isWrite(operation) ? [REPLAYED_HEADER] : [])],
  };
  return [unauthorized, ...problems, passedOn];
}

/** A problem body as the facade writes it, for one status. */
function problemExample(operation: Operation, status: number, kind: ProblemKind): unknown {
  const response =
    kind === 'validation-failed'
      ? validationProblem(
          [{ parameter: 'graphVersion', detail: `graphVersion must be ${operation.graphVersions.join(' or ')}.` }],
          undefined,
        )
      : problemResponse(kind, { status, detail: `${PROBLEM_CLASSES.find((problem) => problem.kind === kind)?.title ?? kind}.` });
  return JSON.parse(response.body as string) as unknown;
}
