import type { TriggerMetadata } from '@azure/functions';

import type { QueueOptions } from './queue-options';

/**
 * What the Functions host and the Node.js worker make of a queue message, and what becomes of it
 * after a failure: pure rules, kept apart from the listener that applies them.
 */

/** The parts of a fetched message these rules read (`DequeuedMessageItem` of @azure/storage-queue). */
export interface FetchedMessage {
  readonly messageId: string;
  readonly messageText: string;
  readonly dequeueCount: number;
  readonly insertedOn: Date;
  readonly expiresOn: Date;
  readonly nextVisibleOn: Date;
  readonly popReceipt: string;
}

const POISON_SUFFIX = '-poison';
const QUEUE_NAME = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/;

/** A queue name the service accepts: 3 to 63 lowercase letters, digits and single hyphens, not at either end. */
export function isValidQueueName(name: string): boolean {
  return QUEUE_NAME.test(name);
}

/**
 * The queue a failing message is moved to: `<queue>-poison`, unless the queue is itself a poison
 * queue or the suffix would make the name too long; then there is none.
 */
export function poisonQueueNameFor(queueName: string): string | undefined {
  if (queueName.endsWith(POISON_SUFFIX)) return undefined;
  const name = `${queueName}${POISON_SUFFIX}`;
  return isValidQueueName(name) ? name : undefined;
}

/**
 * The message's text: base64 decoded to UTF-8 text (invalid sequences become U+FFFD, as in .NET),
 * or as stored with `none`. Undefined when the text is not base64 under the base64 encoding (the
 * host then moves the message to the poison queue without invoking the function). Whitespace is
 * allowed, as .NET's Convert.FromBase64String allows it.
 */
export function decodeMessageText(raw: string, encoding: QueueOptions['messageEncoding']): string | undefined {
  if (encoding === 'none') return raw;
  const compact = raw.replace(/[\t\n\r ]/g, '');
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return undefined;
  return Buffer.from(compact, 'base64').toString('utf8');
}

/**
 * A text value as a Node.js handler receives it from the host: `@azure/functions` parses every
 * trigger value that is valid JSON, whatever its kind, and leaves any other text as it is. So
 * `{"a":1}` is an object and `[1]` an array, but `42` is a number and `true` a boolean too
 * (Azure/azure-functions-nodejs-library#90).
 */
export function asDeliveredToNode(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** `@azure/functions` turns the first letter of every trigger metadata key to lower case, nested keys too. */
function camelCaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelCaseKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [key.charAt(0).toLowerCase() + key.slice(1), camelCaseKeys(inner)]),
  );
}

/**
 * A time as Json.NET writes it, which is how the host hands times to the worker: ISO 8601 with
 * only the significant digits of the fraction, and `+00:00` for a DateTimeOffset (`Z` for a UTC
 * DateTime).
 */
export function dotNetTime(time: Date, kind: 'DateTimeOffset' | 'DateTime'): string {
  const [seconds, fraction = ''] = time.toISOString().slice(0, -1).split('.');
  const digits = fraction.replace(/0+$/, '');
  return `${seconds}${digits ? `.${digits}` : ''}${kind === 'DateTimeOffset' ? '+00:00' : 'Z'}`;
}

/**
 * `context.triggerMetadata` of a queue-triggered invocation: the host's binding data for the
 * message (QueueTrigger, DequeueCount, ExpirationTime, Id, InsertionTime, NextVisibleTime,
 * PopReceipt and sys), as the Node.js library converts it.
 */
export function triggerMetadataOf(
  message: FetchedMessage,
  text: string,
  invocation: { readonly functionName: string; readonly startedAt: Date; readonly randomGuid: string },
): TriggerMetadata {
  return camelCaseKeys({
    QueueTrigger: asDeliveredToNode(text),
    DequeueCount: message.dequeueCount,
    ExpirationTime: dotNetTime(message.expiresOn, 'DateTimeOffset'),
    Id: asDeliveredToNode(message.messageId),
    InsertionTime: dotNetTime(message.insertedOn, 'DateTimeOffset'),
    NextVisibleTime: dotNetTime(message.nextVisibleOn, 'DateTimeOffset'),
    PopReceipt: asDeliveredToNode(message.popReceipt),
    sys: {
      MethodName: invocation.functionName,
      UtcNow: dotNetTime(invocation.startedAt, 'DateTime'),
      RandGuid: invocation.randomGuid,
    },
  }) as TriggerMetadata;
}

/**
 * Whether a message is moved to the poison queue before its function is invoked: it has been
 * fetched more times than allowed already (an earlier attempt ended without completing it).
 */
export function exceedsMaxDequeueCount(dequeueCount: number, maxDequeueCount: number): boolean {
  return dequeueCount > maxDequeueCount;
}

/** What becomes of a message whose function failed. */
export type AfterFailure =
  /** visible again after `visibilityTimeout`, to be tried again */
  | 'release'
  /** copied to the poison queue and deleted */
  | 'poison'
  /** left invisible until the fetch's visibility timeout ends, so that a queue without a poison queue does not spin */
  | 'leave-invisible';

/** The host's rule after a failed invocation: the attempt that reaches `maxDequeueCount` is the last. */
export function afterFailure(dequeueCount: number, maxDequeueCount: number, hasPoisonQueue: boolean): AfterFailure {
  if (!hasPoisonQueue) return 'leave-invisible';
  return dequeueCount >= maxDequeueCount ? 'poison' : 'release';
}
