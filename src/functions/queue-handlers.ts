import type { InvocationContext, StorageQueueHandler } from '@azure/functions';

import { abandonWrite, finishWrite } from '../operations/finish-write';
import type { OperationDependencies } from '../operations/pipeline';
import { type AsyncWriteDependencies, operationIdOfMessage, writeMessage } from '../operations/write-queue';
import { isStoreOutage } from '../storage/store-calls';

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
    if (!operationId) return logged(context, 'warn', { event: 'graph-write-message-dropped', reason: 'not a write message' });
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
      return logged(context, 'warn', {
        event: 'graph-write-deferred',
        operationId,
        reason: `store unavailable: ${(error as Error).message.slice(0, 200)}`,
      });
    }
    logged(context, 'info', {
      event: 'graph-write-finished',
      operationId,
      dequeueCount: context.triggerMetadata?.dequeueCount,
      ...outcome,
      durationMs: Math.round(performance.now() - started),
    });
  };
}

/** The poison queue's function: an operation whose messages kept failing ends with a problem its caller can read. */
export function abandonWriteHandler(dependencies: { readonly async: AsyncWriteDependencies }): StorageQueueHandler {
  return async (message: unknown, context: InvocationContext) => {
    const operationId = operationIdOfMessage(message);
    if (!operationId) return logged(context, 'warn', { event: 'graph-write-message-dropped', reason: 'not a write message' });
    const outcome = await abandonWrite(operationId, dependencies);
    logged(context, 'error', { event: 'graph-write-abandoned', operationId, ...outcome });
  };
}

function logged(context: InvocationContext, level: 'info' | 'warn' | 'error', entry: Record<string, unknown>): void {
  context[level](JSON.stringify(entry));
}
