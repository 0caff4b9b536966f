import Module from 'node:module';

import type { HttpHandler } from '@azure/functions';

/** An HTTP function as the Functions host sees it after the app's entry file has run. */
export interface RegisteredHttpFunction {
  readonly name: string;
  readonly route: string;
  readonly methods: readonly string[];
  readonly authLevel: string;
  readonly handler: HttpHandler;
}

interface CoreBinding {
  type: string;
  direction: string;
  route?: string;
  methods?: string[];
  authLevel?: string;
}

interface CoreFunctionMetadata {
  name: string;
  bindings: Record<string, CoreBinding>;
}

/**
 * A stand-in for `@azure/functions-core`, the module the Functions Node.js worker provides to
 * `@azure/functions`. `app.http` hands each function to `registerFunction` as trigger metadata
 * plus handler; recording those calls yields exactly what the Functions host would serve.
 */
export function createCoreApiStandIn() {
  const registered: RegisteredHttpFunction[] = [];
  const coreApi = {
    version: 'local-host',
    setProgrammingModel: () => undefined,
    getProgrammingModel: () => undefined,
    registerHook: () => ({ dispose: () => undefined }),
    log: () => undefined,
    registerFunction(metadata: CoreFunctionMetadata, handler: HttpHandler) {
      const trigger = Object.values(metadata.bindings).find((binding) => binding.type === 'httpTrigger');
      if (trigger) {
        registered.push({
          name: metadata.name,
          route: trigger.route ?? metadata.name,
          methods: (trigger.methods ?? ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']).map((method) =>
            method.toUpperCase(),
          ),
          authLevel: trigger.authLevel ?? 'function',
          handler,
        });
      }
      return { dispose: () => undefined };
    },
  };
  return { coreApi, registered };
}

/**
 * Loads the app's entry file (package.json `main`) the way the Functions worker does: with
 * `@azure/functions-core` resolvable, so that every `app.http` call registers for real.
 */
export function loadFunctionApp(entryFile: string): RegisteredHttpFunction[] {
  const { coreApi, registered } = createCoreApiStandIn();
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
  return registered;
}
