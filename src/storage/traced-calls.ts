import { createDefaultHttpClient, type HttpClient } from '@azure/core-rest-pipeline';

import { type DependencyKind, startDependency } from '../telemetry/dependencies';
import { storageStatusOf } from './store-calls';

/**
 * What a storage request addressed, for its dependency span: its path without the row keys in
 * parentheses and without the query, e.g. `/writeoperations` or `/account/graphbudget`. Keys
 * are hashes of ids, and name nothing an operator looks for.
 */
export function storageResourceOf(url: URL): string {
  return url.pathname.replace(/\(.*\)$/, '');
}

/** Why a storage call had no answer: the error's code or name. */
function failureOf(error: unknown): string {
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  if (typeof code === 'string') return code;
  return typeof name === 'string' ? name : 'error';
}

/**
 * The HTTP client of the app's table clients: the Azure SDK's default one, with every request
 * (each retry too) recorded as a dependency with its status.
 */
export function tracedHttpClient(kind: DependencyKind): HttpClient {
  const inner = createDefaultHttpClient();
  return {
    async sendRequest(request) {
      const url = new URL(request.url);
      const ended = startDependency({ kind, method: request.method, base: url.origin, resource: storageResourceOf(url) });
      try {
        const response = await inner.sendRequest(request);
        ended({ status: response.status });
        return response;
      } catch (error) {
        ended({ error: failureOf(error) });
        throw error;
      }
    },
  };
}

/**
 * One call of a storage SDK whose HTTP client cannot be given (the queue client), recorded as a
 * dependency: its status from the SDK's answer, or from its error.
 */
export async function tracedCall<T extends { readonly _response?: { readonly status: number } }>(
  kind: DependencyKind,
  method: string,
  url: string,
  run: () => Promise<T>,
): Promise<T> {
  const target = new URL(url);
  const ended = startDependency({ kind, method, base: target.origin, resource: storageResourceOf(target) });
  try {
    const result = await run();
    ended({ status: result._response?.status ?? 200 });
    return result;
  } catch (error) {
    const status = storageStatusOf(error);
    ended(status === undefined ? { error: failureOf(error) } : { status });
    throw error;
  }
}
