import type { TableClient } from '@azure/data-tables';

/** The HTTP status of a failed table call (404, 409, 412, ...), if the service answered. */
export const storageStatusOf = (error: unknown): number | undefined => (error as { statusCode?: number } | undefined)?.statusCode;

/** Options that abort a table call after `timeoutMs`: no store call may hang a request. */
export const boundedBy = (timeoutMs: number): { abortSignal: AbortSignal } => ({ abortSignal: AbortSignal.timeout(timeoutMs) });

/**
 * Makes sure the table exists before its first use, once per instance (the client takes a table
 * that already exists as created); after a failure the next call tries again.
 */
export function tableCreator(table: TableClient, timeoutMs: number): () => Promise<void> {
  let ready: Promise<void> | undefined;
  return () => {
    ready ??= table.createTable(boundedBy(timeoutMs)).catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    return ready;
  };
}

/** Errors of a store that could not be reached or answered in time, as opposed to a defect. */
const OUTAGE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * Whether a store call failed because the store was unavailable (unreachable, too slow, or
 * answering 5xx or 429), which passes by itself, rather than because of the call.
 */
export function isStoreOutage(error: unknown): boolean {
  const { name, code, statusCode } = (error ?? {}) as { name?: string; code?: string; statusCode?: number };
  if (name === 'AbortError' || name === 'TimeoutError') return true;
  if (code !== undefined && OUTAGE_CODES.has(code)) return true;
  return statusCode !== undefined && (statusCode >= 500 || statusCode === 429 || statusCode === 408);
}
