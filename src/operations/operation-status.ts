import { OPERATION_ROUTE } from '../catalog/operations';
import { retryAfterSeconds } from '../http/headers';
import { facadeUrl } from '../http/links';
import { problemResponse } from '../http/problem';
import { type HttpAnswer, jsonAnswer } from '../http/response';
import { type OperationRecord, type OperationStore } from '../idempotency';
import { isOperationId } from '../schemas/request-parameters';
import { answerFromStore } from './claim-key';

/** How soon a caller polling a queued or running write is asked to come back. */
export const POLL_AFTER_MS = 2000;

/** The absolute URL of an operation's status, on the origin the caller used. */
export const operationUrl = (requestUrl: string, id: string): string =>
  facadeUrl(requestUrl, OPERATION_ROUTE, { operationId: id });

/** When a caller should look again at an unfinished write: when it is due, or soon. */
export function pollAfterMs(record: OperationRecord, nowMs: number): number {
  const dueInMs = record.notBeforeMs === undefined ? 0 : record.notBeforeMs - nowMs;
  return Math.max(POLL_AFTER_MS, dueInMs);
}

/** The body of 202 for an unfinished write: where it stands, never its content. */
export function statusBody(record: OperationRecord, nowMs: number) {
  const due =
    record.notBeforeMs !== undefined && record.notBeforeMs > nowMs ? new Date(record.notBeforeMs).toISOString() : undefined;
  return {
    id: record.id,
    operation: record.write.operationName,
    state: record.state,
    runs: record.runs,
    acceptedAt: new Date(record.acceptedAt).toISOString(),
    updatedAt: new Date(record.updatedAt).toISOString(),
    ...(due ? { notBefore: due } : {}),
  };
}

/**
 * 202 for an unfinished write, with the Location to poll and a Retry-After of when it is due, at
 * the earliest after `expectedMs` (an estimate of its wait, when one is known).
 */
export function pendingAnswer(record: OperationRecord, requestUrl: string, nowMs: number, expectedMs = 0): HttpAnswer {
  return jsonAnswer(202, statusBody(record, nowMs), {
    location: operationUrl(requestUrl, record.id),
    'retry-after': retryAfterSeconds(Math.max(pollAfterMs(record, nowMs), expectedMs)),
  });
}

/**
 * The answer to a poll of an operation: 202 while it is unfinished, then the write's final
 * answer exactly as the synchronous call would have given it; 404 for an id that names nothing
 * (never accepted, or past its retention).
 */
export async function operationStatus(
  id: string,
  requestUrl: string,
  store: OperationStore | undefined,
  nowMs: number,
): Promise<HttpAnswer> {
  const record = store && isOperationId(id) ? await store.read(id) : undefined;
  if (!record) {
    return problemResponse('operation-not-found', {
      detail: 'No write is known by this operation id: it was never accepted here, or it is older than 24 hours.',
    });
  }
  if (record.state === 'done' && record.response) return answerFromStore(record.response);
  return pendingAnswer(record, requestUrl, nowMs);
}
