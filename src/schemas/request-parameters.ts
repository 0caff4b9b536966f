import * as v from 'valibot';

/**
 * The query and header values the facade reads besides the body, as valibot schemas: the
 * validator parses with them and the API descriptions are converted from them, so the two
 * cannot disagree. Query values arrive as strings; a number is read from its digits and then
 * described by the schemas after the transform (the descriptions convert the output type).
 */

/** `top`: how many items a list page holds, 1 to 999 (Graph's own upper bound for Intune lists). */
export const pageSize = v.pipe(
  v.string(),
  v.regex(/^[1-9][0-9]{0,2}$/, 'must be a whole number from 1 to 999'),
  v.transform(Number),
  v.number(),
  v.integer(),
  v.minValue(1),
  v.maxValue(999),
);

/** `skip`: how many items to pass over, for lists Graph pages by offset. */
export const skipCount = v.pipe(
  v.string(),
  v.regex(/^[0-9]{1,9}$/, 'must be a whole number from 0 to 999999999'),
  v.transform(Number),
  v.number(),
  v.integer(),
  v.minValue(0),
  v.maxValue(999_999_999),
);

/** `skipToken`: Graph's paging token, opaque; any characters it holds travel back byte for byte, only its length is bounded. */
export const skipToken = v.pipe(
  v.string(),
  v.minLength(1, 'must not be empty'),
  v.maxLength(4096, 'must be the skipToken of a nextLink returned by this API (at most 4096 characters)'),
);

export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/** `Idempotency-Key`: 1 to 255 printable ASCII characters. */
export const idempotencyKey = v.pipe(
  v.string(),
  v.minLength(1),
  v.maxLength(MAX_IDEMPOTENCY_KEY_LENGTH),
  v.regex(/^[\x20-\x7e]+$/),
);

/** `client-request-id`: a plain token; any other value is replaced by a new GUID rather than refused. */
export const correlationId = v.pipe(v.string(), v.regex(/^[A-Za-z0-9._:-]{1,128}$/));

/**
 * `Prefer` (RFC 7240), a list of preferences: `return=minimal` asks an update for 204 and no
 * read-back; `respond-async` asks for a write the app finishes itself (202 Accepted).
 */
export const preference = v.pipe(v.string(), v.maxLength(1000));

/** `respond=async` in the query, for callers that can set only a URL: as `Prefer: respond-async`. */
export const respondQuery = v.picklist(['async']);

/** An operation id: 128 bits, base64url. */
export const operationId = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{22}$/));

/** Whether a value is an operation id; nothing else is ever looked up. */
export const isOperationId = (value: unknown): value is string => v.is(operationId, value);

/** Where a write the app finishes itself stands. */
export const OPERATION_STATES = ['queued', 'running', 'waiting', 'in-doubt', 'done'] as const;
