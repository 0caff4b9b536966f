import type { Example } from '../catalog/examples';
import { CATALOG, type Operation, takesBody } from '../catalog/operations';
import type { GraphVersion } from '../schemas/entities';
import { type JsonSchema, jsonSchemaOf } from './json-schema';
import { parametersOf } from './parameters';
import { problemBody } from './response-schemas';
import { problemResponses, successResponses } from './responses';
import { describeBody, entitySchema, pageSchema, pageSchemaName } from './schemas';

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
