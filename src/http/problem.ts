import type { HttpResponseInit } from '@azure/functions';

/** One thing wrong with a request: a body member (JSON pointer) or a path/query parameter. */
export interface FieldError {
  readonly pointer?: string;
  readonly parameter?: string;
  readonly detail: string;
}

/** What Graph said, passed on to the caller so that nothing is masked. */
export interface GraphErrorSummary {
  readonly status: number;
  readonly code?: string;
  readonly message?: string;
  readonly requestId?: string;
  readonly date?: string;
}

const PROBLEMS = {
  'invalid-body': 'The request body is not a JSON object',
  'unsupported-media-type': 'The request body must be application/json',
  'body-too-large': 'The request body is too large',
  'validation-failed': 'The request is not valid',
  'invalid-idempotency-key': 'The Idempotency-Key header is not valid',
  'idempotency-key-reused': 'The Idempotency-Key was used for another request',
  'idempotency-key-in-progress': 'A request with this Idempotency-Key is still being processed',
  'idempotency-store-unavailable': 'The Idempotency-Key store is unavailable',
  'not-found': 'No such route',
  'method-not-allowed': 'Method not allowed on this route',
  'graph-rejected': 'Microsoft Graph rejected the request',
  'graph-permission-missing': "The facade's identity lacks a Microsoft Graph permission",
  'graph-refuses-application-identity': 'Microsoft Graph refuses this operation for application identities',
  'graph-operation-not-exposed': 'Microsoft Graph no longer exposes this operation',
  'graph-throttled': 'Microsoft Graph is throttling requests',
  'graph-failed': 'Microsoft Graph failed to answer',
  'graph-unreachable': 'Microsoft Graph could not be reached',
  'graph-timeout': 'Microsoft Graph did not answer in time',
  'write-in-doubt': 'An earlier attempt of this write may still be under way in Microsoft Graph',
  'token-unavailable': 'No token for Microsoft Graph could be obtained',
  'internal-error': 'The facade failed unexpectedly',
} as const;

export type ProblemKind = keyof typeof PROBLEMS;

export interface ProblemDetails {
  readonly status: number;
  readonly detail: string;
  readonly errors?: readonly FieldError[];
  /** Errors past the cap, counted rather than listed. */
  readonly moreErrors?: number;
  /** The body properties the operation accepts, listed once. */
  readonly acceptedProperties?: readonly string[];
  readonly graph?: GraphErrorSummary;
  readonly headers?: Readonly<Record<string, string>>;
}

/** An RFC 9457 problem+json response. */
export function problemResponse(kind: ProblemKind, details: ProblemDetails): HttpResponseInit {
  const body = {
    type: `urn:intune-status-facade:problem:${kind}`,
    title: PROBLEMS[kind],
    status: details.status,
    detail: details.detail,
    ...(details.errors ? { errors: details.errors } : {}),
    ...(details.moreErrors ? { moreErrors: details.moreErrors } : {}),
    ...(details.acceptedProperties ? { acceptedProperties: details.acceptedProperties } : {}),
    ...(details.graph ? { graph: details.graph } : {}),
  };
  return {
    status: details.status,
    headers: { 'content-type': 'application/problem+json', ...details.headers },
    body: JSON.stringify(body),
  };
}

/** A 422 lists this many errors at most, and counts the rest, so that a hostile body cannot make a large answer. */
export const MAX_LISTED_ERRORS = 50;

/** 422 listing the field errors found (up to MAX_LISTED_ERRORS) and, for a body, the properties accepted. */
export function validationProblem(errors: readonly FieldError[], acceptedProperties?: readonly string[]): HttpResponseInit {
  const count = errors.length === 1 ? 'one problem' : `${errors.length} problems`;
  const listed = errors.slice(0, MAX_LISTED_ERRORS);
  const moreErrors = errors.length - listed.length;
  return problemResponse('validation-failed', {
    status: 422,
    detail: `The request has ${count}; see errors${moreErrors > 0 ? ` (the first ${listed.length} are listed)` : ''}.`,
    errors: listed,
    ...(moreErrors > 0 ? { moreErrors } : {}),
    ...(acceptedProperties ? { acceptedProperties } : {}),
  });
}
