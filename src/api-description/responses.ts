import { SEED_EXAMPLES } from '../catalog/examples';
import { CATALOG, examplePath, isWrite, type Operation, takesBody } from '../catalog/operations';
import type { Resource } from '../catalog/resources';
import { PROBLEM_CLASSES, type ProblemKind, problemResponse, type ProblemScope, validationProblem } from '../http/problem';
import type { HttpAnswer } from '../http/response';
import { type HeaderDescription, OPERATION_STATUS_SCHEMA, PROBLEM_SCHEMA, type ResponseDescription } from './model';
import { pageSchemaName } from './schemas';

/** The answers of an operation: its success, and per status the problems it can meet, with headers and examples. */

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

const OPERATION_LOCATION_HEADER: HeaderDescription = {
  name: 'Location',
  description: "The write's operation: poll it (after Retry-After) until it answers other than 202.",
  schema: { type: 'string', format: 'uri' },
};
const POLL_AFTER_HEADER: HeaderDescription = {
  name: 'Retry-After',
  description: 'Seconds to wait before polling the Location.',
  schema: { type: 'integer', minimum: 1 },
};
const PREFERENCE_APPLIED_HEADER: HeaderDescription = {
  name: 'Preference-Applied',
  description: '`respond-async` when the write was accepted because `Prefer: respond-async` asked for it.',
  schema: { type: 'string' },
};

/** An operation's status as a 202 carries it. */
const OPERATION_STATUS_EXAMPLE = {
  id: 'q1B3kVh9S0mY2c5wX7zA4g',
  operation: 'CreateMobileAppConfigurationUserStatus',
  state: 'queued',
  runs: 0,
  acceptedAt: '2026-12-01T09:00:00.000Z',
  updatedAt: '2026-12-01T09:00:00.000Z',
};

/** 202: the write is accepted for the app to finish; its Location answers with the outcome. */
function acceptedResponse(headers: readonly HeaderDescription[]): ResponseDescription {
  return {
    status: 202,
    description:
      'Accepted: the app finishes the write itself (asked for with `Prefer: respond-async` or `respond=async`). Poll the Location: it answers 202 until the write is finished, then exactly what the synchronous call would have answered.',
    schemaName: OPERATION_STATUS_SCHEMA,
    mediaType: 'application/json',
    example: OPERATION_STATUS_EXAMPLE,
    headers,
  };
}

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
  const accepted = acceptedResponse([
    CORRELATION_HEADER,
    OPERATION_LOCATION_HEADER,
    POLL_AFTER_HEADER,
    PREFERENCE_APPLIED_HEADER,
  ]);
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
        accepted,
      ];
    case 'create':
      return [withEntity(201, `The new ${resource.entity.name}.`, [...success, LOCATION_HEADER]), accepted];
    case 'delete':
      return [{ status: 204, description: 'Deleted.', headers: success }, accepted];
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

export function problemResponses(operation: Operation): ResponseDescription[] {
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

/**
 * The answers of an operation's status: 202 while the write is unfinished, then the write's own
 * final answer (its entity, 204, or its problem), or 404 for an id that names nothing.
 */
export function operationStatusResponses(): ResponseDescription[] {
  const finished = 'The write is finished, and this is its answer, exactly as the synchronous call would have given it:';
  const problem = (status: number | 'default', description: string, example: HttpAnswer): ResponseDescription => ({
    status,
    description,
    schemaName: PROBLEM_SCHEMA,
    mediaType: 'application/problem+json',
    example: JSON.parse(example.body as string) as unknown,
    headers: [CORRELATION_HEADER],
  });
  return [
    {
      status: 200,
      description: `${finished} the entity after an update.`,
      mediaType: 'application/json',
      headers: [CORRELATION_HEADER],
    },
    {
      status: 201,
      description: `${finished} the new entity after a create, with its Location.`,
      mediaType: 'application/json',
      headers: [CORRELATION_HEADER, LOCATION_HEADER],
    },
    {
      ...acceptedResponse([CORRELATION_HEADER, OPERATION_LOCATION_HEADER, POLL_AFTER_HEADER]),
      description: 'The write is not finished yet: poll again after Retry-After seconds.',
    },
    {
      status: 204,
      description: `${finished} an update with \`Prefer: return=minimal\`, or a delete.`,
      headers: [CORRELATION_HEADER],
    },
    problem(
      404,
      'Problem type operation-not-found: no write is known by this id (never accepted here, or older than 24 hours).',
      problemResponse('operation-not-found', { detail: 'No write is known by this operation id.' }),
    ),
    problem(
      503,
      'Problem type operation-store-unavailable: the store of accepted writes could not be read; poll again after Retry-After seconds.',
      problemResponse('operation-store-unavailable', { detail: 'The store of accepted writes could not be read.' }),
    ),
    problem(
      'default',
      `${finished} a problem (problem+json), as for the synchronous call.`,
      problemResponse('graph-rejected', { status: 409, detail: 'Graph answered 409.' }),
    ),
  ];
}
