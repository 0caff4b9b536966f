import type { LogHandler } from '@azure/functions';

import type { RegisteredQueueFunction } from '../functions-runtime';
import {
  type AppSettings,
  describeQueueConnection,
  queueServiceFor,
  resolveQueueConnection,
  resolveQueueName,
} from './queue-connection';
import { poisonQueueNameFor } from './queue-messages';
import type { QueueOptions } from './queue-options';
import { type QueueListener, type QueueListenerSettings, startQueueListener } from './queue-trigger';

export interface QueueFunctionsSettings {
  /** host.json `extensions.queues` (queue-options.ts). */
  readonly options: QueueOptions;
  /** The app settings the connections and `%setting%` queue names are resolved from. */
  readonly appSettings: AppSettings;
  readonly logFor: (functionName: string, invocationId: string) => LogHandler;
  /** Timings the host fixes, shortened by tests. */
  readonly listener?: Pick<QueueListenerSettings, 'processingVisibilityTimeoutMs' | 'shutdownTimeoutMs' | 'random'>;
}

/** One line of the start-up report. */
export interface QueueFunctionReport {
  readonly level: 'information' | 'warning' | 'error';
  readonly text: string;
}

export interface RunningQueueFunctions {
  /** For each function: where it listens, or why it does not run (the Functions host puts such a function in error and runs the others). */
  readonly report: readonly QueueFunctionReport[];
  stop(): Promise<void>;
}

async function startOne(
  fn: RegisteredQueueFunction,
  settings: QueueFunctionsSettings,
): Promise<{ listener?: QueueListener; report: QueueFunctionReport[] }> {
  const inError = (reason: string) => ({
    report: [{ level: 'error' as const, text: `${fn.name}: the function is in error and does not run: ${reason}` }],
  });
  const queueName = resolveQueueName(fn.queueName, settings.appSettings);
  if (typeof queueName === 'string') return inError(queueName);
  const connection = resolveQueueConnection(fn.connection, settings.appSettings);
  if (typeof connection === 'string') return inError(connection);
  let service;
  try {
    service = await queueServiceFor(connection);
  } catch (error) {
    return inError(`the connection ${connection.setting} cannot be used: ${(error as Error).message}`);
  }
  const poisonName = poisonQueueNameFor(queueName.name);
  const listener = startQueueListener({
    functionName: fn.name,
    handler: fn.handler,
    queue: service.getQueueClient(queueName.name),
    poisonQueue: poisonName === undefined ? undefined : service.getQueueClient(poisonName),
    options: settings.options,
    logFor: (invocationId) => settings.logFor(fn.name, invocationId),
    ...settings.listener,
  });
  const report: QueueFunctionReport[] = [
    {
      level: 'information',
      text: `${fn.name}: queue '${queueName.name}' (poison queue ${poisonName === undefined ? 'none' : `'${poisonName}'`}) via ${describeQueueConnection(connection, service)}`,
    },
  ];
  if (fn.otherBindings.length > 0)
    report.push({
      level: 'warning',
      text: `${fn.name}: its other bindings (${fn.otherBindings.join(', ')}) are not run by the local host`,
    });
  return { listener, report };
}

/**
 * Starts a queue listener for each queue-triggered function, with its connection and queue name
 * resolved from the app settings. A function whose queue name or connection cannot be resolved
 * does not run, and the others do, as on the Functions host.
 */
export async function startQueueFunctions(
  functions: readonly RegisteredQueueFunction[],
  settings: QueueFunctionsSettings,
): Promise<RunningQueueFunctions> {
  const started = await Promise.all(functions.map((fn) => startOne(fn, settings)));
  const listeners = started.flatMap(({ listener }) => (listener ? [listener] : []));
  return {
    report: started.flatMap(({ report }) => report),
    stop: async () => {
      await Promise.all(listeners.map((listener) => listener.stop()));
    },
  };
}
