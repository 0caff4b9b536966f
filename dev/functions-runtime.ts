import Module from 'node:module';

import type { HttpHandler, StorageQueueHandler } from '@azure/functions';

/** An HTTP function as the Functions host sees it after the app's entry file has run. */
export interface RegisteredHttpFunction {
  readonly name: string;
  readonly route: string;
  readonly methods: readonly string[];
  readonly authLevel: string;
  readonly handler: HttpHandler;
}

/** A queue-triggered function (`app.storageQueue`) as the Functions host sees it. */
export interface RegisteredQueueFunction {
  readonly name: string;
  /** As registered: a `%setting%` in it is resolved from the app settings when the host starts. */
  readonly queueName: string;
  /** The app setting (or prefix of settings) naming the storage account; empty means AzureWebJobsStorage. */
  readonly connection: string;
  /** The types of the function's other bindings (extra inputs and outputs), which the local host does not run. */
  readonly otherBindings: readonly string[];
  readonly handler: StorageQueueHandler;
}

/** What the Functions host runs of an app: its HTTP functions and its queue-triggered functions. */
export interface FunctionApp {
  readonly http: RegisteredHttpFunction[];
  readonly queues: RegisteredQueueFunction[];
}

interface CoreBinding {
  type: string;
  direction: string;
  route?: string;
  methods?: string[];
  authLevel?: string;
  queueName?: string;
  connection?: string;
}

interface CoreFunctionMetadata {
  name: string;
  bindings: Record<string, CoreBinding>;
}

/**
 * A stand-in for `@azure/functions-core`, the module the Functions Node.js worker provides to
 * `@azure/functions`. `app.http` and `app.storageQueue` hand each function to `registerFunction`
 * as trigger metadata plus handler; recording those calls yields exactly what the Functions host
 * would run. `registered` holds the HTTP functions, `queues` the queue-triggered ones.
 */
export function createCoreApiStandIn() {
  const registered: RegisteredHttpFunction[] = [];
  const queues: RegisteredQueueFunction[] = [];
  const coreApi = {
    version: 'local-host',
    setProgrammingModel: () => undefined,
    getProgrammingModel: () => undefined,
    registerHook: () => ({ dispose: () => undefined }),
    log: () => undefined,
    registerFunction(metadata: CoreFunctionMetadata, handler: HttpHandler | StorageQueueHandler) {
      const bindings = Object.values(metadata.bindings);
      const queueTrigger = bindings.find((binding) => binding.type === 'queueTrigger' && binding.direction === 'in');
      if (queueTrigger) {
        queues.push({
          name: metadata.name,
          queueName: queueTrigger.queueName ?? '',
          connection: queueTrigger.connection ?? '',
          otherBindings: bindings.filter((binding) => binding !== queueTrigger).map((binding) => binding.type),
          handler: handler as StorageQueueHandler,
        });
      }
      const trigger = bindings.find((binding) => binding.type === 'httpTrigger');
      if (trigger) {
        registered.push({
          name: metadata.name,
          route: trigger.route ?? metadata.name,
          methods: (trigger.methods ?? ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']).map((method) =>
            method.toUpperCase(),
          ),
          authLevel: trigger.authLevel ?? 'function',
          handler: handler as HttpHandler,
        });
      }
      return { dispose: () => undefined };
    },
  };
  return { coreApi, registered, queues };
}

/**
 * Loads the app's entry file (package.json `main`) the way the Functions worker does: with
 * `@azure/functions-core` resolvable, so that every `app.http` and `app.storageQueue` call
 * registers for real.
 */
export function loadFunctionApp(entryFile: string): FunctionApp {
  const { coreApi, registered, queues } = createCoreApiStandIn();
  const loader = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
  const originalLoad = loader._load;
  loader._load = function (request: string, ...rest: unknown[]) {
    return request === '@azure/functions-core' ? coreApi : originalLoad.call(this, request, ...rest);
  };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the entry is loaded as the worker loads it, by path, at run time
    require(entryFile);
  } finally {
    loader._load = originalLoad;
  }
  return { http: registered, queues };
}
