import { SEED_EXAMPLES } from '../catalog/examples';
import { acceptsApplication, CATALOG, examplePath, isWrite, type Operation, takesBody } from '../catalog/operations';
import type { Resource } from '../catalog/resources';
import { PROBLEM_CLASSES, type ProblemKind, problemResponse, type ProblemScope, validationProblem } from '../http/problem';
import type { CallerAuthMode } from '../identity/caller-roles';
import { acceptedResponse } from './async-responses';
import {
  CORRELATION_HEADER,
  GRAPH_REQUEST_HEADER,
  LOCATION_HEADER,
  OPERATION_LOCATION_HEADER,
  POLL_AFTER_HEADER,
  PREFERENCE_APPLIED_HEADER,
  REPLAYED_HEADER,
  RETRY_AFTER_HEADER,
} from './headers';
import { PROBLEM_SCHEMA, type ResponseDescription } from './model';
import { pageSchemaName } from './schemas';

/** The answers of an operation: its success, and per status the problems it can meet, with headers and examples. */

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

export function successResponses(operation: Operation): ResponseDescription[] {
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
  // A write the app may finish itself; one Graph accepts only from a signed-in user is answered in the call.
  const accepted: ResponseDescription[] = acceptsApplication(operation)
    ? [acceptedResponse([CORRELATION_HEADER, OPERATION_LOCATION_HEADER, POLL_AFTER_HEADER, PREFERENCE_APPLIED_HEADER])]
    : [];
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
        ...accepted,
      ];
    case 'create':
      return [withEntity(201, `The new ${resource.entity.name}.`, [...success, LOCATION_HEADER]), ...accepted];
    case 'delete':
      return [{ status: 204, description: 'Deleted.', headers: success }, ...accepted];
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
function inScope(operation: Operation, scope: ProblemScope, callerAuth: CallerAuthMode): boolean {
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
    case 'signed-in-caller':
      return callerAuth !== 'function-key';
    case 'user-only':
      return !acceptsApplication(operation);
    case 'signed-in-user':
      return !acceptsApplication(operation) && callerAuth !== 'function-key';
  }
}

/** Statuses that tell the caller when to come back (a 408 is Graph giving up, which callers retry). */
const RETRYABLE_STATUSES = new Set([408, 429, 502, 503, 504]);

/** What a 401 means, by how callers prove who they are. */
const UNAUTHORIZED: Record<CallerAuthMode, string> = {
  'function-key': 'The function key is missing or wrong. The Functions host answers this itself, with no body.',
  entra:
    'No valid Entra ID token for the API. App Service Authentication answers this itself, with no body and WWW-Authenticate: Bearer.',
  both: 'The function key is missing or wrong, or the Entra ID token sent is not valid. The platform answers this itself, with no body.',
};

export function problemResponses(operation: Operation, callerAuth: CallerAuthMode = 'function-key'): ResponseDescription[] {
  const byStatus = new Map<number, ProblemKind[]>();
  for (const problem of PROBLEM_CLASSES) {
    if (!inScope(operation, problem.scope, callerAuth)) continue;
    // A 401 is the platform's (below); the app's own (caller-not-authenticated) is named there.
    for (const status of problem.statuses.filter((candidate) => candidate !== 401))
      byStatus.set(status, [...(byStatus.get(status) ?? []), problem.kind]);
  }
  const unauthorized: ResponseDescription = {
    status: 401,
    description:
      callerAuth === 'entra'
        ? `${UNAUTHORIZED.entra} Should a request reach the app with no caller, it answers problem caller-not-authenticated.`
        : UNAUTHORIZED[callerAuth],
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
