import { createHash, randomBytes } from 'node:crypto';

import type { OPERATION_STATES } from '../schemas/request-parameters';
import { RETENTION_MS, type StoredResponse } from './records';

/**
 * A write accepted for the app to finish itself (202 Accepted): what to send, and how far it got.
 * The request is the validated one, so that the worker sends exactly what the caller was told
 * would be sent.
 */
export interface AcceptedWrite {
  readonly operationName: string;
  readonly params: Readonly<Record<string, string>>;
  readonly version: string;
  readonly body: Readonly<Record<string, unknown>> | null;
  readonly clientRequestId: string;
  /** The caller the Graph budget counts the write against (its fair share), when the app tells callers apart. */
  readonly budgetAccount?: string;
  /** The facade URL the write was sent to, for the Location of a created item. */
  readonly requestUrl: string;
  readonly returnMinimal: boolean;
}

/**
 * Where an accepted write stands: `queued` (waiting for a worker), `running`, `waiting` (for
 * Graph's Retry-After or the app's budget), `in-doubt` (it may have been applied; it is looked
 * for once Graph can no longer be working on it), `done` (the final answer is kept).
 */
export type OperationState = (typeof OPERATION_STATES)[number];

export interface OperationRecord {
  readonly id: string;
  readonly state: OperationState;
  readonly write: AcceptedWrite;
  /** The request's fingerprint: a caller's Idempotency-Key reused for another request is refused. */
  readonly fingerprint: string;
  readonly acceptedAt: number;
  readonly updatedAt: number;
  /** Runs of the worker so far. */
  readonly runs: number;
  /** Waiting or in doubt: not before this instant (epoch ms) is it tried again. */
  readonly notBeforeMs?: number;
  /** Done: the write's final answer, as the synchronous call would have given it. */
  readonly response?: StoredResponse;
}

/** What changes on a record as the worker goes; the id, write and acceptance never change. */
export type OperationProgress = Pick<OperationRecord, 'state' | 'runs'> &
  Partial<Pick<OperationRecord, 'notBeforeMs' | 'response'>>;

/** Accepted writes, kept for RETENTION_MS after acceptance; shared by every instance. */
export interface OperationStore {
  readonly description: string;
  /** Keeps a new record; when one with its id exists (and is not expired), returns that one instead. */
  accept(record: OperationRecord): Promise<{ readonly created: boolean; readonly record: OperationRecord }>;
  /** The record of this id, or undefined when there is none or it has expired. */
  read(id: string): Promise<OperationRecord | undefined>;
  /** Records the worker's progress. */
  progress(id: string, progress: OperationProgress): Promise<void>;
  /** Forgets a record whose acceptance did not complete (its message could not be sent). */
  forget(id: string): Promise<void>;
}

/** Operation ids: 128 bits, URL-safe (schemas/request-parameters.ts `operationId`). */
const ID_BYTES = 16;

/**
 * The id of a new operation: random, unless the caller sent an Idempotency-Key, from which it is
 * derived, so that every retry of the key names the same operation and the write is queued once.
 */
export function operationIdFor(idempotencyKey: string | undefined): string {
  const bytes = idempotencyKey
    ? createHash('sha256').update(`intune-status-facade operation\n${idempotencyKey}`, 'utf8').digest().subarray(0, ID_BYTES)
    : randomBytes(ID_BYTES);
  return bytes.toString('base64url');
}

/** Whether a record has outlived its retention and counts as absent. */
export const isExpired = (record: Pick<OperationRecord, 'acceptedAt'>, nowMs: number): boolean =>
  nowMs - record.acceptedAt > RETENTION_MS;

/**
 * An unfinished write no run has touched for this long after it was due may have lost its
 * message (an instance stopped between storing it and sending it): it is sent again. The longest
 * a healthy one goes unmoved is its delay plus one run.
 */
const STALE_AFTER_MS = 5 * 60_000;

/** Whether an unfinished write has gone unmoved for longer than any healthy one does. */
export const isStale = (record: Pick<OperationRecord, 'state' | 'updatedAt' | 'notBeforeMs'>, nowMs: number): boolean =>
  record.state !== 'done' && nowMs > Math.max(record.updatedAt, record.notBeforeMs ?? 0) + STALE_AFTER_MS;
