import type { HttpHandler } from '@azure/functions';

import { CATALOG, type HttpMethod } from '../catalog/operations';
import type { Settings } from '../config';
import { diagnose } from '../facade/diagnostics';
import type { OperationDependencies } from '../facade/run-operation';
import { describeCredential } from '../graph/credential';
import { correlationIdOf, withCorrelation } from './correlation';
import { problemResponse } from './problem';

/** Liveness and a configuration summary. Identifiers only: never a token, key or header value. */
export function healthHandler(settings: Settings, dependencies: OperationDependencies): HttpHandler {
  return (request) =>
    withCorrelation(
      {
        status: 200,
        headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
        body: JSON.stringify({
          status: 'ok',
          graphCloud: settings.cloud,
          // Origins only: a path, query or credential put into a setting by mistake is never shown.
          graphRoot: originOf(settings.endpoints.graphRoot),
          graphRootOverridden: settings.graphBaseUrlOverride !== undefined,
          credential: describeCredential(settings),
          idempotencyStore: dependencies.idempotency.description,
          timeBudgetSeconds: settings.timeBudgetMs / 1000,
          inDoubtWindowSeconds: settings.inDoubtWindowMs / 1000,
          graphBudget: {
            mode: settings.budget.mode,
            writesPer20Seconds: settings.budget.writes.requestsPer20Seconds,
            readsPer20Seconds: settings.budget.reads.requestsPer20Seconds,
            instanceCap: settings.budget.instanceCap,
          },
          operations: CATALOG.length,
          node: process.version,
        }),
      },
      correlationIdOf(request.headers),
    );
}

/** What the identity may do in Graph, proved by read probes; `ready` is false with what to grant. Never a token. */
export function diagnosticsHandler(settings: Settings, dependencies: OperationDependencies): HttpHandler {
  return async (request) =>
    withCorrelation(
      {
        status: 200,
        headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
        body: JSON.stringify(await diagnose(settings, dependencies)),
      },
      correlationIdOf(request.headers),
    );
}

/** The scheme, host and port of a URL, nothing else. */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(not a URL)';
  }
}

/** 405 for a known route asked with a method it does not serve, naming the ones it does. */
export function methodNotAllowedHandler(route: string, allowed: readonly HttpMethod[]): HttpHandler {
  return (request) => {
    const response = problemResponse('method-not-allowed', {
      status: 405,
      detail: `${request.method} is not served on /${route}; use ${allowed.join(', ')}.`,
      headers: { allow: allowed.join(', ') },
    });
    return withCorrelation(response, correlationIdOf(request.headers));
  };
}

/** 404 as problem+json for any path under the prefix that names no route. */
export const notFoundHandler: HttpHandler = (request) =>
  withCorrelation(
    problemResponse('not-found', { status: 404, detail: `No route matches ${new URL(request.url).pathname}.` }),
    correlationIdOf(request.headers),
  );
