import * as v from 'valibot';

import { PROBLEM_CLASSES, problemType } from '../http/problem';
import { OPERATION_STATES } from '../schemas/request-parameters';

/**
 * The problem+json body every error is answered with (RFC 9457), as problem.ts builds it. Only
 * the descriptions use this schema; the contract tests check real answers against it.
 */
export const problemBody = v.object({
  type: v.picklist(PROBLEM_CLASSES.map((problem) => problemType(problem.kind))),
  title: v.string(),
  status: v.pipe(v.number(), v.integer()),
  detail: v.string(),
  errors: v.optional(
    v.array(
      v.object({
        pointer: v.optional(v.string()),
        parameter: v.optional(v.string()),
        detail: v.string(),
      }),
    ),
  ),
  moreErrors: v.optional(v.pipe(v.number(), v.integer())),
  acceptedProperties: v.optional(v.array(v.string())),
  graph: v.optional(
    v.object({
      status: v.pipe(v.number(), v.integer()),
      code: v.optional(v.string()),
      message: v.optional(v.string()),
      requestId: v.optional(v.string()),
      date: v.optional(v.string()),
    }),
  ),
});

/**
 * The body of 202 for a write the app finishes itself, as operations/operation-status.ts builds
 * it: where the write stands, never its content.
 */
export const operationStatusBody = v.object({
  id: v.string(),
  operation: v.string(),
  state: v.picklist(OPERATION_STATES),
  runs: v.pipe(v.number(), v.integer()),
  acceptedAt: v.pipe(v.string(), v.isoTimestamp()),
  updatedAt: v.pipe(v.string(), v.isoTimestamp()),
  notBefore: v.optional(v.pipe(v.string(), v.isoTimestamp())),
});
