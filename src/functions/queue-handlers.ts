import type { InvocationContext, StorageQueueHandler } from '@azure/functions';

import { abandonWrite, finishWrite } from '../operations/finish-write';
import type { OperationDependencies } from '../operations/pipeline';
import { type AsyncWriteDependencies, operationIdOfMessage } from '../operations/write-queue';

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
    const outcome = await finishWrite(operationId, dependencies);
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
