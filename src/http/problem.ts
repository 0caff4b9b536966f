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
  'graph-throttled': 'Microsoft Graph is throttling requests',
  'graph-failed': 'Microsoft Graph failed to answer',
  'graph-unreachable': 'Microsoft Graph could not be reached',
  'graph-timeout': 'Microsoft Graph did not answer in time',
  'token-unavailable': 'No token for Microsoft Graph could be obtained',
  'internal-error': 'The facade failed unexpectedly',
} as const;

export type ProblemKind = keyof typeof PROBLEMS;

export interface ProblemDetails {
  readonly status: number;
  readonly detail: string;
  readonly errors?: readonly FieldError[];
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
    ...(details.graph ? { graph: details.graph } : {}),
  };
  return {
    status: details.status,
    headers: { 'content-type': 'application/problem+json', ...details.headers },
    body: JSON.stringify(body),
  };
}

/** 422 listing every field error found. */
export function validationProblem(errors: readonly FieldError[]): HttpResponseInit {
  const count = errors.length === 1 ? 'one problem' : `${errors.length} problems`;
  return problemResponse('validation-failed', {
    status: 422,
    detail: `The request has ${count}; see errors.`,
    errors,
  });
}
