import type { HttpHandler } from '@azure/functions';

import type { HttpMethod } from '../catalog/operations';
import type { Clock } from '../clock';
import { correlationIdOf, withStandardHeaders } from '../http/headers';
import { problemResponse } from '../http/problem';
import { jsonAnswer } from '../http/response';
import type { OperationStore } from '../idempotency';
import { cachedDiagnosis, type DiagnosticsDependencies } from '../operations/diagnostics';
import { operationStatus } from '../operations/operation-status';

/**
 * What the health route shows: liveness and a configuration summary, built once at start-up.
 * Identifiers and origins only: never a token, key, header value or a setting's path or query.
 */
export interface HealthSummary {
  readonly graphCloud: string;
  readonly graphRoot: string;
  readonly graphRootOverridden: boolean;
  readonly credential: string;
  readonly idempotencyStore: string;
  readonly timeBudgetSeconds: number;
  readonly inDoubtWindowSeconds: number;
  readonly graphBudget: {
    readonly mode: string;
    readonly writesPer20Seconds: number;
    readonly readsPer20Seconds: number;
    readonly instanceCap: number;
  };
  readonly operations: number;
}

/** Liveness and the configuration summary. */
export function healthHandler(summary: HealthSummary): HttpHandler {
  return (request) =>
    withStandardHeaders(jsonAnswer(200, { status: 'ok', ...summary, node: process.version }), correlationIdOf(request.headers));
}

/** What the identity may do in Graph, proved by read probes; `ready` is false with what to grant. Never a token. */
export function diagnosticsHandler(dependencies: DiagnosticsDependencies): HttpHandler {
  const diagnosis = cachedDiagnosis(dependencies);
  return async (request) => withStandardHeaders(jsonAnswer(200, await diagnosis()), correlationIdOf(request.headers));
}

/** 405 for a known route asked with a method it does not serve, naming the ones it does. */
export function methodNotAllowedHandler(route: string, allowed: readonly HttpMethod[]): HttpHandler {
  return (request) => {
    const response = problemResponse('method-not-allowed', {
      detail: `${request.method} is not served on /${route}; use ${allowed.join(', ')}.`,
      headers: { allow: allowed.join(', ') },
    });
    return withStandardHeaders(response, correlationIdOf(request.headers));
  };
}

/** 404 as problem+json for any path under the prefix that names no route. */
export const notFoundHandler: HttpHandler = (request) =>
  withStandardHeaders(
    problemResponse('not-found', { detail: `No route matches ${new URL(request.url).pathname}.` }),
    correlationIdOf(request.headers),
  );

/** The status of a write the app finishes itself: 202 while unfinished, then its final answer. */
export function operationStatusHandler(store: OperationStore | undefined, clock: Clock): HttpHandler {
  return async (request) => {
    let answer;
    try {
      answer = await operationStatus(request.params.operationId ?? '', request.url, store, clock.now());
    } catch {
      answer = problemResponse('operation-store-unavailable', {
        detail: 'The store of accepted writes could not be read; ask again after Retry-After seconds.',
        headers: { 'retry-after': '5' },
      });
    }
    return withStandardHeaders(answer, correlationIdOf(request.headers));
  };
}
