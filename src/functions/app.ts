import type { HttpHandler, StorageQueueHandler } from '@azure/functions';

import { CATALOG, catalogRoutes, type HttpMethod, type Operation, OPERATION_ROUTE } from '../catalog/operations';
import type { CallerAuthMode } from '../identity/caller-roles';
import type { DiagnosticsDependencies } from '../operations/diagnostics';
import type { GraphIdentities } from '../operations/graph-identity';
import type { OperationDependencies } from '../operations/pipeline';
import { poisonQueueOf } from '../operations/write-queue';
import { type CallerTrust, guarded } from './caller';
import { openApiHandler, referenceAssetHandler, referencePageHandler, swaggerHandler } from './description-handlers';
import { operationHandler, recordedCall } from './operation-handler';
import { abandonWriteHandler, finishWriteHandler } from './queue-handlers';
import {
  diagnosticsHandler,
  healthHandler,
  type HealthSummary,
  methodNotAllowedHandler,
  notFoundHandler,
  operationStatusHandler,
} from './service-handlers';

export type RegisteredMethod = HttpMethod | 'PUT' | 'HEAD' | 'OPTIONS';

/** One HTTP function as registered with `app.http`. */
export interface FunctionDefinition {
  readonly name: string;
  readonly route: string;
  readonly methods: readonly RegisteredMethod[];
  readonly authLevel: 'anonymous' | 'function';
  readonly handler: HttpHandler;
}

/** What the functions are given by the composition root: each handler gets only its part. */
export interface FunctionServices {
  /** How callers prove who they are (`CALLER_AUTH`), and whether the platform vouches for them: auth levels and role checks. */
  readonly callers: CallerTrust;
  /** When calls go to Graph as a signed-in user, and the exchange of their tokens. */
  readonly graphIdentities: GraphIdentities;
  readonly operations: OperationDependencies;
  readonly health: HealthSummary;
  readonly diagnostics: DiagnosticsDependencies;
}

/** One queue-triggered function as registered with `app.storageQueue`. */
export interface QueueFunctionDefinition {
  readonly name: string;
  readonly queueName: string;
  /** The app setting prefix the Functions host reads the queue service from (`<name>` or `<name>__queueServiceUri`). */
  readonly connection: string;
  readonly handler: StorageQueueHandler;
}

/** The storage connection the app's tables and queues are named by in its settings. */
export const STORAGE_CONNECTION = 'IdempotencyStorage';

const HEALTH_ROUTE = 'health';
const DIAGNOSTICS_ROUTE = 'diagnostics';

/** The anonymous routes that describe the API: its two descriptions and the reference page with its assets. */
const descriptionFunctions = (callerAuth: CallerAuthMode): readonly { name: string; route: string; handler: HttpHandler }[] => [
  { name: 'OpenApiDescription', route: 'openapi.json', handler: openApiHandler(callerAuth) },
  { name: 'SwaggerDescription', route: 'swagger.json', handler: swaggerHandler(callerAuth) },
  { name: 'ApiReference', route: 'docs', handler: referencePageHandler },
  { name: 'ApiReferenceAsset', route: 'docs/{asset}', handler: referenceAssetHandler },
];

/**
 * The Functions host tries routes in the alphabetical order of function names and takes the first
 * match, so the catch-all must sort after every other function or it would answer their requests.
 */
export const CATCH_ALL_NAME = 'Z_NotFound';

/** Every method a 405 function answers for on a route: all the methods callers send but the route's own. */
const ALL_METHODS: readonly RegisteredMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

/** The Functions name of the 405 function of a route, e.g. `MethodNotAllowed_mobile-apps_mobileAppId_install-summary`. */
export function methodNotAllowedName(route: string): string {
  // Function names allow letters, digits, `_` and `-` only.
  return `MethodNotAllowed_${route.replace(/[{}]/g, '').replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/**
 * The function app, derived from the catalog: one function per operation, the health and
 * diagnostics routes, the API descriptions and reference page, one 405 function per route for the
 * methods it does not serve, and a catch-all that answers 404 as problem+json.
 */
export function facadeFunctions(services: FunctionServices, catalog: readonly Operation[] = CATALOG): FunctionDefinition[] {
  // With Entra ID only, the routes are anonymous to the Functions host: a caller with a token and
  // no key (a Logic App's managed identity) must reach App Service Authentication and the role check.
  const authLevel = services.callers.mode === 'entra' ? 'anonymous' : 'function';
  const operations: FunctionDefinition[] = catalog.map((operation) => ({
    name: operation.name,
    route: operation.route,
    methods: [operation.method],
    authLevel,
    handler: operationHandler(operation, services.operations, services.callers, services.graphIdentities),
  }));
  const routes: [string, HttpMethod[]][] = [
    ...catalogRoutes(catalog),
    [HEALTH_ROUTE, ['GET']],
    [DIAGNOSTICS_ROUTE, ['GET']],
    [OPERATION_ROUTE, ['GET']],
    ...descriptionFunctions(services.callers.mode).map(({ route }): [string, HttpMethod[]] => [route, ['GET']]),
  ];
  const methodNotAllowed: FunctionDefinition[] = routes.map(([route, allowed]) => ({
    name: methodNotAllowedName(route),
    route,
    methods: ALL_METHODS.filter((method) => !(allowed as readonly string[]).includes(method)),
    authLevel,
    handler: methodNotAllowedHandler(route, allowed),
  }));
  const others: FunctionDefinition[] = [
    ...methodNotAllowed,
    {
      name: 'Health',
      route: HEALTH_ROUTE,
      methods: ['GET'],
      authLevel: 'anonymous',
      handler: healthHandler(services.health),
    },
    {
      name: 'OperationStatus',
      route: OPERATION_ROUTE,
      methods: ['GET'],
      authLevel,
      handler: guarded(
        services.callers,
        'read',
        operationStatusHandler(services.operations.async?.operations, services.operations.clock),
      ),
    },
    {
      name: 'Diagnostics',
      route: DIAGNOSTICS_ROUTE,
      methods: ['GET'],
      authLevel,
      handler: guarded(services.callers, 'read', diagnosticsHandler(services.diagnostics)),
    },
    ...descriptionFunctions(services.callers.mode).map(({ name, route, handler }): FunctionDefinition => ({
      name,
      route,
      methods: ['GET'],
      authLevel: 'anonymous',
      handler,
    })),
    { name: CATCH_ALL_NAME, route: '{*path}', methods: ALL_METHODS, authLevel: 'anonymous', handler: notFoundHandler },
  ];
  // Every call leaves its record: the operations with their facts (operation-handler.ts), the others here.
  return [
    ...operations,
    ...others.map((fn) => ({ ...fn, handler: recordedCall(fn.name, fn.route, fn.handler, services.callers) })),
  ];
}

/**
 * The queue-triggered functions: the worker that finishes accepted writes, and the one that ends
 * an operation whose messages landed in the poison queue. None when the app has no queue service.
 */
export function queueFunctions(services: FunctionServices): QueueFunctionDefinition[] {
  const async = services.operations.async;
  if (!async) return [];
  const dependencies = { ...services.operations, async };
  return [
    {
      name: 'FinishWrite',
      queueName: async.queueName,
      connection: STORAGE_CONNECTION,
      handler: finishWriteHandler(dependencies),
    },
    {
      name: 'AbandonWrite',
      queueName: poisonQueueOf(async.queueName),
      connection: STORAGE_CONNECTION,
      handler: abandonWriteHandler(dependencies),
    },
  ];
}
