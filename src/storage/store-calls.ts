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
