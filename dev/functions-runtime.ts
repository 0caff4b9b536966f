import Module from 'node:module';

import type { HttpHandler, InvocationContext, StorageQueueHandler } from '@azure/functions';

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

/** A hook callback as `@azure/functions` registers it with the worker (`app.hook.*`): it is given the worker's context. */
type HookCallback = (coreContext: Record<string, unknown>) => unknown;
type HookName = 'preInvocation' | 'postInvocation' | 'log';

/**
 * The app's invocation hooks (`app.hook.preInvocation`, `postInvocation`, `log`), run as the
 * Functions Node.js worker runs them: the pre-invocation hooks may replace the handler (the
 * OpenTelemetry instrumentation binds it to the invocation's trace context this way), the
 * post-invocation ones see its result or error, and the log hooks see every `context.log`.
 */
export class InvocationHooks {
  private readonly callbacks: Record<HookName, HookCallback[]> = { preInvocation: [], postInvocation: [], log: [] };

  register(name: string, callback: HookCallback): { dispose(): void } {
    const list = this.callbacks[name as HookName];
    if (!list) return { dispose: () => undefined };
    list.push(callback);
    return { dispose: () => void list.splice(list.indexOf(callback) >>> 0, 1) };
  }

  /** The handler as the worker calls it: hooks around it, in the order they were registered. */
  around<Handler extends (input: never, context: InvocationContext) => unknown>(handler: Handler): Handler {
    const hooks = this.callbacks;
    return (async (input: never, invocationContext: InvocationContext) => {
      const hookData = {};
      const pre: Record<string, unknown> = { invocationContext, inputs: [input], functionCallback: handler, hookData };
      for (const hook of hooks.preInvocation) await hook(pre);
      const post: Record<string, unknown> = {
        invocationContext,
        inputs: pre.inputs,
        hookData,
        result: undefined,
        error: undefined,
      };
      try {
        post.result = await (pre.functionCallback as Handler)(...((pre.inputs as [never]) ?? [input]), invocationContext);
      } catch (error) {
        post.error = error;
      }
      for (const hook of hooks.postInvocation) await hook(post);
      // What the handler threw (or a hook set) is rethrown as it is, as the worker does.
      // eslint-disable-next-line @typescript-eslint/only-throw-error
      if (post.error !== undefined) throw post.error;
      return post.result;
    }) as Handler;
  }

  /** Runs the log hooks for one line an invocation logged. */
  logged(level: string, message: string, invocationContext: InvocationContext | undefined): void {
    for (const hook of this.callbacks.log) void hook({ level, message, category: 'user', invocationContext, hookData: {} });
  }
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
  const hooks = new InvocationHooks();
  const registered: RegisteredHttpFunction[] = [];
  const queues: RegisteredQueueFunction[] = [];
  const coreApi = {
    version: 'local-host',
    setProgrammingModel: () => undefined,
    getProgrammingModel: () => undefined,
    registerHook: (name: string, callback: HookCallback) => hooks.register(name, callback),
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
          handler: hooks.around(handler as StorageQueueHandler),
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
          handler: hooks.around(handler as HttpHandler),
        });
      }
      return { dispose: () => undefined };
    },
  };
  return { coreApi, registered, queues, hooks };
}

/**
 * Loads the app's entry file (package.json `main`) the way the Functions worker does: with
 * `@azure/functions-core` resolvable, so that every `app.http` and `app.storageQueue` call
 * registers for real.
 */
export function loadFunctionApp(entryFile: string): FunctionApp & { readonly hooks: InvocationHooks } {
  const { coreApi, registered, queues, hooks } = createCoreApiStandIn();
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
  return { http: registered, queues, hooks };
}
