import type { TokenCredential } from '@azure/identity';
import type * as QueuesModule from '@azure/storage-queue';
import type { QueueClient } from '@azure/storage-queue';

import { managedIdentityCredential } from '../identity/credential';
import { boundedBy } from './store-calls';
import { tracedCall } from './traced-calls';

type Queues = typeof QueuesModule;

/** `@azure/storage-queue` is loaded only by an app configured with a queue service. */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when first needed, on purpose
const loadQueues = (): Queues => require('@azure/storage-queue') as Queues;

/**
 * How the app reaches its queue service: by identity in Azure (`<name>__queueServiceUri`, the
 * Functions convention the queue trigger reads too), by connection string on Azurite.
 */
export type QueueConnection =
  { readonly queueServiceUri: string; readonly clientId: string | undefined } | { readonly connectionString: string };

/** A queue the app sends messages to, as the queue trigger reads them: base64 text. */
export interface MessageQueue {
  /** Sends a message that becomes visible after `visibilityDelayMs`. */
  send(text: string, options?: { readonly visibilityDelayMs?: number }): Promise<void>;
  /** About how many messages the queue holds (the service's own approximate count). */
  approximateLength(): Promise<number>;
  readonly description: string;
}

/** A store call must be quick or fail: the caller answers, or the worker tries again later. */
const QUEUE_CALL_TIMEOUT_MS = 5000;
/** Azure Queue Storage holds a message invisible for 7 days at most. */
const MAX_VISIBILITY_SECONDS = 7 * 24 * 3600;
/** The queue's length is asked of the service at most this often per instance. */
const LENGTH_READ_INTERVAL_MS = 1000;
/** A message lives as long as an operation is kept (and then some): never dropped by the queue first. */
const MESSAGE_TTL_SECONDS = 48 * 3600;

/** The queue of this name in the app's queue service; it is created on first use. */
export function messageQueueFor(connection: QueueConnection, queueName: string, credential: TokenCredential): MessageQueue {
  const client: QueueClient =
    'connectionString' in connection
      ? loadQueues().QueueServiceClient.fromConnectionString(connection.connectionString).getQueueClient(queueName)
      : new (loadQueues().QueueClient)(
          `${connection.queueServiceUri.replace(/\/+$/, '')}/${queueName}`,
          connection.clientId ? managedIdentityCredential(connection.clientId) : credential,
        );
  let ready: Promise<unknown> | undefined;
  const ensureQueue = () =>
    (ready ??= tracedCall('queue', 'PUT', client.url, () => client.createIfNotExists(boundedBy(QUEUE_CALL_TIMEOUT_MS))).catch(
      (error: unknown) => {
        ready = undefined;
        throw error;
      },
    ));
  // The length is read from the service at most once a LENGTH_READ_INTERVAL_MS; in between, the
  // messages this instance sent since are added, so that writes accepted in one burst are each
  // told a wait one write longer than the last, without a service call each.
  let lastRead: { readonly atMs: number; readonly length: number } | undefined;
  let sentSinceRead = 0;
  return {
    description: `queue storage (${new URL(client.url).origin}, queue ${queueName})`,
    async approximateLength() {
      const nowMs = Date.now();
      if (lastRead && nowMs - lastRead.atMs < LENGTH_READ_INTERVAL_MS) return lastRead.length + sentSinceRead;
      await ensureQueue();
      const properties = await tracedCall('queue', 'GET', client.url, () =>
        client.getProperties(boundedBy(QUEUE_CALL_TIMEOUT_MS)),
      );
      lastRead = { atMs: nowMs, length: properties.approximateMessagesCount ?? 0 };
      sentSinceRead = 0;
      return lastRead.length;
    },
    async send(text, options = {}) {
      await ensureQueue();
      const visibilityTimeout = Math.min(MAX_VISIBILITY_SECONDS, Math.max(0, Math.ceil((options.visibilityDelayMs ?? 0) / 1000)));
      // The trigger decodes base64 by default (host.json `extensions.queues.messageEncoding`).
      const encoded = Buffer.from(text, 'utf8').toString('base64');
      await tracedCall('queue', 'POST', `${client.url}/messages`, () =>
        client.sendMessage(encoded, {
          visibilityTimeout,
          messageTimeToLive: MESSAGE_TTL_SECONDS,
          ...boundedBy(QUEUE_CALL_TIMEOUT_MS),
        }),
      );
      sentSinceRead += 1;
    },
  };
}
