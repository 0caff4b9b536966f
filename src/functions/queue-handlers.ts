import type { InvocationContext, StorageQueueHandler } from '@azure/functions';

import { abandonWrite, type FinishOutcome, finishWrite } from '../operations/finish-write';
import type { OperationDependencies } from '../operations/pipeline';
import { type AsyncWriteDependencies, operationIdOfMessage, writeMessage } from '../operations/write-queue';
import { isStoreOutage } from '../storage/store-calls';
import { record, type RecordAttributes, type RecordLevel } from '../telemetry/records';

/** How long a write waits when its stores could not be reached. */
const STORE_OUTAGE_WAIT_MS = 30_000;

type WorkerDependencies = OperationDependencies & { readonly async: AsyncWriteDependencies };

/**
 * The worker: the queue-triggered function that finishes accepted writes. A message the app did
 * not write is logged and dropped. A failure of the store or the queue throws, so that the
 * Functions host shows the message again after its visibility timeout, and after
 * `maxDequeueCount` failures moves it to the poison queue; Graph's own refusals and doubts never
 * fail a message (the worker puts the write back itself, with a delay).
 */
export function finishWriteHandler(dependencies: WorkerDependencies): StorageQueueHandler {
  return async (message: unknown, context: InvocationContext) => {
    const operationId = operationIdOfMessage(message);
    if (!operationId) return record('warn', 'facade.write.message-dropped', { reason: 'not a write message' });
    const started = performance.now();
    let outcome;
    try {
      outcome = await finishWrite(operationId, dependencies);
    } catch (error) {
      // A store outage passes by itself: the write comes back later, without counting toward the
      // poison queue (only a defect should end a write there). Should the queue fail too, the
      // Functions host shows the message again.
      if (!isStoreOutage(error)) throw error;
      await dependencies.async.queue.send(writeMessage(operationId), { visibilityDelayMs: STORE_OUTAGE_WAIT_MS });
      return record('warn', 'facade.write.deferred', {
        operation_id: operationId,
        reason: `store unavailable: ${(error as Error).message.slice(0, 200)}`,
        ...messageFacts(context),
      });
    }
    const [level, attributes] = outcomeRecord(outcome);
    record(level, 'facade.write.run', {
      operation_id: operationId,
      ...attributes,
      ...messageFacts(context),
      duration_ms: Math.round(performance.now() - started),
    });
  };
}

/** The poison queue's function: an operation whose messages kept failing ends with a problem its caller can read. */
export function abandonWriteHandler(dependencies: { readonly async: AsyncWriteDependencies }): StorageQueueHandler {
  return async (message: unknown, context: InvocationContext) => {
    const operationId = operationIdOfMessage(message);
    if (!operationId) return record('warn', 'facade.write.message-dropped', { reason: 'not a write message' });
    const outcome = await abandonWrite(operationId, dependencies);
    record('error', 'facade.write.abandoned', {
      operation_id: operationId,
      ...outcomeRecord(outcome)[1],
      ...messageFacts(context),
      failed: true,
    });
  };
}

/** What the message says of the write's time in the queue: how often it was taken, and how long since it was last sent. */
function messageFacts(context: InvocationContext): RecordAttributes {
  const metadata = context.triggerMetadata ?? {};
  const insertedMs = typeof metadata.insertionTime === 'string' ? Date.parse(metadata.insertionTime) : Number.NaN;
  return {
    'queue.dequeue_count': typeof metadata.dequeueCount === 'number' ? metadata.dequeueCount : undefined,
    'queue.message_age_ms': Number.isFinite(insertedMs) ? Math.max(0, Date.now() - insertedMs) : undefined,
  };
}

/**
 * A run's outcome as a record: a write that ended with an answer other than success is a failed
 * asynchronous write, which its caller learns only by polling, so an operator is told too.
 */
function outcomeRecord(outcome: FinishOutcome): [RecordLevel, RecordAttributes] {
  switch (outcome.kind) {
    case 'done': {
      const failed = outcome.status >= 400;
      return [failed ? 'error' : 'info', { outcome: 'done', 'http.response.status_code': outcome.status, failed }];
    }
    case 'again-later':
      return ['info', { outcome: 'again-later', state: outcome.state, after_ms: outcome.afterMs }];
    case 'skipped':
      return ['info', { outcome: 'skipped', reason: outcome.why }];
  }
}
