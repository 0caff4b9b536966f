import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { createCoreApiStandIn } from '../../dev/functions-runtime';
import { findRoute, routingOrder } from '../../dev/host';
import { CATALOG, catalogRoutes } from '../../src/catalog/operations';
import { routeParameters } from '../../src/catalog/operations';
import { CATCH_ALL_NAME, methodNotAllowedName } from '../../src/functions/app';
import { startHostProcess } from '../support/stack';

// `@azure/functions` registers each function through `@azure/functions-core`, which only the
// Functions worker provides. Providing it here records the registrations exactly as the worker
// receives them when it loads the app's entry file.
const mockCore = createCoreApiStandIn();
jest.mock('@azure/functions-core', () => mockCore.coreApi, { virtual: true });

const projectRoot = join(__dirname, '..', '..');
const manifest = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { main: string };

const summaryOf = (fn: { name: string; route: string; methods: readonly string[]; authLevel: string }) => ({
  name: fn.name,
  route: fn.route,
  methods: [...fn.methods].sort(),
  authLevel: fn.authLevel,
});

beforeAll(() => {
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the entry, loaded by path as the worker loads it
    require(join(projectRoot, manifest.main));
  });
});

test('package.json main is the bundle: the app every test, `npm start` and Azure run', () => {
  expect(manifest.main).toBe('dist/bundle/index.js');
});

test('every catalog operation is registered with app.http: name, route, method, function key', () => {
  const registered = mockCore.registered.map(summaryOf);
  for (const operation of CATALOG) {
    expect(registered).toContainEqual({
      name: operation.name,
      route: operation.route,
      methods: [operation.method],
      authLevel: 'function',
    });
  }
});

test('each route answers 405 for the methods it does not serve, and health and 404 are registered', () => {
  const byName = new Map(mockCore.registered.map((fn) => [fn.name, summaryOf(fn)]));
  for (const [route, methods] of catalogRoutes()) {
    const methodNotAllowed = byName.get(methodNotAllowedName(route));
    expect(methodNotAllowed?.route).toBe(route);
    expect(methodNotAllowed?.authLevel).toBe('function');
    for (const method of methods) expect(methodNotAllowed?.methods).not.toContain(method);
  }
  expect(byName.get('Health')).toEqual({ name: 'Health', route: 'health', methods: ['GET'], authLevel: 'anonymous' });
  expect(byName.get(CATCH_ALL_NAME)?.route).toBe('{*path}');
  expect(byName.get(methodNotAllowedName('health'))?.methods).not.toContain('GET');
  // The descriptions and the reference page: anonymous GETs, each with its 405.
  const descriptionRoutes: [string, string][] = [
    ['OpenApiDescription', 'openapi.json'],
    ['SwaggerDescription', 'swagger.json'],
    ['ApiReference', 'docs'],
    ['ApiReferenceAsset', 'docs/{asset}'],
  ];
  for (const [name, route] of descriptionRoutes) {
    expect(byName.get(name)).toEqual({ name, route, methods: ['GET'], authLevel: 'anonymous' });
    expect(byName.get(methodNotAllowedName(route))?.methods).not.toContain('GET');
  }
  // Beyond the operations and their 405s: health, diagnostics and the four description routes with their 405s, and the catch-all.
  expect(mockCore.registered).toHaveLength(CATALOG.length + catalogRoutes().size + 2 * 6 + 1);
});

test('routed as the Functions host routes (by function name, first match), every operation reaches its own function', () => {
  const ordered = routingOrder(mockCore.registered);
  expect(ordered.at(-1)?.name).toBe(CATCH_ALL_NAME);
  for (const operation of CATALOG) {
    const path = routeParameters(operation.route).reduce(
      (route, name) => route.replace(`{${name}}`, `some-${name}`),
      operation.route,
    );
    expect(findRoute(ordered, operation.method, path)?.fn.name).toBe(operation.name);
  }
  expect(findRoute(ordered, 'GET', 'health')?.fn.name).toBe('Health');
  expect(findRoute(ordered, 'GET', 'no/such/route')?.fn.name).toBe(CATCH_ALL_NAME);
});

test('the local host serves exactly the registered set', async () => {
  const host = await startHostProcess({});
  try {
    const listed = (await (await fetch(host.baseUrl.replace(/\/api$/, '/admin/functions'))).json()) as {
      name: string;
      route: string;
      methods: string[];
      authLevel: string;
    }[];
    expect(listed.map(summaryOf).sort((a, b) => a.name.localeCompare(b.name))).toEqual(
      mockCore.registered.map(summaryOf).sort((a, b) => a.name.localeCompare(b.name)),
    );
  } finally {
    await host.stop();
  }
});
