import { randomUUID } from 'node:crypto';

import { InvocationContext, type LogHandler, type StorageQueueHandler } from '@azure/functions';
import { type QueueClient, RestError } from '@azure/storage-queue';

import {
  afterFailure,
  asDeliveredToNode,
  decodeMessageText,
  exceedsMaxDequeueCount,
  type FetchedMessage,
  triggerMetadataOf,
} from './queue-messages';
import { MINIMUM_POLLING_INTERVAL_MS, type QueueOptions } from './queue-options';
import { FIRST_POLL, nextPollInterval, nextRenewalDelay } from './queue-polling';
import { invocationTraceContext } from './trace-context';

/** The queue operations the listener uses (a QueueClient's), so that a test can watch them. */
export type QueueOperations = Pick<
  QueueClient,
  'name' | 'exists' | 'receiveMessages' | 'updateMessage' | 'deleteMessage' | 'sendMessage' | 'createIfNotExists'
>;

export interface QueueListenerSettings {
  readonly functionName: string;
  readonly handler: StorageQueueHandler;
  readonly queue: QueueOperations;
  /** `<queue>-poison`, or none when the queue cannot have one (queue-messages.ts poisonQueueNameFor). */
  readonly poisonQueue: QueueOperations | undefined;
  readonly options: QueueOptions;
  /** The log of one invocation (by its id), or of the listener itself (id `listener`). */
  readonly logFor: (invocationId: string) => LogHandler;
  /**
   * How long a fetched message stays invisible, renewed at half that while its function runs.
   * The host uses 10 minutes; tests shorten it.
   */
  readonly processingVisibilityTimeoutMs?: number;
  /** How long stopping waits for invocations in flight before leaving them. */
  readonly shutdownTimeoutMs?: number;
  /** The jitter of the polling back-off, in [0, 1). */
  readonly random?: () => number;
}

export interface QueueListener {
  /** Stops polling, then waits (up to the shutdown timeout) for the invocations in flight to finish and settle their messages. */
  stop(): Promise<void>;
}

const TEN_MINUTES_MS = 10 * 60 * 1000;
/** setTimeout's longest wait (about 24.8 days); a longer `maxPollingInterval`, which the host allows, is cut to it. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

const statusOf = (error: unknown) => (error instanceof RestError ? error.statusCode : undefined);
const codeOf = (error: unknown) => (error instanceof RestError ? error.code : undefined);
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The message, or the queue, is gone, or another consumer holds the message now: nothing is left to settle. */
function isMessageLost(error: unknown): boolean {
  return statusOf(error) === 404 || codeOf(error) === 'PopReceiptMismatch';
}

/** A wait that `wake` ends early. */
function sleeper() {
  let wake: () => void = () => undefined;
  return {
    sleep(ms: number): Promise<void> {
      return new Promise((resolve) => {
        const timer = setTimeout(done, Math.min(ms, LONGEST_TIMER_MS));
        function done() {
          clearTimeout(timer);
          resolve();
        }
        wake = done;
      });
    },
    wake: () => wake(),
  };
}

/**
 * Listens to one queue for one function as the Functions host's queue trigger does: polls for up
 * to `batchSize` messages at a time, each held invisible while its function runs; polls again
 * once the invocations in flight fall to `newBatchThreshold`, and backs off while the queue is
 * empty or missing. A message is deleted when its function succeeds; after a failure it is made
 * visible again after `visibilityTimeout`, or moved to the poison queue on its last attempt.
 */
export function startQueueListener(settings: QueueListenerSettings): QueueListener {
  const { queue, poisonQueue, options } = settings;
  // The service counts whole seconds, and fetches hold a message for one at least.
  const holdSeconds = Math.max(1, Math.floor((settings.processingVisibilityTimeoutMs ?? TEN_MINUTES_MS) / 1000));
  const listenerLog = settings.logFor('listener');
  const inFlight = new Set<Promise<void>>();
  const renewals = new Set<{ cancel(): void }>();
  const abort = new AbortController();
  const wait = sleeper();
  let stopping = false;

  /** Keeps the message invisible while its function runs; `receipt` follows each renewal. */
  function keepInvisible(messageId: string, receipt: { value: string }) {
    let timer: NodeJS.Timeout | undefined;
    let renewing: Promise<void> | undefined;
    let failedRenewals = 0;
    let ended = false;
    const schedule = () => {
      if (ended) return;
      timer = setTimeout(
        () => {
          renewing = renew().finally(() => {
            renewing = undefined;
            schedule();
          });
        },
        nextRenewalDelay(holdSeconds * 1000, failedRenewals),
      );
    };
    const renew = async () => {
      try {
        receipt.value = (await queue.updateMessage(messageId, receipt.value, undefined, holdSeconds)).popReceipt ?? receipt.value;
        failedRenewals = 0;
      } catch (error) {
        if (isMessageLost(error)) ended = true;
        else failedRenewals += 1;
        listenerLog('warning', `could not keep message ${messageId} invisible: ${messageOf(error)}`);
      }
    };
    const cancel = () => {
      ended = true;
      clearTimeout(timer);
    };
    const renewal = { cancel };
    renewals.add(renewal);
    schedule();
    return {
      async end() {
        cancel();
        await renewing;
        renewals.delete(renewal);
      },
    };
  }

  async function deleteMessage(messageId: string, popReceipt: string): Promise<void> {
    try {
      await queue.deleteMessage(messageId, popReceipt);
    } catch (error) {
      if (!isMessageLost(error)) throw error;
    }
  }

  /** Copies the message, as stored, to the poison queue (created if needed), then deletes it. */
  async function moveToPoison(message: FetchedMessage, popReceipt: string, log: LogHandler): Promise<void> {
    if (!poisonQueue) return;
    log(
      'warning',
      `Message ${message.messageId} has reached MaxDequeueCount of ${options.maxDequeueCount}. Moving message to queue '${poisonQueue.name}'.`,
    );
    try {
      await poisonQueue.sendMessage(message.messageText);
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
      await poisonQueue.createIfNotExists();
      await poisonQueue.sendMessage(message.messageText);
    }
    await deleteMessage(message.messageId, popReceipt);
  }

  async function settleFailure(message: FetchedMessage, popReceipt: string, log: LogHandler): Promise<void> {
    const outcome = afterFailure(message.dequeueCount, options.maxDequeueCount, poisonQueue !== undefined);
    if (outcome === 'poison') return moveToPoison(message, popReceipt, log);
    if (outcome === 'release') {
      try {
        // The service counts whole seconds, as the host sends them.
        await queue.updateMessage(message.messageId, popReceipt, undefined, Math.floor(options.visibilityTimeoutMs / 1000));
      } catch (error) {
        if (!isMessageLost(error)) throw error;
      }
    }
  }

  async function invoke(message: FetchedMessage): Promise<void> {
    const invocationId = randomUUID();
    const log = settings.logFor(invocationId);
    const text = decodeMessageText(message.messageText, options.messageEncoding);
    if (text === undefined) {
      log('warning', `Message ${message.messageId} is not base64 (host.json messageEncoding); the function is not invoked.`);
      return moveToPoison(message, message.popReceipt, log);
    }
    if (exceedsMaxDequeueCount(message.dequeueCount, options.maxDequeueCount))
      return moveToPoison(message, message.popReceipt, log);
    const receipt = { value: message.popReceipt };
    const renewal = keepInvisible(message.messageId, receipt);
    const startedAt = new Date();
    const context = new InvocationContext({
      invocationId,
      functionName: settings.functionName,
      logHandler: log,
      // A message carries no trace: each invocation is the root of its own, as the host makes it.
      traceContext: invocationTraceContext(),
      triggerMetadata: triggerMetadataOf(message, text, {
        functionName: settings.functionName,
        startedAt,
        randomGuid: randomUUID(),
      }),
    });
    let failure: unknown;
    let succeeded = true;
    try {
      await settings.handler(asDeliveredToNode(text), context);
    } catch (error) {
      succeeded = false;
      failure = error;
    } finally {
      await renewal.end();
    }
    const ms = Date.now() - startedAt.getTime();
    const attempt = `message ${message.messageId}, dequeue count ${message.dequeueCount}, ${ms} ms`;
    if (succeeded) {
      log('information', `Executed (Succeeded, ${attempt})`);
      return deleteMessage(message.messageId, receipt.value);
    }
    context.error(`Unhandled error: ${failure instanceof Error ? (failure.stack ?? failure.message) : String(failure)}`);
    log('error', `Executed (Failed, ${attempt})`);
    return settleFailure(message, receipt.value, log);
  }

  function track(message: FetchedMessage): void {
    const done = invoke(message).catch((error: unknown) => {
      // The message stays invisible until its fetch's visibility timeout ends, then is fetched again.
      listenerLog('error', `could not settle message ${message.messageId}: ${messageOf(error)}`);
    });
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
  }

  /** Messages fetched by a poll that ended after stopping began: visible again at once, untouched. */
  async function release(batch: readonly FetchedMessage[]): Promise<void> {
    await Promise.allSettled(batch.map((message) => queue.updateMessage(message.messageId, message.popReceipt, undefined, 0)));
  }

  /** Polls until stopped. Each turn ends in a wait: for the threshold, or the back-off, both ended by stop(). */
  async function poll(): Promise<void> {
    let interval = FIRST_POLL;
    let foundSinceLastWait = false;
    let queueExists = false;
    let failing = false;
    while (!stopping) {
      let batch: FetchedMessage[] = [];
      try {
        // Existence first, as the host does, so that a missing queue is an empty one and not an error each poll.
        queueExists ||= await queue.exists({ abortSignal: abort.signal });
        if (queueExists)
          batch = (
            await queue.receiveMessages({
              numberOfMessages: options.batchSize,
              visibilityTimeout: holdSeconds,
              abortSignal: abort.signal,
            })
          ).receivedMessageItems;
        if (failing) listenerLog('information', `polling queue '${queue.name}' again`);
        failing = false;
      } catch (error) {
        // Whatever failed, existence is checked again; a queue deleted meanwhile is an empty one.
        queueExists = false;
        if (!stopping && !failing && statusOf(error) !== 404)
          listenerLog('warning', `could not poll queue '${queue.name}' (backing off): ${messageOf(error)}`);
        failing = true;
      }
      if (stopping) {
        await release(batch);
        return;
      }
      if (batch.length > 0) {
        batch.forEach(track);
        foundSinceLastWait = true;
        while (inFlight.size > options.newBatchThreshold && !stopping) await Promise.race([...inFlight, stopped]);
      } else {
        interval = nextPollInterval(
          interval,
          foundSinceLastWait,
          { minimumMs: MINIMUM_POLLING_INTERVAL_MS, maximumMs: options.maxPollingIntervalMs },
          settings.random,
        );
        foundSinceLastWait = false;
        await wait.sleep(interval.delayMs);
      }
    }
  }

  let markStopped: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (markStopped = resolve));
  const polling = poll().catch((error: unknown) => listenerLog('error', `the listener stopped: ${messageOf(error)}`));
  let stoppedOnce: Promise<void> | undefined;

  return {
    stop() {
      stoppedOnce ??= (async () => {
        stopping = true;
        markStopped();
        wait.wake();
        abort.abort();
        await polling;
        const shutdownTimeoutMs = settings.shutdownTimeoutMs ?? 30_000;
        let timer: NodeJS.Timeout | undefined;
        const finished = await Promise.race([
          Promise.allSettled([...inFlight]).then(() => true),
          new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), shutdownTimeoutMs))),
        ]);
        clearTimeout(timer);
        if (!finished) {
          listenerLog(
            'warning',
            `${inFlight.size} invocation(s) still running after ${shutdownTimeoutMs} ms; their messages become visible again when their visibility timeout ends`,
          );
          for (const renewal of renewals) renewal.cancel();
        }
      })();
      return stoppedOnce;
    },
  };
}
