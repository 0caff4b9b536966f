import { problemResponse } from '../http/problem';
import type { HttpAnswer } from '../http/response';
import { CORRELATION_HEADER, LOCATION_HEADER, OPERATION_LOCATION_HEADER, POLL_AFTER_HEADER } from './headers';
import { type HeaderDescription, OPERATION_STATUS_SCHEMA, PROBLEM_SCHEMA, type ResponseDescription } from './model';

/** The answers of writes the app finishes itself: the 202 that accepts one, and its status route. */

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
export function acceptedResponse(headers: readonly HeaderDescription[]): ResponseDescription {
  return {
    status: 202,
    description:
      'Accepted: the app finishes the write itself, as asked with `Prefer: respond-async` or `respond=async`, or because it ended in doubt (it may have been applied) and the app takes it over. Poll the Location: it answers 202 until the write is finished, then exactly what the synchronous call would have answered.',
    schemaName: OPERATION_STATUS_SCHEMA,
    mediaType: 'application/json',
    example: OPERATION_STATUS_EXAMPLE,
    headers,
  };
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
