/**
 * host.json `extensions.queues`, read as the Storage Queues extension of the Functions host reads
 * it (`QueuesOptions`): the same names (in any case, as .NET configuration binds them), defaults,
 * units and limits. A value the host would refuse stops the local host at start too.
 */
export interface QueueOptions {
  /** Messages fetched per poll (1 to 32: the service returns at most 32). */
  readonly batchSize: number;
  /** A new batch is fetched once the messages still being processed fall to this number. */
  readonly newBatchThreshold: number;
  /** The longest wait between polls of an empty queue. */
  readonly maxPollingIntervalMs: number;
  /** How long a message that failed stays invisible before it is tried again. */
  readonly visibilityTimeoutMs: number;
  /** Attempts before a failing message is moved to `<queue>-poison`. */
  readonly maxDequeueCount: number;
  /** How message bodies are written: base64 of UTF-8 (the host's default) or the text itself. */
  readonly messageEncoding: 'base64' | 'none';
}

/** The shortest wait between polls, and the floor of `maxPollingInterval` (QueuePollingIntervals.Minimum). */
export const MINIMUM_POLLING_INTERVAL_MS = 100;
/** The service's limit on how long a message can be kept invisible. */
const SEVEN_DAYS_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * The extension's defaults. `newBatchThreshold` defaults to half the batch size; the extension
 * multiplies that by the processor count outside the Consumption plan, which a local run, like one
 * Consumption instance, leaves out.
 */
export function defaultQueueOptions(batchSize = 16): QueueOptions {
  return {
    batchSize,
    newBatchThreshold: Math.floor(batchSize / 2),
    maxPollingIntervalMs: 60_000,
    visibilityTimeoutMs: 0,
    maxDequeueCount: 5,
    messageEncoding: 'base64',
  };
}

/** A host.json value the Functions host would refuse. */
export class QueueOptionsError extends Error {
  override readonly name = 'QueueOptionsError';
}

const KNOWN = [
  'batchSize',
  'newBatchThreshold',
  'maxPollingInterval',
  'visibilityTimeout',
  'maxDequeueCount',
  'messageEncoding',
] as const;
type Known = (typeof KNOWN)[number];

const TIME_SPAN = /^\s*(-)?(?:(\d+)|(?:(\d+)\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,7}))?)?)\s*$/;

/**
 * A .NET TimeSpan in its invariant text form (`[-]d` or `[-][d.]hh:mm[:ss[.fffffff]]`), in
 * milliseconds; undefined when the text is not one. A bare number is days, as TimeSpan.Parse reads
 * it. Hours above 23, minutes or seconds above 59 are refused rather than reinterpreted.
 */
export function parseTimeSpan(text: string): number | undefined {
  const match = TIME_SPAN.exec(text);
  if (!match) return undefined;
  const [, minus, daysOnly, days, hours, minutes, seconds, fraction] = match;
  const sign = minus ? -1 : 1;
  if (daysOnly !== undefined) return sign * Number(daysOnly) * 86_400_000;
  const [h, m, s] = [Number(hours), Number(minutes), Number(seconds ?? 0)];
  if (h > 23 || m > 59 || s > 59) return undefined;
  const ms = Number(`0.${fraction ?? '0'}`) * 1000;
  return sign * (Number(days ?? 0) * 86_400_000 + h * 3_600_000 + m * 60_000 + s * 1000 + ms);
}

function timeSpanMs(name: Known, value: unknown): number {
  if (typeof value === 'number')
    // Functions 1.x read a number here as milliseconds; since 2.x the host binds it with
    // TimeSpan.Parse, which reads it as days. Either reading would surprise someone, so neither is made.
    throw new QueueOptionsError(
      `host.json extensions.queues.${name} is the number ${value}: the Functions host (2.x and later) reads a number as days, not milliseconds. Write a TimeSpan such as "00:00:02".`,
    );
  const ms = typeof value === 'string' ? parseTimeSpan(value) : undefined;
  if (ms === undefined)
    throw new QueueOptionsError(
      `host.json extensions.queues.${name} must be a TimeSpan such as "00:00:02" (hh:mm:ss), not ${JSON.stringify(value)}.`,
    );
  return ms;
}

function integer(name: Known, value: unknown, minimum: number, maximum = Number.MAX_SAFE_INTEGER): number {
  const number = typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < minimum || number > maximum)
    throw new QueueOptionsError(
      `host.json extensions.queues.${name} must be a whole number from ${minimum}${maximum === Number.MAX_SAFE_INTEGER ? '' : ` to ${maximum}`}, not ${JSON.stringify(value)}.`,
    );
  return number;
}

function encoding(value: unknown): QueueOptions['messageEncoding'] {
  const lower = typeof value === 'string' ? value.trim().toLowerCase() : undefined;
  if (lower === 'base64' || lower === 'none') return lower;
  throw new QueueOptionsError(
    `host.json extensions.queues.messageEncoding must be "base64" or "none", not ${JSON.stringify(value)}.`,
  );
}

/** The `extensions.queues` section of a parsed host.json, with every key found whatever its case. */
function queuesSection(hostJson: unknown): { values: Partial<Record<Known, unknown>>; unknownKeys: string[] } {
  const extensions = (hostJson as { extensions?: unknown } | null)?.extensions;
  const section = (extensions as { queues?: unknown } | null | undefined)?.queues;
  if (section === undefined || section === null) return { values: {}, unknownKeys: [] };
  if (typeof section !== 'object' || Array.isArray(section))
    throw new QueueOptionsError('host.json extensions.queues must be an object.');
  const values: Partial<Record<Known, unknown>> = {};
  const unknownKeys: string[] = [];
  for (const [key, value] of Object.entries(section)) {
    const known = KNOWN.find((name) => name.toLowerCase() === key.toLowerCase());
    if (known) values[known] = value;
    else unknownKeys.push(key);
  }
  return { values, unknownKeys };
}

/**
 * The queue options of a parsed host.json. `warnings` name keys the extension does not know (it
 * ignores them; they are usually typing mistakes). Throws QueueOptionsError for a value the host
 * would refuse.
 */
export function queueOptionsOf(hostJson: unknown): { options: QueueOptions; warnings: string[] } {
  const { values, unknownKeys } = queuesSection(hostJson);
  const batchSize = values.batchSize === undefined ? 16 : integer('batchSize', values.batchSize, 1, 32);
  const defaults = defaultQueueOptions(batchSize);
  const options: QueueOptions = {
    batchSize,
    newBatchThreshold:
      values.newBatchThreshold === undefined
        ? defaults.newBatchThreshold
        : integer('newBatchThreshold', values.newBatchThreshold, 0),
    maxPollingIntervalMs:
      values.maxPollingInterval === undefined
        ? defaults.maxPollingIntervalMs
        : timeSpanMs('maxPollingInterval', values.maxPollingInterval),
    visibilityTimeoutMs:
      values.visibilityTimeout === undefined
        ? defaults.visibilityTimeoutMs
        : timeSpanMs('visibilityTimeout', values.visibilityTimeout),
    maxDequeueCount:
      values.maxDequeueCount === undefined ? defaults.maxDequeueCount : integer('maxDequeueCount', values.maxDequeueCount, 1),
    messageEncoding: values.messageEncoding === undefined ? defaults.messageEncoding : encoding(values.messageEncoding),
  };
  if (options.maxPollingIntervalMs < MINIMUM_POLLING_INTERVAL_MS)
    throw new QueueOptionsError(
      `host.json extensions.queues.maxPollingInterval must not be less than ${MINIMUM_POLLING_INTERVAL_MS} ms ("00:00:00.1").`,
    );
  if (options.visibilityTimeoutMs < 0 || options.visibilityTimeoutMs > SEVEN_DAYS_MS)
    throw new QueueOptionsError(
      'host.json extensions.queues.visibilityTimeout must be from "00:00:00" to "7.00:00:00" (the service keeps a message invisible for at most 7 days).',
    );
  const warnings = unknownKeys.map(
    (key) => `host.json extensions.queues.${key} is not a setting of the queue extension; it is ignored.`,
  );
  return { options, warnings };
}
