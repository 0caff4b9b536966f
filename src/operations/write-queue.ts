import type { CallerPacing } from '../budget/caller-pacing';
import { fillRoute, type Operation } from '../catalog/operations';
import type { EntityLines, OperationStore } from '../idempotency';
import { isJsonObject } from '../json';
import { isOperationId } from '../schemas/request-parameters';
import type { MessageQueue } from '../storage/queue-client';

/** The queue of writes the app finishes itself, unless a setting names another. */
export const DEFAULT_WRITE_QUEUE_NAME = 'graph-writes';

/** The queue the Functions host moves a message to after `maxDequeueCount` failed runs. */
export const poisonQueueOf = (queueName: string): string => `${queueName}-poison`;

/** What writes the app finishes itself need: where they are kept, and the queue that brings them back. */
export interface AsyncWriteDependencies {
  readonly operations: OperationStore;
  /** Per Graph entity, the updates and deletes the app is finishing, in the order they were accepted. */
  readonly lines: EntityLines;
  readonly queue: MessageQueue;
  /** The queue's name, which the worker is registered on. */
  readonly queueName: string;
  /** The app's budget spaces writes this far apart: what a write waits per write queued before it. */
  readonly writeSpacingMs: number;
  /** Each caller's accepted writes come up in the queue at most at the app's write rate (budget/caller-pacing.ts); unset, none is paced. */
  readonly pacing?: CallerPacing;
}

/**
 * The Idempotency-Key record of an operation: the worker finishes it under this key, once,
 * whichever instance and message runs it; a synchronous write with the caller's key uses the
 * same record (its operation id comes from the key), so both ways meet on one record.
 */
export const operationKey = (id: string): string => `operation:${id}`;

/** A message names the operation only: the write itself is in the operation's record. */
export const writeMessage = (operationId: string): string => JSON.stringify({ operationId });

/** The operation a message names, or undefined for a message the app did not write. */
export function operationIdOfMessage(message: unknown): string | undefined {
  const parsed = typeof message === 'string' ? safeJson(message) : message;
  const id = isJsonObject(parsed) ? parsed.operationId : undefined;
  return isOperationId(id) ? id : undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Takes the operation out of its entity's line and wakes the write now first in it, so that the
 * writes to an entity follow one another at the budget's pace rather than at their polling's.
 * A second message for the one woken is harmless: its key lets one run send it.
 */
export async function leaveLine(entity: string, operationId: string, dependencies: AsyncWriteDependencies): Promise<void> {
  const [next] = await dependencies.lines.leave(entity, operationId);
  // A place a caller holds has no message: its call leaves the line itself, and wakes the next then.
  if (next && next.heldUntilMs === undefined) await dependencies.queue.send(writeMessage(next.id));
}

/**
 * The Graph entity an update or delete changes, whatever the Graph version: writes to it are
 * applied in the order they were accepted. A create makes a new entity and waits for nothing.
 */
export function entityOfWrite(operation: Operation, params: Readonly<Record<string, string>>): string | undefined {
  if (operation.method !== 'PATCH' && operation.method !== 'DELETE') return undefined;
  return fillRoute(operation.graphPath.replace(/^\//, ''), params);
}
