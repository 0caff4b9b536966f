import { acceptsApplication, CATALOG, type Operation, OPERATION_ROUTE, takesBody } from '../catalog/operations';
import type { CallerAuthMode } from '../identity/caller-roles';
import { operationStatusResponses } from './async-responses';
import { type JsonSchema, jsonSchemaOf, withLabels } from './json-schema';
import { type ApiDescription, OPERATION_STATUS_SCHEMA, type OperationDescription, PROBLEM_SCHEMA } from './model';
import { operationStatusParameters, parametersOf } from './parameters';
import { operationStatusBody, problemBody } from './response-schemas';
import { problemResponses, successResponses } from './responses';
import { describeBody, entitySchema, pageSchema, pageSchemaName } from './schemas';

const API_DESCRIPTION = [
  'A validated facade over Microsoft Graph Intune reporting operations, run as Azure Functions with the',
  "app's managed identity. Every call needs the function key (header `x-functions-key`). Errors are",
  'problem+json (RFC 9457). Send an `Idempotency-Key` with a write so that a retry is never applied twice;',
  'answers that may be retried carry `Retry-After`.',
].join(' ');

/** The version of the API contract (not of the package): raised when an operation, parameter or schema changes. */
export const API_VERSION = '1.0.0';

/** The API description of the catalog. */
export function describeApi(
  contact: ApiDescription['contact'],
  catalog: readonly Operation[] = CATALOG,
  callerAuth: CallerAuthMode = 'function-key',
): ApiDescription {
  const schemas: Record<string, JsonSchema> = {
    [PROBLEM_SCHEMA]: jsonSchemaOf(problemBody),
    [OPERATION_STATUS_SCHEMA]: withLabels(jsonSchemaOf(operationStatusBody)),
  };
  const operations = [...catalog.map((operation) => describeOperation(operation, schemas, callerAuth)), OPERATION_STATUS];
  return {
    title: 'Intune status facade',
    version: API_VERSION,
    description: API_DESCRIPTION,
    contact,
    operations,
    schemas,
    callerAuth,
  };
}

function describeOperation(
  operation: Operation,
  schemas: Record<string, JsonSchema>,
  callerAuth: CallerAuthMode,
): OperationDescription {
  const resource = operation.resource;
  schemas[resource.noun] = entitySchema(resource);
  if (operation.kind === 'list') schemas[pageSchemaName(resource)] = pageSchema(resource);
  const body = takesBody(operation) ? describeBody(operation, schemas) : undefined;
  return {
    operationId: operation.name,
    method: operation.method,
    route: operation.route,
    summary: operation.summary,
    pageable: operation.kind === 'list',
    designerVisibility: 'important',
    tag: resource.pluralNoun ?? resource.noun,
    description: operationDescription(operation),
    parameters: parametersOf(operation),
    ...(body ? { body } : {}),
    responses: [...successResponses(operation), ...problemResponses(operation, callerAuth)],
  };
}

/** The status of a write the app finishes itself: what a 202's Location answers. */
const OPERATION_STATUS: OperationDescription = {
  operationId: 'GetWriteOperation',
  method: 'GET',
  route: OPERATION_ROUTE,
  summary: 'Get the status of an accepted write',
  pageable: false,
  designerVisibility: 'internal',
  tag: 'Operations',
  description:
    "The status of a write accepted with 202 (`Prefer: respond-async` or `respond=async`): 202 with Retry-After while it is unfinished, then the write's final answer, exactly as the synchronous call would have given it. Kept 24 hours. Logic Apps and Power Automate poll it by themselves.",
  parameters: operationStatusParameters(),
  responses: operationStatusResponses(),
};

function operationDescription(operation: Operation): string {
  const versions = operation.graphVersions.join(' and ');
  const graph = `Graph ${operation.method} ${operation.graphPath} (${versions}; default ${operation.graphVersions[0]}).`;
  const permission = acceptsApplication(operation)
    ? `Needs the application permission ${operation.permission}.`
    : `Graph accepts it only from a signed-in user: it is called as the caller's user (On-Behalf-Of), with the delegated permission ${operation.permission} and the user's own Intune role; an application caller is refused (caller-must-be-user), and a write is answered in the call, never accepted with 202.`;
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
