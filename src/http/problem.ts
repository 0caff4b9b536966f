import type { HttpAnswer } from './response';

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

/**
 * Which requests can meet a problem: any operation, operations that take a body, writes, writes
 * sent with an Idempotency-Key, operations that exist only in Graph beta, no operation (the
 * service routes), callers who sign in with Entra ID (CALLER_AUTH entra or both), operations
 * Graph accepts only for a user, or those called as a signed-in user (On-Behalf-Of). The API
 * descriptions list each operation's problems from this.
 */
export type ProblemScope =
  'operation' | 'body' | 'write' | 'keyed-write' | 'beta-only' | 'route' | 'signed-in-caller' | 'user-only' | 'signed-in-user';

interface ProblemClass {
  readonly title: string;
  /** The statuses it is answered with; the first is the one a single-status problem takes by itself. */
  readonly statuses: readonly [number, ...number[]];
  readonly scope: ProblemScope;
  /** Graph's own 4xx is passed on with its status: the statuses listed are the ones Intune is known to answer. */
  readonly passesOnGraphStatus?: true;
}

const PROBLEMS = {
  'invalid-body': { title: 'The request body is not a JSON object', statuses: [400], scope: 'body' },
  'unsupported-media-type': { title: 'The request body must be application/json', statuses: [415], scope: 'body' },
  'body-too-large': { title: 'The request body is too large', statuses: [413], scope: 'body' },
  'validation-failed': { title: 'The request is not valid', statuses: [422], scope: 'operation' },
  'invalid-idempotency-key': { title: 'The Idempotency-Key header is not valid', statuses: [400], scope: 'operation' },
  'idempotency-key-reused': { title: 'The Idempotency-Key was used for another request', statuses: [422], scope: 'keyed-write' },
  'idempotency-key-in-progress': {
    title: 'A request with this Idempotency-Key is still being processed',
    statuses: [503],
    scope: 'keyed-write',
  },
  'idempotency-store-unavailable': { title: 'The Idempotency-Key store is unavailable', statuses: [503], scope: 'keyed-write' },
  'caller-not-authenticated': { title: 'The caller did not sign in', statuses: [401], scope: 'signed-in-caller' },
  'caller-role-missing': {
    title: 'The caller lacks the app role this request needs',
    statuses: [403],
    scope: 'signed-in-caller',
  },
  'caller-must-be-user': {
    title: 'Only a signed-in user can call this operation',
    statuses: [403],
    scope: 'user-only',
  },
  'graph-refuses-user': {
    title: 'Microsoft Graph refused the signed-in user',
    statuses: [403],
    scope: 'signed-in-user',
  },
  'on-behalf-of-failed': {
    title: "The signed-in user's token could not be exchanged for a Microsoft Graph token",
    statuses: [502, 403],
    scope: 'signed-in-user',
  },
  'not-found': { title: 'No such route', statuses: [404], scope: 'route' },
  'method-not-allowed': { title: 'Method not allowed on this route', statuses: [405], scope: 'route' },
  // Graph's own 4xx is passed on with its status; these are the ones Intune answers.
  'graph-rejected': {
    title: 'Microsoft Graph rejected the request',
    statuses: [400, 404, 408, 409],
    scope: 'operation',
    passesOnGraphStatus: true,
  },
  'graph-permission-missing': {
    title: "The facade's identity lacks a Microsoft Graph permission",
    statuses: [502],
    scope: 'operation',
  },
  'graph-refuses-application-identity': {
    title: 'Microsoft Graph refuses this operation for application identities',
    statuses: [502],
    scope: 'operation',
  },
  'graph-operation-not-exposed': {
    title: 'Microsoft Graph no longer exposes this operation',
    statuses: [502],
    scope: 'beta-only',
  },
  'graph-throttled': { title: 'Microsoft Graph is throttling requests', statuses: [429], scope: 'operation' },
  'request-budget-exhausted': {
    title: "The app's Graph request budget has no turn in time for this request",
    statuses: [429],
    scope: 'operation',
  },
  'instance-busy': {
    title: 'This instance is answering as many calls as it may hold',
    statuses: [429],
    scope: 'operation',
  },
  'graph-failed': { title: 'Microsoft Graph failed to answer', statuses: [502, 503, 504], scope: 'operation' },
  'graph-unreachable': { title: 'Microsoft Graph could not be reached', statuses: [502, 503], scope: 'operation' },
  'graph-timeout': { title: 'Microsoft Graph did not answer in time', statuses: [504], scope: 'operation' },
  'write-in-doubt': {
    title: 'An earlier attempt of this write may still be under way in Microsoft Graph',
    statuses: [503],
    scope: 'write',
  },
  'write-not-accepted': {
    title: 'The write could not be stored for the app to finish',
    statuses: [503],
    scope: 'write',
  },
  'operation-not-found': { title: 'No such operation', statuses: [404], scope: 'route' },
  'operation-store-unavailable': { title: 'The store of accepted writes is unavailable', statuses: [503], scope: 'route' },
  'token-unavailable': { title: 'No token for Microsoft Graph could be obtained', statuses: [503], scope: 'operation' },
  'internal-error': { title: 'The facade failed unexpectedly', statuses: [500], scope: 'operation' },
} as const satisfies Record<string, ProblemClass>;

export type ProblemKind = keyof typeof PROBLEMS;

/** Every problem class with its kind, for the API descriptions. */
export const PROBLEM_CLASSES: readonly (ProblemClass & { readonly kind: ProblemKind })[] = Object.entries(PROBLEMS).map(
  ([kind, problem]) => ({ kind: kind as ProblemKind, ...problem }),
);

/** The `type` of a problem of this kind. */
export const problemType = (kind: ProblemKind): string => `urn:intune-status-facade:problem:${kind}`;

type ProblemClasses = typeof PROBLEMS;

/** The statuses a problem of this kind may be answered with, from the registry. */
export type ProblemStatus<K extends ProblemKind> = K extends ProblemKind
  ? ProblemClasses[K] extends { passesOnGraphStatus: true }
    ? number
    : ProblemClasses[K]['statuses'][number]
  : never;

/** The status: implied when the problem has only one, else one of the registry's (checked by the compiler). */
type StatusOf<K extends ProblemKind> = K extends ProblemKind
  ? ProblemClasses[K]['statuses'] extends readonly [number]
    ? { readonly status?: ProblemStatus<K> }
    : { readonly status: ProblemStatus<K> }
  : never;

export interface ProblemDetails {
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
export function problemResponse<K extends ProblemKind>(kind: K, details: ProblemDetails & StatusOf<K>): HttpAnswer {
  const status: number = details.status ?? PROBLEMS[kind].statuses[0];
  const body = {
    type: problemType(kind),
    title: PROBLEMS[kind].title,
    status,
    detail: details.detail,
    ...(details.errors ? { errors: details.errors } : {}),
    ...(details.moreErrors ? { moreErrors: details.moreErrors } : {}),
    ...(details.acceptedProperties ? { acceptedProperties: details.acceptedProperties } : {}),
    ...(details.graph ? { graph: details.graph } : {}),
  };
  return {
    status,
    headers: { 'content-type': 'application/problem+json', ...details.headers },
    body: JSON.stringify(body),
  };
}

/** A 422 lists this many errors at most, and counts the rest, so that a hostile body cannot make a large answer. */
export const MAX_LISTED_ERRORS = 50;

/** 422 listing the field errors found (up to MAX_LISTED_ERRORS) and, for a body, the properties accepted. */
export function validationProblem(errors: readonly FieldError[], acceptedProperties?: readonly string[]): HttpAnswer {
  const count = errors.length === 1 ? 'one problem' : `${errors.length} problems`;
  const listed = errors.slice(0, MAX_LISTED_ERRORS);
  const moreErrors = errors.length - listed.length;
  return problemResponse('validation-failed', {
    detail: `The request has ${count}; see errors${moreErrors > 0 ? ` (the first ${listed.length} are listed)` : ''}.`,
    errors: listed,
    ...(moreErrors > 0 ? { moreErrors } : {}),
    ...(acceptedProperties ? { acceptedProperties } : {}),
  });
}
